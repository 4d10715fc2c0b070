# Structured concurrency: gather, race, timeout, scope, map, map-limited,
# as-completed, select over tasks, deadlines.

(check (deep= @[1 2 3] (ev/gather 1 (do (ev/sleep 0.01) 2) 3)))
(def unwound @[])
(check-error (ev/gather (do (ev/sleep 0.01) (error :first))
                        (defer (array/push unwound :sibling) (ev/sleep 10)))
             :first)
(check (deep= unwound @[:sibling]) "siblings unwound before gather raised")
(check (deep= @[:a :b] (ev/go-gather [(fn [] :a) (fn [] :b)])))

# race
(check (= :fast (ev/race [(ev/spawn (ev/sleep 10) :slow) (ev/spawn (ev/sleep 0.01) :fast)])))
(check-error (ev/race [(ev/spawn (ev/sleep 10) :slow) (ev/spawn (error :oops))]) :oops)

# timeout: value, error, default
(check (= 5 (ev/timeout 1 (fn [] 5))))
(check-error (ev/timeout 1 (fn [] (error :inner))) :inner)
(def gave-up @{})
(def tlog @[])
(check (= gave-up (ev/timeout 0.01 (fn [] (defer (array/push tlog :unwound) (ev/sleep 10))) gave-up)))
(check (deep= tlog @[:unwound]))
(check (nil? (ev/timeout 0.01 (fn [] (ev/sleep 10)))))
(check (nil? (ev/timeout 1 (fn [] nil))) "nil result")

# scope
(check (deep= [1 2] (ev/scope (fn [spawn]
                               (def a (spawn (fn [] (ev/sleep 0.01) 1)))
                               (def b (spawn (fn [] 2)))
                               [(ev/join a) (ev/join b)]))))
(def slog @[])
(check-error (ev/scope (fn [spawn]
                         (spawn (fn [] (defer (array/push slog :child) (ev/sleep 10))))
                         (spawn (fn [] (ev/sleep 0.01) (error :child-failed)))
                         :body))
             :child-failed)
(check (deep= slog @[:child]))
(check-error (ev/scope (fn [spawn]
                         (spawn (fn [] (defer (array/push slog :child2) (ev/sleep 10))))
                         (ev/sleep 0)
                         (error :body-failed)))
             :body-failed)
(check (= :child2 (last slog)))

# map, map-limited
(check (deep= @[2 4 6] (ev/map (fn [x] (ev/sleep 0) (* 2 x)) [1 2 3])))
(check-error (ev/map (fn [x] (if (= x 2) (error :two) x)) [1 2 3]) :two)
(var in-flight 0)
(var peak 0)
(check (deep= @[1 2 3 4 5 6] (ev/map-limited (fn [x]
                                                (set in-flight (+ in-flight 1))
                                                (set peak (max peak in-flight))
                                                (ev/sleep 0.001)
                                                (set in-flight (- in-flight 1))
                                                x)
                                              [1 2 3 4 5 6] 2)))
(check (= peak 2))
(check-error (ev/map-limited (fn [x] (if (= x 3) (error :three) x)) [1 2 3 4] 2) :three)

# as-completed
(def [nxt pool] (ev/as-completed [(ev/spawn (ev/sleep 0.02) :b) (ev/spawn (ev/sleep 0.01) :a)]))
(check (= :a (ev/join (nxt))))
(array/push pool (ev/spawn :c))
(def rest @[(ev/join (nxt)) (ev/join (nxt))])
(check (deep= (sort rest) @[:b :c]))
(check (nil? (nxt)))

# select over tasks (Elle form)
(def ta (ev/spawn (ev/sleep 0.01) :ta))
(def tb (ev/spawn (ev/sleep 10) :tb))
(def [done remaining] (ev/select [ta tb]))
(check (= done ta))
(check (deep= remaining @[tb]))
(ev/abort tb)

# deadlines
(check-error (ev/with-deadline 0.01 (ev/sleep 10)) "deadline expired")
(check (= :quick (ev/with-deadline 1 (ev/sleep 0) :quick)))
(def dl (ev/spawn (ev/deadline 0.01) (ev/sleep 10)))
(check-error (ev/join dl) "deadline expired")
