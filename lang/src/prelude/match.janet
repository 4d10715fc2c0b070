# `match`: Janet's pattern matching. Patterns: `_` (anything), symbols
# (bind), literals (compared with =), bracket tuples and arrays (indexed
# values with at least that many elements; `& rest` binds the remainder),
# structs and tables (dictionary values whose listed keys are non-nil and
# match), `(@ sym)` (equal to the value of sym) and `(pattern guard)` (the
# pattern matches and guard, evaluated with its bindings, is truthy).
# Clauses are tried in order; an odd final argument is the default.

(defn- match-pattern
  "Code that tests value symbol v against pat and, on success, binds and runs rest."
  [pat v rest]
  (cond
    (= pat '_) rest
    (symbol? pat) ~(do (def ,pat ,v) ,rest)
    (and (tuple? pat) (= (tuple/type pat) :parens))
    (cond
      (= (in pat 0) '@) ~(if (,= ,v ,(in pat 1)) ,rest)
      (= (in pat 0) 'quote) ~(if (,= ,v ,pat) ,rest)
      (match-pattern (in pat 0) v ~(if ,(in pat 1) ,rest)))
    (or (array? pat) (tuple? pat))
    (do
      (def amp (find-index (fn [x] (= x '&)) pat))
      (def n (if amp amp (length pat)))
      (var inner (if amp
                   (do (def r (gensym))
                       ~(do (def ,r (,slice ,v ,n)) ,(match-pattern (in pat (+ amp 1)) r rest)))
                   rest))
      (var i (- n 1))
      (while (>= i 0)
        (def e (gensym))
        (set inner ~(do (def ,e (,in ,v ,i)) ,(match-pattern (in pat i) e inner)))
        (-- i))
      ~(if (,indexed? ,v) (if (,>= (,length ,v) ,n) ,inner)))
    (dictionary? pat)
    (do
      (var inner rest)
      (each k (reverse (keys pat))
        (def e (gensym))
        (set inner ~(do (def ,e (,get ,v ,k)) (if (,= nil ,e) nil ,(match-pattern (in pat k) e inner)))))
      ~(if (,dictionary? ,v) ,inner))
    ~(if (,= ,v ,pat) ,rest)))

(defmacro match
  "(match x & cases)\n\nMatches x against each pattern in turn and evaluates the body of the first that matches (with its bindings); an odd last argument is the default. Returns nil when nothing matches."
  [x & cases]
  (with-syms [v done res]
    (def clauses @[])
    (var i 0)
    (def n (length cases))
    (while (< i n)
      (if (= i (- n 1))
        (array/push clauses ~(if ,done nil (do (set ,done true) (set ,res ,(in cases i)))))
        (array/push clauses
          ~(if ,done nil
             ,(match-pattern (in cases i) v ~(do (set ,done true) (set ,res ,(in cases (+ i 1))))))))
      (+= i 2))
    ~(do (def ,v ,x) (var ,done false) (var ,res nil) ,;clauses ,res)))
