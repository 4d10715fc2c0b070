# Control flow built on fibers and loops: with-syms, try, protect, defer,
# edefer, with, errorf, assert, coro, each, for, loop, repeat.

(defmacro with-syms "(with-syms [syms*] & body)\n\nBinds each sym to a fresh gensym." [syms & body]
  (def bindings @[])
  (var i 0)
  (while (< i (length syms))
    (array/push bindings (in syms i))
    (array/push bindings (tuple gensym))
    (set i (+ i 1)))
  ~(let [,;bindings] ,;body))

(defn errorf "(errorf fmt & args)\n\nRaises a formatted error." [fmt & args]
  (error (string/format fmt ;args)))

(defmacro try "(try body catch)\n\nRuns body; on error binds [err fib] and runs the handler." [body catch]
  (def binding (in catch 0))
  (def err (in binding 0))
  (def fib (in binding 1))
  (def handler (tuple/slice catch 1))
  (with-syms [f r]
    ~(do
       (def ,f (,fiber/new (fn [] ,body) :ie))
       (def ,r (,resume ,f))
       (if (,= (,fiber/status ,f) :error)
         (do (def ,(if err err (gensym)) ,r)
             ,;(if fib [~(def ,fib ,f)] [])
             ,;handler)
         ,r))))

(defmacro protect "(protect & body)\n\nReturns [true value] or [false err]." [& body]
  (with-syms [f r]
    ~(do
       (def ,f (,fiber/new (fn [] ,;body) :ie))
       (def ,r (,resume ,f))
       [(,not= :error (,fiber/status ,f)) ,r])))

(defmacro defer "(defer form & body)\n\nRuns form after body, however body exits." [form & body]
  (with-syms [f r]
    ~(do
       (def ,f (,fiber/new (fn [] ,;body) :ti))
       (def ,r (,resume ,f))
       ,form
       (if (,= (,fiber/status ,f) :dead) ,r (,propagate ,r ,f)))))

(defmacro edefer "(edefer form & body)\n\nRuns form only if body raised." [form & body]
  (with-syms [f r]
    ~(do
       (def ,f (,fiber/new (fn [] ,;body) :ti))
       (def ,r (,resume ,f))
       (if (,= (,fiber/status ,f) :dead) ,r (do ,form (,propagate ,r ,f))))))

(defmacro with "(with [binding ctor &opt dtor] & body)\n\nReleases the resource on exit." [[binding ctor dtor] & body]
  ~(do
     (def ,binding ,ctor)
     ,(apply defer (tuple (if dtor dtor :close) binding) body)))

(defmacro assert "(assert x &opt err)" [x &opt err]
  (with-syms [v]
    ~(do (def ,v ,x)
         (if ,v ,v (,error ,(if err err (string/format "assert failure in %j" x)))))))

(defmacro coro "(coro & body)\n\nA generator fiber around body." [& body]
  ~(,fiber/new (fn [] ,;body) :yi))

(defmacro each "(each x ds & body)\n\nLoops over the values of ds (or a fiber's yields)." [x ds & body]
  (with-syms [d k]
    ~(do
       (def ,d ,ds)
       (if (,= :fiber (,type ,d))
         (while true
           (def ,k (,resume ,d))
           (if (,= (,fiber/status ,d) :dead) (break))
           (def ,x ,k)
           ,;body)
         (do
           (var ,k (,next ,d nil))
           (while (,not= nil ,k)
             (def ,x (,in ,d ,k))
             ,;body
             (set ,k (,next ,d ,k)))))
       nil)))

(defmacro eachk "(eachk k ds & body)\n\nLoops over the keys of ds." [x ds & body]
  (with-syms [d k]
    ~(do
       (def ,d ,ds)
       (var ,k (,next ,d nil))
       (while (,not= nil ,k)
         (def ,x ,k)
         ,;body
         (set ,k (,next ,d ,k))))))

(defmacro eachp "(eachp [k v] ds & body)\n\nLoops over [key value] pairs of ds." [x ds & body]
  (with-syms [d k]
    ~(do
       (def ,d ,ds)
       (var ,k (,next ,d nil))
       (while (,not= nil ,k)
         (def ,x [,k (,in ,d ,k)])
         ,;body
         (set ,k (,next ,d ,k))))))

(defmacro for "(for i start stop & body)\n\nCounts i from start below stop." [i start stop & body]
  (with-syms [s]
    ~(do
       (var ,i ,start)
       (def ,s ,stop)
       (while (,< ,i ,s)
         ,;body
         (set ,i (,+ ,i 1))))))

(defmacro repeat "(repeat n & body)" [n & body]
  (with-syms [i s]
    ~(do (var ,i 0) (def ,s ,n) (while (,< ,i ,s) ,;body (set ,i (,+ ,i 1))))))

(defmacro forever "(forever & body)" [& body] ~(while true ,;body))

(defn- loop1 [body head i]
  (if (>= i (length head))
    ~(do ,;body)
    (do
      (def binding (in head i))
      (def verb (in head (+ i 1)))
      (def object (in head (+ i 2)))
      (def rest (loop1 body head (+ i (if (keyword? binding) 2 3))))
      (if (keyword? binding)
        (case binding
          :while ~(if ,verb ,rest (break))
          :until ~(if ,verb (break) ,rest)
          :when ~(if ,verb ,rest)
          :unless ~(if ,verb nil ,rest)
          :let ~(let ,verb ,rest)
          :before ~(do ,verb ,rest)
          :after ~(do ,rest ,verb)
          :repeat (with-syms [c] ~(do (var ,c 0) (while (,< ,c ,verb) (set ,c (,+ ,c 1)) ,rest)))
          (errorf "unexpected loop modifier %v" binding))
        (case verb
          :range (with-syms [v e st]
                   (def [lo hi step] (if (indexed? object) object [0 object]))
                   (def sym (if (symbol? binding) binding v))
                   ~(do (var ,sym ,lo) (def ,e ,hi) (def ,st ,(if step step 1))
                        (while (,< ,sym ,e)
                          ,(if (symbol? binding) rest ~(do (def ,binding ,sym) ,rest))
                          (set ,sym (,+ ,sym ,st)))))
          :range-to (with-syms [v e st]
                      (def [lo hi step] object)
                      ~(do (var ,v ,lo) (def ,e ,hi) (def ,st ,(if step step 1))
                           (while (,<= ,v ,e) (def ,binding ,v) ,rest (set ,v (,+ ,v ,st)))))
          :down (with-syms [v e st]
                  (def [hi lo step] object)
                  ~(do (var ,v ,hi) (def ,e ,lo) (def ,st ,(if step step 1))
                       (while (,> ,v ,e) (def ,binding ,v) ,rest (set ,v (,- ,v ,st)))))
          :down-to (with-syms [v e st]
                     (def [hi lo step] object)
                     ~(do (var ,v ,hi) (def ,e ,lo) (def ,st ,(if step step 1))
                          (while (,>= ,v ,e) (def ,binding ,v) ,rest (set ,v (,- ,v ,st)))))
          :keys ~(eachk ,binding ,object ,rest)
          :pairs ~(eachp ,binding ,object ,rest)
          :in ~(each ,binding ,object ,rest)
          (errorf "unexpected loop verb %v" verb))))))

(defmacro loop "(loop [bindings*] & body)\n\nJanet's general loop." [head & body]
  ~(do ,(loop1 body head 0) nil))

(defmacro seq "(seq [bindings*] & body)\n\nCollects body values into an array." [head & body]
  (with-syms [res]
    ~(do (def ,res @[]) (loop ,head (,array/push ,res (do ,;body))) ,res)))

(defmacro generate "(generate [bindings*] & body)\n\nA fiber yielding body values." [head & body]
  ~(,fiber/new (fn [] (loop ,head (yield (do ,;body)))) :yi))

(defmacro tabseq "(tabseq [bindings*] key value)" [head k v]
  (with-syms [res]
    ~(do (def ,res @{}) (loop ,head (,put ,res ,k ,v)) ,res)))

(defmacro doc "(doc sym)\n\nPrints the docstring of sym." [sym]
  ~(print (get (dyn ',sym) :doc "no documentation")))

(defmacro tracev "(tracev x)" [x]
  (with-syms [v] ~(do (def ,v ,x) (eprintf "%j is %j" ',x ,v) ,v)))

(defn eprintf "(eprintf fmt & xs)" [fmt & xs] (eprint (string/format fmt ;xs)))

(defn fiber/abort "(fiber/abort fiber &opt reason)\n\nStops fiber: a :new one never runs, a suspended one is cancelled (its defers run), a finished one is left alone. Returns the final status." [f &opt reason]
  (default reason "aborted")
  (case (fiber/status f)
    :new (fiber/kill f reason)
    :dead :dead
    :error :error
    (do
      (def w (fiber/new (fn [] (cancel f reason)) :e))
      (resume w)
      (fiber/status f))))

(def abort "(abort fiber &opt reason)\n\nAlias of fiber/abort." fiber/abort)
