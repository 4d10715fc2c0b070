# The first layer of the prelude: defn, defmacro and the core macros,
# written with only the special forms and natives.

(def defn :macro
  "(defn name & more)\n\nDefines a function."
  (fn defn [name & more]
    (var i 0)
    (def n (length more))
    (while (if (< i n) (not= :tuple (type (in more i)))) (set i (+ i 1)))
    (def meta (tuple/slice more 0 i))
    (def body (tuple/slice more i))
    ~(def ,name ,;meta (fn ,name ,;body))))

(def defmacro :macro
  "(defmacro name & more)\n\nDefines a macro."
  (fn defmacro [name & more] (apply defn name :macro more)))

(defmacro defn- "(defn- name & more)\n\nDefines a private function." [name & more]
  (apply defn name :private more))

(defmacro def- "(def- name & more)\n\nA private def." [name & more]
  ~(def ,name :private ,;more))

(defmacro var- "(var- name & more)\n\nA private var." [name & more]
  ~(var ,name :private ,;more))

(defmacro comment "(comment & body)\n\nIgnores its body." [& _] nil)

(defn nil? "(nil? x)" [x] (= x nil))
(defn true? "(true? x)" [x] (= x true))
(defn false? "(false? x)" [x] (= x false))
(defn number? "(number? x)" [x] (= (type x) :number))
(defn string? "(string? x)" [x] (= (type x) :string))
(defn buffer? "(buffer? x)" [x] (= (type x) :buffer))
(defn symbol? "(symbol? x)" [x] (= (type x) :symbol))
(defn keyword? "(keyword? x)" [x] (= (type x) :keyword))
(defn tuple? "(tuple? x)" [x] (= (type x) :tuple))
(defn array? "(array? x)" [x] (= (type x) :array))
(defn struct? "(struct? x)" [x] (= (type x) :struct))
(defn table? "(table? x)" [x] (= (type x) :table))
(defn fiber? "(fiber? x)" [x] (= (type x) :fiber))
(defn boolean? "(boolean? x)" [x] (= (type x) :boolean))
(defn function? "(function? x)" [x] (= (type x) :function))
(defn cfunction? "(cfunction? x)" [x] (= (type x) :cfunction))
(defn callable? "(callable? x)" [x] (if (function? x) true (cfunction? x)))
(defn indexed? "(indexed? x)" [x] (if (array? x) true (tuple? x)))
(defn dictionary? "(dictionary? x)" [x] (if (table? x) true (struct? x)))
(defn bytes? "(bytes? x)" [x]
  (def t (type x))
  (if (= t :string) true (if (= t :buffer) true (if (= t :symbol) true (= t :keyword)))))
(defn zero? "(zero? x)" [x] (= x 0))
(defn pos? "(pos? x)" [x] (> x 0))
(defn neg? "(neg? x)" [x] (< x 0))
(defn one? "(one? x)" [x] (= x 1))
# A 64-bit integer's mod is one too, which = never equals a number.
(defn even? "(even? x)\n\nTrue if x (a number or 64-bit integer) is even." [x]
  (def m (mod x 2))
  (if (number? m) (= m 0) (= 0 (compare m 0))))
(defn odd? "(odd? x)\n\nTrue if x (a number or 64-bit integer) is odd." [x]
  (def m (mod x 2))
  (if (number? m) (= m 1) (= 0 (compare m 1))))
(defn empty? "(empty? xs)" [xs] (= nil (next xs nil)))
(defn identity "(identity x)" [x] x)

(defn- idempotent? [x]
  (def t (type x))
  (if (= t :tuple) false (if (= t :array) false (if (= t :table) false (not= t :buffer)))))

(defmacro let "(let [bindings*] & body)\n\nBinds then evaluates body." [bindings & body]
  (if (odd? (length bindings)) (error "expected an even number of bindings to let"))
  (def accum @[])
  (var i 0)
  (def len (length bindings))
  (while (< i len)
    (array/push accum (tuple 'def (in bindings i) (in bindings (+ i 1))))
    (set i (+ i 2)))
  ~(do ,;accum ,;body))

(defmacro when "(when cond & body)" [cond & body] ~(if ,cond (do ,;body)))
(defmacro unless "(unless cond & body)" [cond & body] ~(if ,cond nil (do ,;body)))
(defmacro if-not "(if-not cond then &opt else)" [cond then &opt else] ~(if ,cond ,else ,then))

(defmacro cond "(cond & clauses)" [& pairs]
  (defn aux [i]
    (def restlen (- (length pairs) i))
    (if (= restlen 0) nil
      (if (= restlen 1) (in pairs i)
        (tuple 'if (in pairs i) (in pairs (+ 1 i)) (aux (+ 2 i))))))
  (aux 0))

(defmacro and "(and & forms)" [& forms]
  (var ret true)
  (var i (length forms))
  (while (> i 0)
    (set i (- i 1))
    (def fi (in forms i))
    (set ret
      (if (= ret true) fi
        (if (idempotent? fi) ~(if ,fi ,ret ,fi)
          (do (def sym (gensym)) ~(do (def ,sym ,fi) (if ,sym ,ret ,sym)))))))
  ret)

(defmacro or "(or & forms)" [& forms]
  (def len (length forms))
  (if (= len 0) nil
    (do
      (var i (- len 1))
      (var ret (in forms i))
      (while (> i 0)
        (set i (- i 1))
        (def fi (in forms i))
        (set ret
          (if (idempotent? fi) ~(if ,fi ,fi ,ret)
            (do (def sym (gensym)) ~(do (def ,sym ,fi) (if ,sym ,sym ,ret))))))
      ret)))

(defmacro case "(case dispatch & pairs)" [dispatch & pairs]
  (def atm (idempotent? dispatch))
  (def sym (if atm dispatch (gensym)))
  (defn aux [i]
    (def restlen (- (length pairs) i))
    (if (= restlen 0) nil
      (if (= restlen 1) (in pairs i)
        (tuple 'if (tuple = sym (in pairs i)) (in pairs (+ i 1)) (aux (+ i 2))))))
  (if atm (aux 0) ~(do (def ,sym ,dispatch) ,(aux 0))))

(defmacro ++ "(++ x)" [x] ~(set ,x (,+ ,x 1)))
(defmacro -- "(-- x)" [x] ~(set ,x (,- ,x 1)))
(defmacro += "(+= x & ns)" [x & ns] ~(set ,x (,+ ,x ,;ns)))
(defmacro -= "(-= x & ns)" [x & ns] ~(set ,x (,- ,x ,;ns)))
(defmacro *= "(*= x & ns)" [x & ns] ~(set ,x (,* ,x ,;ns)))
(defmacro /= "(/= x & ns)" [x & ns] ~(set ,x (,/ ,x ,;ns)))

(defmacro default "(default sym val)" [sym val] ~(def ,sym (if (= nil ,sym) ,val ,sym)))

(defmacro if-let "(if-let [x v] then &opt else)" [bindings tru &opt fal]
  (def len (length bindings))
  (if (= len 0) (error "expected at least 1 binding"))
  (defn aux [i]
    (if (>= i len) tru
      (do
        (def bl (in bindings i))
        (def br (in bindings (+ 1 i)))
        (def sym (if (symbol? bl) bl (gensym)))
        (def fsym (gensym))
        ~(do (def ,fsym ,br)
             (if ,fsym (do (def ,bl ,fsym) ,(aux (+ 2 i))) ,fal)))))
  (aux 0))

(defmacro when-let "(when-let [x v] & body)" [bindings & body]
  ~(if-let ,bindings (do ,;body)))

(defn- each-form-> [forms f]
  (var i 0)
  (while (< i (length forms)) (f (in forms i)) (set i (+ i 1))))

(defmacro -> "(-> x & forms)" [x & forms]
  (var acc x)
  (each-form-> forms (fn [n]
    (set acc (if (tuple? n)
               (tuple (in n 0) acc ;(tuple/slice n 1))
               (tuple n acc)))))
  acc)

(defmacro ->> "(->> x & forms)" [x & forms]
  (var acc x)
  (each-form-> forms (fn [n]
    (set acc (if (tuple? n) (tuple ;n acc) (tuple n acc)))))
  acc)

(defmacro short-fn "(short-fn body)\n\nThe |(...) reader form." [body]
  (var max-param -1)
  (var vararg false)
  (defn walk [x]
    (cond
      (symbol? x)
      (do
        (def s (string x))
        (when (= (in s 0) 36)
          (cond
            (= s "$") (if (< max-param 0) (set max-param 0))
            (= s "$&") (set vararg true)
            (do (def n (parse (string/slice s 1)))
              (if (number? n) (if (> n max-param) (set max-param n)))))))
      (indexed? x) (do (var i 0) (while (< i (length x)) (walk (in x i)) (set i (+ i 1))))
      (dictionary? x) (do (def ks (keys x)) (var i 0)
                        (while (< i (length ks)) (walk (in ks i)) (walk (get x (in ks i))) (set i (+ i 1))))))
  (walk body)
  # Past the compiler's register limit the fn would be refused anyway; stop
  # before building millions of parameter symbols (found by the fuzzer).
  (if (> max-param 32767)
    (error (string "short-fn: $" max-param " is past the parameter limit ($32767)")))
  (def params @[])
  (var i 0)
  (while (<= i max-param) (array/push params (symbol "$" i)) (set i (+ i 1)))
  (if vararg (do (array/push params '&) (array/push params '$&)))
  (def bind-dollar (if (>= max-param 0) ['$ '$0] []))
  ~(fn [,;params] (let [,;bind-dollar] ,body)))
