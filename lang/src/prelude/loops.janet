# The loop family with every verb and modifier of Janet's `loop`:
# verbs :range :range-to :down :down-to :in :keys :pairs :iterate,
# modifiers :while :until :when :unless :let :before :after :repeat.
# `seq`, `catseq`, `tabseq`, `generate` build on it; `each`-style loops
# here also walk fibers (their yields). Everything expands to `while`, so
# bodies may yield and `break` leaves the innermost loop.

(defn- loop-bounds [object verb]
  (cond
    (indexed? object)
    (case (length object)
      1 [0 (in object 0) 1]
      2 [(in object 0) (in object 1) 1]
      [(in object 0) (in object 1) (in object 2)])
    (if (or (= verb :range) (= verb :range-to)) [0 object 1] [object 0 1])))

(defn- loop-counted [binding verb object rest]
  (def [lo hi step] (loop-bounds object verb))
  # The counter is a hidden var; each iteration binds its value afresh (as
  # Janet does), so a closure made in the body keeps that iteration's value.
  (def v (gensym))
  (def e (gensym))
  (def st (if (number? step) step (gensym)))
  (def body ~(do (def ,binding ,v) ,rest))
  (def [test adv]
    (case verb
      :range [~(,< ,v ,e) ~(,+ ,v ,st)]
      :range-to [~(,<= ,v ,e) ~(,+ ,v ,st)]
      :down [~(,> ,v ,e) ~(,- ,v ,st)]
      :down-to [~(,>= ,v ,e) ~(,- ,v ,st)]))
  ~(do (var ,v ,lo) (def ,e ,hi) ,;(if (number? step) [] [~(def ,st ,step)])
       (while ,test ,body (set ,v ,adv))))

(defn- loop-iterate [binding kind object rest]
  (def d (gensym))
  (def k (gensym))
  (case kind
    :iterate
    ~(while true
       (def ,k ,object)
       (if ,k nil (break))
       (def ,binding ,k)
       ,rest)
    ~(do
       (def ,d ,object)
       (if (,= :fiber (,type ,d))
         (while true
           (def ,k (,resume ,d))
           (if (,= (,fiber/status ,d) :dead) (break))
           (def ,binding ,(case kind :keys nil :pairs [nil k] k))
           ,rest)
         (do
           (var ,k (,next ,d nil))
           (while (,not= nil ,k)
             (def ,binding ,(case kind :keys k :pairs ~[,k (,in ,d ,k)] ~(,in ,d ,k)))
             ,rest
             (set ,k (,next ,d ,k))))))))

(defn- loop-modifier [kw arg rest]
  (case kw
    :while ~(if ,arg ,rest (break))
    :until ~(if ,arg (break) ,rest)
    :when ~(if ,arg ,rest)
    :unless ~(if ,arg nil ,rest)
    :let ~(let ,arg ,rest)
    :before ~(do ,arg ,rest)
    :after ~(do ,rest ,arg)
    :repeat (with-syms [c n] ~(do (var ,c 0) (def ,n ,arg) (while (,< ,c ,n) (set ,c (,+ ,c 1)) ,rest)))
    (errorf "unexpected loop modifier %v" kw)))

(defn- loop-expand [body head i]
  (if (>= i (length head))
    ~(do ,;body)
    (do
      (def binding (in head i))
      (if (keyword? binding)
        (loop-modifier binding (in head (+ i 1)) (loop-expand body head (+ i 2)))
        (do
          (def verb (in head (+ i 1)))
          (def object (in head (+ i 2)))
          (def rest (loop-expand body head (+ i 3)))
          (case verb
            :range (loop-counted binding verb object rest)
            :range-to (loop-counted binding verb object rest)
            :down (loop-counted binding verb object rest)
            :down-to (loop-counted binding verb object rest)
            :in (loop-iterate binding :in object rest)
            :keys (loop-iterate binding :keys object rest)
            :pairs (loop-iterate binding :pairs object rest)
            :iterate (loop-iterate binding :iterate object rest)
            (errorf "unexpected loop verb %v" verb)))))))

(defmacro loop
  "(loop head & body)\n\nJanet's general loop. head is a sequence of `binding :verb object` clauses (verbs :range :range-to :down :down-to :in :keys :pairs :iterate) and `:modifier argument` pairs (:while :until :when :unless :let :before :after :repeat), each nesting inside the previous. Returns nil."
  [head & body]
  (unless (indexed? head) (error "expected a tuple for the loop head"))
  ~(do ,(loop-expand body head 0) nil))

(defmacro seq
  "(seq head & body)\n\nLike loop, but collects the value of body on every iteration into a new array."
  [head & body]
  (with-syms [res]
    ~(do (def ,res @[]) (loop ,head (,array/push ,res (do ,;body))) ,res)))

(defmacro catseq
  "(catseq head & body)\n\nLike seq, but concatenates the (indexed) values of body into one array."
  [head & body]
  (with-syms [res]
    ~(do (def ,res @[]) (loop ,head (,array/concat ,res (do ,;body))) ,res)))

(defmacro tabseq
  "(tabseq head key-body & value-body)\n\nLike loop, but puts key-body => value-body into a new table on every iteration."
  [head key-body & value-body]
  (with-syms [res]
    ~(do (def ,res @{}) (loop ,head (,put ,res ,key-body (do ,;value-body))) ,res)))

(defmacro generate
  "(generate head & body)\n\nA fiber that yields the value of body on every iteration of a loop over head."
  [head & body]
  ~(,fiber/new (fn [] (loop ,head (yield (do ,;body)))) :yi))

(defmacro each
  "(each x ds & body)\n\nRuns body for every value of ds (an indexed or dictionary collection, or a fiber's yields), with x bound to it."
  [x ds & body]
  ~(do ,(loop-iterate x :in ds ~(do ,;body)) nil))

(defmacro eachk
  "(eachk k ds & body)\n\nRuns body for every key of ds, with k bound to it."
  [x ds & body]
  ~(do ,(loop-iterate x :keys ds ~(do ,;body)) nil))

(defmacro eachp
  "(eachp [k v] ds & body)\n\nRuns body for every [key value] pair of ds."
  [x ds & body]
  ~(do ,(loop-iterate x :pairs ds ~(do ,;body)) nil))

(defmacro eachy
  "(eachy x fiber & body)\n\nResumes fiber until it finishes, running body with x bound to each yielded value."
  [x fib & body]
  (with-syms [f k]
    ~(do
       (def ,f ,fib)
       (while true
         (def ,k (,resume ,f))
         (if (,= (,fiber/status ,f) :dead) (break))
         (def ,x ,k)
         ,;body)
       nil)))

(defmacro for
  "(for i start stop & body)\n\nRuns body with i counting from start up to (not including) stop."
  [i start stop & body]
  ~(loop [,i :range [,start ,stop]] ,;body))

(defmacro forv
  "(forv i start stop & body)\n\nA C-style counting loop whose variable i the body may change (unlike `for`, which binds each value afresh)."
  [i start stop & body]
  (with-syms [s]
    ~(do (var ,i ,start) (def ,s ,stop) (while (,< ,i ,s) ,;body (set ,i (,+ ,i 1))) nil)))

(defmacro repeat
  "(repeat n & body)\n\nRuns body n times."
  [n & body]
  (with-syms [i s]
    ~(do (var ,i 0) (def ,s ,n) (while (,< ,i ,s) ,;body (set ,i (,+ ,i 1))) nil)))

(defmacro forever
  "(forever & body)\n\nRuns body until a break (or an error or signal leaves it)."
  [& body]
  ~(while true ,;body))
