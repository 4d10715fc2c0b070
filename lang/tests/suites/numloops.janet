# Counted loops whose body is straight-line arithmetic run unboxed in the
# fast lane (vm/numloop.rs). Each loop here is checked against the same
# loop with a dead `(if false nil)` in its body, which keeps it out of that
# path (a jump) without changing what it computes or the fuel it spends.

(defn sum-to [n] (var s 0) (for i 1 (+ n 1) (set s (+ s i))) s)
(check (= 5000050000 (sum-to 100000)))
(check (= 0 (sum-to 0)) "a loop that never runs")
(check (= 120 (sum-to 15)) "too short to be loaded")

(defn mixed [n]
  (var a 0) (var b 1) (var c 0)
  (for i 0 n
    (set a (+ (* a 0.5) (/ i 3)))
    (set b (- (* b 1.0000001) 0.1))
    (set c (% (+ c (* i 7)) 1000003)))
  [a b c])
(defn mixed-boxed [n]
  (var a 0) (var b 1) (var c 0)
  (for i 0 n
    (if false nil)
    (set a (+ (* a 0.5) (/ i 3)))
    (set b (- (* b 1.0000001) 0.1))
    (set c (% (+ c (* i 7)) 1000003)))
  [a b c])
(check (deep= (mixed-boxed 50000) (mixed 50000))
       "the same f64 operations in the same order")
(check (not (deep= (mixed 50000) (mixed 50001))) "the inputs matter")

(defn last-seen [lo hi] (var last nil) (var k 0) (for i lo hi (set last i) (set k (* 2 k))) last)
(check (= 99 (last-seen 0 100)) "moves out of the counter")
(check (= 10 (last-seen 0 10.5)) "a fractional limit")
(check (= nil (last-seen 5 5)))

(defn with-consts [n] (var s 0) (for i 0 n (set s (+ s 0.1 1e12))) s)
(defn with-consts-boxed [n] (var s 0) (for i 0 n (if false nil) (set s (+ s 0.1 1e12))) s)
(check (= (with-consts-boxed 1000) (with-consts 1000)) "constants that are not small integers")

(defn nested [n m]
  (var s 0)
  (for i 0 n (for j 0 m (set s (+ s (* i j)))))
  s)
(check (= (* 45 45) (nested 10 10)) "short inner loops")
(check (= (* 4950 4950) (nested 100 100)))

# A register that is not a number: the loop declines and the general
# path runs it (an int64 accumulator through its operator methods).
(defn sum64 [n] (var s (int/s64 0)) (for i 0 n (set s (+ s i))) s)
(check (= (int/s64 499500) (sum64 1000)))
(defn sum-then-string [n] (var s 0) (for i 0 n (set s (+ s i))) (string s))
(check (= "4950" (sum-then-string 100)))

# Fuel: one unit per back edge either way, so a budgeted fiber pauses as
# often, and the work completes exactly once.
(defn rounds-for [body]
  (def f (fiber/new body :f))
  (var rounds 0)
  (while (not= :dead (fiber/status f))
    (fiber/set-fuel f 1000)
    (resume f)
    (++ rounds))
  [rounds (fiber/last-value f)])
(def fast-rounds (rounds-for (fn [] (var s 0) (for i 0 100000 (set s (+ s i))) s)))
(def boxed-rounds (rounds-for (fn [] (var s 0) (for i 0 100000 (if false nil) (set s (+ s i))) s)))
(check (deep= boxed-rounds fast-rounds) "the same pauses and the same result")
(check (> (first fast-rounds) 50) "the budget interrupts the loop")
(check (= 4999950000 (last fast-rounds)))
