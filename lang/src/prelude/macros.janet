# General-purpose macros and combinators: threading (-> ->> -?> -?>> as->
# as?->), assignment (%= and the rest of the op= family), functional
# combinators (juxt, comp, partial, complement), compile-time choice
# (compif, compwhen), dynamic bindings (with-dyns), debugging (tracev).

(defmacro -?>
  "(-?> x & forms)\n\nLike ->, but stops and returns nil as soon as a step gives nil."
  [x & forms]
  (var acc x)
  (each n forms
    (def sym (gensym))
    (def call (if (tuple? n) (tuple (in n 0) sym ;(tuple/slice n 1)) (tuple n sym)))
    (set acc ~(do (def ,sym ,acc) (if (,= nil ,sym) nil ,call))))
  acc)

(defmacro -?>>
  "(-?>> x & forms)\n\nLike ->>, but stops and returns nil as soon as a step gives nil."
  [x & forms]
  (var acc x)
  (each n forms
    (def sym (gensym))
    (def call (if (tuple? n) (tuple ;n sym) (tuple n sym)))
    (set acc ~(do (def ,sym ,acc) (if (,= nil ,sym) nil ,call))))
  acc)

(defmacro as->
  "(as-> x as & forms)\n\nThreads x through forms, binding it to the symbol as in each."
  [x as & forms]
  (var acc x)
  (each n forms (set acc ~(do (def ,as ,acc) ,n)))
  acc)

(defmacro as?->
  "(as?-> x as & forms)\n\nLike as->, but stops and returns nil as soon as a step gives nil."
  [x as & forms]
  (var acc x)
  (each n forms (set acc ~(do (def ,as ,acc) (if (,= nil ,as) nil ,n))))
  acc)

(defmacro %=
  "(%= x & ns)\n\nSets x to (% x ;ns)."
  [x & ns]
  ~(set ,x (,% ,x ,;ns)))

(defmacro assert
  "(assert x &opt err)\n\nRaises err (or a message naming the form) when x is false or nil; otherwise returns x."
  [x &opt err]
  (with-syms [v]
    ~(do (def ,v ,x)
         (if ,v ,v (,error ,(if err err (string/format "assert failure in %j" x)))))))

(defn juxt*
  "(juxt* & funs)\n\nA function calling every fun with its arguments and returning the results as a tuple."
  [& funs]
  (fn [& args]
    (def res @[])
    (each f funs (array/push res (f ;args)))
    (tuple ;res)))

(defmacro juxt
  "(juxt & funs)\n\nA function calling every fun with its arguments and returning the results as a tuple."
  [& funs]
  (with-syms [args]
    ~(fn [& ,args] [,;(map (fn [f] ~(,f ;,args)) funs)])))

(defn comp
  "(comp & functions)\n\nThe composition of functions: ((comp f g) x) is (f (g x)). (comp) is identity."
  [& fs]
  (case (length fs)
    0 identity
    1 (in fs 0)
    (reduce2 (fn [f g] (fn [& args] (f (g ;args)))) fs)))

(defn partial
  "(partial f & more)\n\nA function calling f with more followed by its own arguments."
  [f & more]
  (if (= 0 (length more)) f (fn [& r] (f ;more ;r))))

(defn complement
  "(complement f)\n\nA function returning the logical opposite of f."
  [f]
  (fn [& args] (not (f ;args))))

(defmacro compif
  "(compif cnd tru &opt fals)\n\nEvaluates cnd at compile time and expands to tru if it is truthy, else fals."
  [cnd tru &opt fals]
  (if (eval cnd) tru fals))

(defmacro compwhen
  "(compwhen cnd & body)\n\nEvaluates cnd at compile time and expands to body if it is truthy, else nil."
  [cnd & body]
  (if (eval cnd) ~(do ,;body)))

(defmacro with-dyns
  "(with-dyns bindings & body)\n\nRuns body in a fiber whose environment sets the dynamic bindings (pairs of keyword and value) on top of the current one. Errors and signals pass through."
  [bindings & body]
  (def sets @[])
  (var i 0)
  (while (< i (length bindings))
    (array/push sets ~(,setdyn ,(in bindings i) ,(in bindings (+ i 1))))
    (set i (+ i 2)))
  ~(,resume (,fiber/new (fn [] ,;sets ,;body) :p)))

(defmacro tracev
  "(tracev x)\n\nPrints the form x and its value to stderr, then returns the value."
  [x]
  (with-syms [v] ~(do (def ,v ,x) (,eprintf "trace %j is %j" ',x ,v) ,v)))

(defmacro when-with
  "(when-with [binding ctor &opt dtor] & body)\n\nLike with, but runs nothing if ctor gives nil."
  [[binding ctor dtor] & body]
  ~(if-let [,binding ,ctor] (with [,binding ,binding ,;(if dtor [dtor] [])] ,;body)))

(defmacro if-with
  "(if-with [binding ctor &opt dtor] truthy &opt falsey)\n\nLike with, but runs falsey if ctor gives nil."
  [[binding ctor dtor] truthy &opt falsey]
  ~(if-let [,binding ,ctor] (with [,binding ,binding ,;(if dtor [dtor] [])] ,truthy) ,falsey))

(defmacro defmacro-
  "(defmacro- name & more)\n\nDefines a private macro."
  [name & more]
  (apply defn name :macro :private more))

(defn walk
  "(walk f form)\n\nApplies f to every element of form (indexed or dictionary, one level), keeping its kind; other values are returned as they are."
  [f form]
  (case (type form)
    :tuple (let [t (tuple ;(map f form))]
             (if (= :brackets (tuple/type form)) (tuple/brackets ;t) t))
    :array (map f form)
    :struct (do (def kv @[]) (eachp [k v] form (array/push kv (f k) (f v))) (struct ;kv))
    :table (do (def res @{}) (eachp [k v] form (put res (f k) (f v))) res)
    form))

(defn postwalk
  "(postwalk f form)\n\nWalks form depth first, applying f to each sub-form after its children."
  [f form]
  (f (walk (fn [x] (postwalk f x)) form)))

(defn prewalk
  "(prewalk f form)\n\nWalks form depth first, applying f to each sub-form before its children."
  [f form]
  (walk (fn [x] (prewalk f x)) (f form)))

(defmacro varfn
  "(varfn name & more)\n\nDefines a function like defn, but as a var: when name is already a var of the environment, that var is rebound to the new function, so code compiled against the old definition calls the new one. Returns the function."
  [name & more]
  (def expansion (apply defn name more))
  (def fbody (last expansion))
  (def modifiers (tuple/slice expansion 2 -2))
  (def metadata @{})
  (each m modifiers
    (cond
      (keyword? m) (put metadata m true)
      (string? m) (put metadata :doc m)
      (error (string "varfn: invalid metadata " (describe m)))))
  (with-syms [old entry f]
    ~(let [,old (dyn ',name)
           ,entry (if (and ,old (array? (get ,old :ref))) ,old @{:ref @[nil]})]
       (setdyn ',name ,entry)
       (def ,f ,fbody)
       (put (get ,entry :ref) 0 ,f)
       (merge-into ,entry ',metadata)
       ,f)))
