# Fiber futexes, atomics and locks on spindle-sync's wait table.

(def a (ev/atomic 5))
(check (= :core/atomic (type a)))
(check (= 5 (:get a)))
(check (= 5 (:add a 2)))
(check (= 7 (:swap a 1)))
(check (:cas a 1 10))
(check (not (:cas a 1 11)))
(check (= 10 (:get a)))

# mismatch returns at once; wake counts are exact
(check (= :mismatch (ev/futex-wait a 3)))
(check (= 0 (ev/futex-wake a)))
(def waiters (map (fn [_] (ev/spawn (ev/futex-wait a 10))) (range 3)))
(ev/sleep 0.01)
(check (= 2 (ev/futex-wake a 2)))
(check (= 1 (ev/futex-wake a :all)))
(check (deep= @[:ok :ok :ok] (ev/join waiters)))
(check (= :timeout (ev/futex-wait a 10 0.01)))

# keyed futex over an array cell (handle keys: the wait table is process-wide,
# and other isolates may use the same integer or keyword keys)
(def flag (ev/atomic))
(def k42 (ev/atomic))
(def cell @[0])
(def w (ev/spawn (ev/futex-wait flag cell 0)))
(ev/sleep 0.01)
(put cell 0 1)
(check (= 1 (ev/futex-wake flag)))
(check (= :ok (ev/join w)))
(check (= :mismatch (ev/futex-wait flag cell 0)))

# a cancelled waiter leaves the table
(def cw (ev/spawn (ev/futex-wait k42 cell 1)))
(ev/sleep 0.01)
(ev/abort cw)
(check (= 0 (ev/futex-wake k42)))

# locks park fibers and keep critical sections whole
(def l (ev/lock))
(check (= :core/lock (type l)))
(var inside 0)
(var worst 0)
(defn critical []
  (ev/with-lock l
    (set inside (+ inside 1))
    (set worst (max worst inside))
    (ev/sleep 0.001)
    (set inside (- inside 1))))
(ev/join (map (fn [_] (ev/spawn (critical))) (range 10)))
(check (= worst 1))
(check (not (ev/lock-held? l)))
(check (ev/acquire-lock l))
(check-error (ev/acquire-lock l) "deadlock: lock already held by this task")
(check (= false (ev/join (ev/spawn (:try-acquire l)))))
(check (= false (ev/join (ev/spawn (ev/acquire-lock l 0.01)))))
(check-error (ev/join (ev/spawn (ev/release-lock l))))
(ev/release-lock l)
(check (ev/join (ev/spawn (def ok (:acquire l)) (:release l) ok)))

# fair handoff: a releaser that re-acquires at once cannot starve a waiter;
# one passed over for more than 1 ms is handed the lock
(def fair (ev/lock))
(ev/acquire-lock fair)
(var waiter-got nil)
(def fair-waiter (ev/spawn (ev/with-lock fair (set waiter-got true))))
(var rounds 0)
(while (and (not waiter-got) (< rounds 100000))
  (ev/release-lock fair)
  (ev/acquire-lock fair)
  (++ rounds)
  (ev/sleep 0))
(ev/release-lock fair)
(ev/join fair-waiter)
(check waiter-got "the waiter got the lock")
(check (< rounds 100000) "before the releaser's loop ran out")
(check (not (ev/lock-held? fair)))

# a waiter cancelled just after the lock was handed to it passes it on
(ev/acquire-lock fair)
(def handed (ev/spawn (ev/acquire-lock fair) :kept))
(ev/sleep 0.01)
(ev/release-lock fair)
(ev/cancel handed "stop")
(check (= [false "stop"] (ev/join-protected handed)))
(check (not (ev/lock-held? fair)) "the handed-over lock was given back")
(check (ev/join (ev/spawn (ev/with-lock fair :next))) "and the next task gets it")

# a timeout counts from the call, while the lock passes among the tasks
# queued in front
(ev/acquire-lock fair)
(var served 0)
(def ahead (map (fn [_] (ev/spawn (ev/with-lock fair (ev/sleep 0.02) (++ served)))) (range 5)))
(ev/sleep 0.005)
(def late (ev/spawn (ev/acquire-lock fair 0.05)))
(ev/sleep 0.005)
(ev/release-lock fair)
(check (= false (ev/join late)) "the late waiter timed out")
(ev/join ahead)
(check (= 5 served))
(check (not (ev/lock-held? fair)))
(check-error (ev/acquire-lock :nope) "bad slot #0, expected core/lock")
