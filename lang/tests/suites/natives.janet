# Natives called from the VM's fast lane (in place, without leaving the
# dispatch loop) behave exactly as through the general call path: results,
# arity and type errors, traces naming the caller's file:line, natives that
# suspend, re-enter the VM or collect, splices and `apply`, and natives with
# more arguments than the lane passes in place (8).

# hot loops over natives (long enough to run in the windowed lane)
(defn count-lengths [x n]
  (var s 0)
  (for i 0 n (set s (+ s (length x))))
  s)
(check (= 300000 (count-lengths @[1 2 3] 100000)))
(check (= 0 (count-lengths "" 10000)))
(defn push-squares [n]
  (def a @[])
  (for i 0 n (array/push a (* i i)))
  a)
(def sq (push-squares 10000))
(check (= 10000 (length sq)))
(check (= 81 (in sq 9)))
(check (= (* 9999 9999) (last sq)))

# natives that allocate in a hot loop: under gc-stress every one of them is
# followed by a collection while the caller's registers hold the values
(defn strings-of [n]
  (def out @[])
  (var prev "")
  (for i 0 n
    (def s (string/format "%d-%s" i prev))
    (set prev (string i))
    (array/push out s))
  out)
(def ss (strings-of (if _stress 300 5000)))
(check (= "0-" (in ss 0)))
(check (= "1-0" (in ss 1)))
(check (= "42-41" (in ss 42)))
(check (= (string/join (map string (range 5))) (string/join (map string (range 5)))))
(defn buffer-build [n]
  (def b @"")
  (for i 0 n (buffer/push-string b (string (% i 10))))
  (string b))
(check (= "0123456789012" (buffer-build 13)))

# wrong arity and bad arguments, raised from a native inside a hot loop
(defn len-none [n] (for i 0 n (length)))
(check (= "arity mismatch, expected 1, got 0" (try (len-none 10) ([e] e))))
(defn len-two [n] (for i 0 n (length 1 2)))
(check (= "arity mismatch, expected 1, got 2" (try (len-two 10) ([e] e))))
(defn push-bad [n]
  (var k 0)
  (for i 0 n
    (set k i)
    (array/push (if (< i 50) @[] :not-an-array) i))
  k)
(check (string/find "expected array" (try (push-bad 100) ([e] e))))
# the loop ran up to the bad call, and not past it
(var reached 0)
(defn push-bad-at [n]
  (for i 0 n
    (set reached i)
    (array/push (if (< i 50) @[] :oops) i)))
(try (push-bad-at 100) ([e] e))
(check (= 50 reached) "the error is raised at the call that failed")

# the trace names the caller's frame and its line
(defn len-fails [x]
  (for i 0 100
    (length x)))
(def lf (fiber/new (fn [] (len-fails 7)) :e))
(resume lf)
(check (= :error (fiber/status lf)))
(def trace @"")
(with-dyns [:err trace] (debug/stacktrace lf (fiber/last-value lf)))
(check (string/find "in len-fails [" trace) "the native's caller is named")
(check (string/find "on line 68, column" trace) "the caller's line is the call's")
(check (string/find "expected iterable, got 7" trace))
# a native's error caught and the loop continued
(defn caught [n]
  (var errs 0)
  (for i 0 n
    (try (length i) ([e] (++ errs))))
  errs)
(check (= 200 (caught 200)))

# natives that suspend: yield from a hot loop, resumed many times
(defn gen [n] (fiber/new (fn [] (for i 0 n (yield (length (string i)))))))
(def g (gen 20000))
(var total 0)
(while (let [v (resume g)] (when (number? v) (+= total v) true)))
(check (= (+ 10 (* 2 90) (* 3 900) (* 4 9000) (* 5 10000)) total))
(check (= :dead (fiber/status g)))
# a signal from a native inside nested fibers lands at the right one
(def outer
  (fiber/new
    (fn []
      (def inner (fiber/new (fn [] (for i 0 3 (yield (* 10 i)))) :y))
      (def got @[])
      (for i 0 3 (array/push got (resume inner)))
      got)))
(check (deep= @[0 10 20] (resume outer)))

# natives that re-enter the VM or collect, called from the lane
(defn evals [n]
  (var s 0)
  (for i 0 n (set s (+ s (eval ~(+ ,i 1)))))
  s)
(check (= (+ 10 (* 9 5)) (evals 10)))
(defn collects [n]
  (def keep @[])
  (for i 0 n
    (array/push keep @[i])
    (gccollect))
  keep)
(def kept (collects 50))
(check (deep= @[49] (last kept)) "values live across a collection inside a native")
(check (= 50 (length kept)))

# apply and splices reach natives through the general path
(check (= 3 (apply length [[1 2 3]])))
(check (= 2 (length ;[[1 2]])))
(defn apply-loop [n]
  (var s 0)
  (for i 0 n (set s (+ s (apply length [(range i)]))))
  s)
(check (= 45 (apply-loop 10)))
(check-error (apply length []))
(check-error (length ;[1 2]))

# more than 8 arguments: the general path
(check (= "12345678910" (string 1 2 3 4 5 6 7 8 9 10)))
(check (= "12345678" (string 1 2 3 4 5 6 7 8)))
(check (= 12 (max 1 2 3 4 5 6 7 8 9 10 11 12)))
(defn many [n]
  (var s "")
  (for i 0 n (set s (string 0 1 2 3 4 5 6 7 8 i)))
  s)
(check (= "0123456789" (many 10)))

# natives in tail position (a tail call the lane makes as a plain call,
# followed by the function's return)
(defn tail-len [x] (length x))
(defn tail-loop [n]
  (var s 0)
  (for i 0 n (set s (+ s (tail-len [i i i]))))
  s)
(check (= 30000 (tail-loop 10000)))
(defn tail-bad [x] (length x))
(check (= "expected iterable, got 3" (try (tail-bad 3) ([e] e))))
(defn tail-yield [x] (yield x))
(def ty (fiber/new (fn [] (for i 0 3 (tail-yield (* i 2))) :end)))
(check (deep= @[0 2 4 :end] (seq [_ :range [0 4]] (resume ty))))
(defn tail-apply [xs] (apply string xs))
(check (= "abc" (tail-apply ["a" "b" "c"])))

# the fuel natives on the running fiber see and set its current budget
# (they are called outside the lane, where the run loop has charged it)
(def fueled
  (fiber/new
    (fn []
      (def a (fiber/fuel (fiber/current)))
      (for i 0 100 (+ i 1))
      (def b (fiber/fuel (fiber/current)))
      (fiber/set-fuel (fiber/current) 1000000)
      (for i 0 10 (+ i 1))
      (def c (fiber/fuel (fiber/current)))
      (fiber/clear-fuel (fiber/current))
      (for i 0 10 (+ i 1))
      [a b c (fiber/fuel (fiber/current))])
    :f))
(fiber/set-fuel fueled 5000)
(def [fa fb fc fd] (resume fueled))
(check (= 5000 fa))
(check (< 4800 fb 5000) "the loop's reductions are charged before fiber/fuel reads")
(check (< 999900 fc 1000000) "a budget set by the fiber itself is kept")
(check (= nil fd) "and so is clearing it")
