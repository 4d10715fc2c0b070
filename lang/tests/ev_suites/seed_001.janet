# Seed 001 (Elle's concurrency guide): its examples, adapted to the dialect
# where the seed's spelling differs (`(import std/sync)` gives `sync/...`
# instead of a module function; `sync:make-lock` becomes `sync/make-lock`),
# each checked against the result the seed documents. std/process (the OTP
# part) is not built yet.

# Spawn and join
(def f (ev/spawn (fn [] (+ 1 2))))
(check (= 3 (ev/join f)) "=> 3")
(def [a b] (ev/join [(ev/spawn (fn [] :first))
                     (ev/spawn (fn [] :second))]))
(check (= [:first :second] [a b]) "a sequence joins in input order")

# Parallel map
(check (deep= @[1 4 9 16] (ev/map (fn [x] (* x x)) [1 2 3 4])) "=> [1 4 9 16]")
(check (deep= @[1 4 9 16] (ev/map-limited (fn [x] (* x x)) [1 2 3 4] 2)))

# Error handling
(check (= 3 (let [[ok? val] (ev/join-protected (ev/spawn (fn [] (+ 1 2))))]
              (if ok? val :failed))) "=> 3")
(check (= :failed (let [[ok? val] (ev/join-protected (ev/spawn (fn [] (error :no))))]
                    (if ok? val :failed))) "a failing task gives [false err]")

# Select, race, timeout
(check (= :fast (ev/race [(ev/spawn (fn [] :fast))
                          (ev/spawn (fn [] (ev/sleep 1) :slow))])) "=> :fast")
(check (= 3 (ev/timeout 5 (fn [] (+ 1 2)))) "=> 3")
(check (nil? (ev/timeout 0.01 (fn [] (ev/sleep 1) :late))) "nil on timeout")
(def [done remaining] (ev/select [(ev/spawn (fn [] (ev/sleep 0.2) :slow))
                                  (ev/spawn (fn [] :quick))]))
(check (= :quick (ev/join done)) "select returns the first to finish")
(check (= 1 (length remaining)))

# Scoped concurrency
(check (deep= {:users :users :settings :settings}
              (ev/scope (fn [spawn]
                          (let [a (spawn (fn [] :users))
                                b (spawn (fn [] :settings))]
                            {:users (ev/join a) :settings (ev/join b)})))))
(var sibling-unwound false)
(check (= :child-failed
          (try
            (ev/scope (fn [spawn]
                        (spawn (fn [] (defer (set sibling-unwound true) (ev/sleep 10))))
                        (spawn (fn [] (error :child-failed)))
                        (ev/sleep 10)))
            ([e] e))) "a failing child fails the scope")
(check sibling-unwound "the other children are aborted, their defers run")

# Abort and as-completed
(var cleaned false)
(def long (ev/spawn (fn [] (defer (set cleaned true) (ev/sleep 10)))))
(ev/sleep 0)
(ev/abort long)
(check cleaned "ev/abort runs defer blocks")
(def [next-done pool] (ev/as-completed [(ev/spawn (fn [] (ev/sleep 0.05) 2))
                                        (ev/spawn (fn [] 1))]))
(check (= 1 (ev/join (next-done))))
(check (= 2 (ev/join (next-done))))
(check (nil? (next-done)) "nil once the pool is empty")

# TCP (Elle returns ports; here streams)
(def listener (tcp/listen "127.0.0.1" 0))
(def port (in (net/localname listener) 1))
(def server (ev/spawn (fn []
                        (def conn (tcp/accept listener))
                        (:write conn (string "echo:" (:read conn 100)))
                        (:close conn))))
(def client (tcp/connect "127.0.0.1" port))
(:write client "hi")
(check (= "echo:hi" (string (:read client 100))))
(ev/join server)
(:close client)
(:close listener)

# Synchronization (lib/sync): the seed's method-call spelling works on handles
(import std/sync)
(def lock (sync/make-lock))
(lock:acquire)
(check (lock:held?) "obj:method sugar calls the method")
(lock:release)
(check (not (:held? lock)))
(var in-section 0)
(var max-in-section 0)
(ev/join (seq [i :range [0 5]]
  (ev/spawn
    (lock:acquire)
    (++ in-section)
    (set max-in-section (max max-in-section in-section))
    (ev/sleep 0.001)
    (-- in-section)
    (lock:release))))
(check (= 1 max-in-section) "one fiber at a time in the critical section")
(def sem (sync/make-semaphore 2))
(check (:acquire sem))
(check (:try-acquire sem))
(check (not (:try-acquire sem)) "n permits")
(:release sem) (:release sem)
(def gate (sync/make-latch))
(def opened (ev/spawn (:wait gate) :through))
(:open gate)
(check (= :through (ev/join opened)) "a latch, once opened, lets waiters through")
(var inits 0)
(def once (sync/make-once (fn [] (++ inits) :cached)))
(check (deep= @[:cached :cached :cached] (ev/map (fn [_] (:get once)) [1 2 3])))
(check (= 1 inits) "all callers get the cached result")
(def q (sync/make-queue 1))
(def producer (ev/spawn (for i 0 3 (:put q i)) (:close q)))
(check (deep= @[0 1 2] (seq [_ :iterate (let [x (:take q)] (if (= x sync/closed) nil x))] _)))
(ev/join producer)
