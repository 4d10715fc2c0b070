# The VM's fast paths keep the semantics of the general ones: `%` and `put`
# compiled to register instructions whose slow paths are their natives' own
# (operator methods, put's errors), operands read in argument order, `get` on tables
# in the fast lane, loop counters bound without a copy, `if` and `set` for
# effect only, and direct self-calls.

# % takes the sign of x (C's fmod), also for the integer fast path.
(check (= 1 (% 7 3)))
(check (= -1 (% -7 3)))
(check (= 1 (% 7 -3)))
(check (= "-0" (string (% -4 2))))
(check (= "-0" (string (% -0 5))))
(check (= "0" (string (% 4 2))))
(check (= 1.5 (% 7.5 2)))
(check (nan? (% 1 0)))
(check (= 2 (% 9007199254740992 5)))
(check (= 5 (% 1e17 7)))
(check (= -5 (% -1e17 7)))
(check (= 2 (rem 10 4)))
(check (= (% 12345678 1000003) (rem 12345678 1000003)))
(check-error (% :a 1))
(check-error (% 1 "x"))
(def rem-of (fn [x y] (% x y)))
(check (= -2 (rem-of -17 5)))

# put: the table fast path returns the table; other kinds go to the native.
(def t @{})
(check (= t (put t 1 :one)))
(check (= :one (get t 1)))
(put t 1 nil)
(check (nil? (get t 1)))
(check (= 0 (length t)))
(check-error (put t (/ 0 0) 1))
(check-error (put t nil 1))
(check-error (put 1 2 3))
(def a @[])
(check (= a (put a 2 :x)))
(check (deep= @[nil nil :x] a))
(def b @"")
(put b 0 65)
(check (= "A" (string b)))
(put t :k 5)
(check (= 5 (get t :k)))
(for i 0 1000 (put t (% (* i 7919) 1009) i))
(var found 0)
(for k 0 1009 (if (get t k) (++ found)))
(check (= 1000 found))

# get on a table follows prototypes when the key is missing.
(def base @{5 :five})
(def child (table/setproto @{6 :six} base))
(check (= :five (get child 5)))
(check (= :six (get child 6)))
(check (nil? (get child 7)))
(check (nil? (get @{} 0)))
(check (nil? (get @{1 2} (/ 0 0))))

# Each iteration of for binds its value afresh, also without a copy.
(def fns @[])
(for i 0 3 (array/push fns (fn [] i)))
(check (deep= @[0 1 2] (map |($) fns)))
(var sum 0)
(for i 0 5 (for j i 3 (set sum (+ sum j))))
(check (= 8 sum))
(def seen @[])
(loop [i :range [0 3]] (def j i) (array/push seen (* j 10)))
(check (deep= @[0 10 20] seen))
# A def of a visible var is still a copy: the var may change later.
(var v 1)
(def c v)
(set v 2)
(check (= 1 c))
(check (= 2 v))

# if and set for effect leave the right values where values are used.
(var n 0)
(def r (do (if (> 1 0) (set n 5)) n))
(check (= 5 r))
(check (nil? (if false 1)))
(check (= 7 (do (var q 0) (set q 7))))
(var hits 0)
(for k 0 10 (if (even? k) (do (++ hits) (set hits hits))))
(check (= 5 hits))
(check (nil? (for k 0 2 k)))
(check (nil? (while false 1)))

# Self-calls: exact arity goes direct; other arities still check.
(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(check (= 6765 (fib 20)))
(defn opt [x &opt y] (if (nil? y) (opt x 1) (+ x y)))
(check (= 3 (opt 2)))
(defn bad [x] (if (= x 0) (bad) x))
(check-error (bad 0))
(defn many [& xs] (if (empty? xs) 0 (+ 1 (many ;(slice xs 1)))))
(check (= 3 (many 1 2 3)))
(defn deep [n] (if (= n 0) 0 (+ 1 (deep (- n 1)))))
(check (= 5000 (deep 5000)))

# Multiplication by a small constant (MulK) keeps * semantics and errors.
(def three 3)
(check (= 21 (* three 7)))
(check (= -6 (* three -2)))
(check (= 1.5 (* 0.5 three)))
(check (= "-0" (string (* -0 3))))
(check (nan? (* (/ 0 0) 2)))
(check-error (* :a 2))
(check (= 6 (* three 2 1)))

# A local of the function's own name shadows it: that call is not a self-call.
(defn sh [x] (let [sh (fn [y] (* y 10))] (sh x)))
(check (= 30 (sh 3)))
(defn sh2 [sh2] (if (function? sh2) (sh2 4) 0))
(check (= 8 (sh2 |(* 2 $))))

# % on non-numbers: the :% / :r% operator methods, as the native does.
(def modder @{:% (fn [self y] [:left y]) :r% (fn [self x] [:right x])})
(check (deep= [:left 3] (% modder 3)))
(check (deep= [:right 3] (% 3 modder)))
(def modder-kid (table/setproto @{} modder))
(check (deep= [:left 4] (% modder-kid 4)) "the method is found through the prototype")
(check (= "could not find method :% for :a, or :r% for 1"
          (try (% :a 1) ([e] e))))
(check (= "could not find method :% for nil, or :r% for nil"
          (try (% nil nil) ([e] e))))
(def %-of (fn [x y] (% x y)))
(check (deep= [:left 2] (%-of modder 2)))
(check (= 1 (%-of 10 3)))
(check (nan? (%-of (/ 0 0) 3)))

# put: every key and collection kind, in a function so the registers are locals.
(defn put-all [ds k v] (put ds k v))
(def pt @{})
(check (= pt (put-all pt 1.5 :x)))
(check (= :x (get pt 1.5)))
(check (= pt (put-all pt -1 :neg)))
(check (= :neg (get pt -1)))
(check (= pt (put-all pt :kw 1)))
(check (= pt (put-all pt "str" 2)))
(check (= 2 (get pt "str")))
(check (= pt (put-all pt 4294967296 :big)))
(check (= :big (get pt 4294967296)))
(put-all pt -0 :zero)
(check (= :zero (get pt 0)) "-0 and 0 are one key")
(check (= "cannot use nil as a table key" (try (put-all pt nil 1) ([e] e))))
(check (= "cannot use nan as a table key" (try (put-all pt (/ 0 0) 1) ([e] e))))
(check-error (put-all 1 2 3))
(check-error (put-all [1 2] 0 3))
(check-error (put-all @[] -1 3))
(check-error (put-all @[] :k 3))
(check (deep= @[7] (put-all @[] 0 7)))
# A table with a prototype: put sets the table's own key, get still inherits.
(def proto-t @{1 :p 2 :p})
(def kid (table/setproto @{} proto-t))
(put-all kid 1 :own)
(check (= :own (get kid 1)))
(check (= :p (get kid 2)))
(check (= :p (get proto-t 1)))
(put-all kid 1 nil)
(check (= :p (get kid 1)) "removing the own key shows the prototype's again")
# (set (ds k) v) gives v and goes through the same instruction.
(def st @{})
(check (= 9 (set (st 3) 9)))
(check (= 9 (get st 3)))
(check-error (set (st nil) 1))

# Operands are the values the arguments had, left to right, even when a
# later argument changes a var (Janet evaluates arguments in order).
(defn order []
  (var x 1)
  (def sum (+ x (do (set x 5) 1)))
  (var y 10)
  (def lt (< y (do (set y 0) 5)))
  (var z 7)
  (def m (% z (do (set z 100) 4)))
  (var t @{})
  (def t0 t)
  (put t (do (set t @{}) :k) :v)
  (var u @{:a 1})
  (def got (get u (do (set u @{}) :a)))
  (var w 2)
  (def prod (* w w (do (set w 3) 1)))
  [sum lt m (get t0 :k) (get t :k) got prod])
(check (deep= [2 false 3 :v nil 1 4] (order)))

# Hot code (more than a few thousand steps in the fast lane) runs over a
# fixed register window: same results, same fallbacks, also for frames too
# big for the window and for code resumed in other fibers.
(defn hot-sum [n] (var s 0) (for i 0 n (set s (+ s (% i 7)))) s)
(check (= 299995 (hot-sum 100000)))
(defn hot-then-bad [] (var s 0) (for i 0 10000 (set s (+ s i))) (+ s "x"))
(check-error (hot-then-bad))
(check (= "could not find method :+ for 49995000, or :r+ for \"x\""
          (try (hot-then-bad) ([e] e))))
(defn hot-deep [n] (if (= n 0) 0 (+ 1 (hot-deep (- n 1)))))
(check (= 20000 (hot-deep 20000)))
(check (= 832040 (fib 30)))
(def hot-table @{})
(for i 0 20000 (put hot-table (% (* i 7919) 20011) i))
(var hot-found 0)
(for k 0 20011 (if (get hot-table k) (++ hot-found)))
(check (= 20000 hot-found))
(def big-let
  (tuple/brackets ;(mapcat (fn [i] [(symbol "a" i) i]) (range 300))))
(def big-fn
  (eval ~(fn [] (let ,big-let (var s 0) (for i 0 10000 (set s (+ s a299))) s))))
(check (= 2990000 (big-fn)) "a frame of more than 256 registers")
(var gen-sum 0)
(each x (generate [i :range [0 10000]] i) (set gen-sum (+ gen-sum x)))
(check (= 49995000 gen-sum))
(def hot-fibers
  (seq [j :range [0 4]]
    (fiber/new (fn [] (var s 0) (for i 0 5000 (set s (+ s i)) (if (= 0 (% i 1000)) (yield s))) s))))
(var rounds 0)
(while (some |(not= :dead (fiber/status $)) hot-fibers)
  (each f hot-fibers (when (not= :dead (fiber/status f)) (resume f)))
  (++ rounds))
(check (= 6 rounds))
(check (every? (map |(= 12497500 (fiber/last-value $)) hot-fibers)))
