# Tasks on the event loop: ev/go, ev/call, ev/spawn, ev/sleep, ev/cancel,
# ev/join, ev/join-protected, ev/abort, ev/all-tasks, supervisors.

# ev/spawn body-or-thunk rule
(check (= 3 (ev/join (ev/spawn (fn [] (+ 1 2))))))
(defn worker [] :worked)
(check (= :worked (ev/join (ev/spawn worker))))
(check (= 7 (ev/join (ev/spawn (def a 3) (+ a 4)))))
(check (function? (ev/join (ev/spawn nil worker))))
(check (= :k (ev/join (ev/spawn :k))))
(check (= 10 (ev/join (ev/call + 1 2 3 4))))
(check (= :v (ev/join (ev/go (fn [x] x) :v))))
(check (= :f (ev/join (ev/go (fiber/new (fn [x] x)) :f))))
(check-error (ev/go 12))

# ev/sleep orders tasks; (ev/sleep 0) yields once
(def order @[])
(def t1 (ev/spawn (ev/sleep 0.03) (array/push order :slow)))
(def t2 (ev/spawn (ev/sleep 0.01) (array/push order :fast)))
(def t3 (ev/spawn (array/push order :now)))
(ev/join [t1 t2 t3])
(check (deep= order @[:now :fast :slow]))
(def yields @[])
(ev/join [(ev/spawn (array/push yields 1) (ev/sleep 0) (array/push yields 3))
          (ev/spawn (array/push yields 2))])
(check (deep= yields @[1 2 3]))

# tasks interleave only at suspension points
(var counter 0)
(ev/join (map (fn [_] (ev/spawn (repeat 100 (set counter (+ counter 1))) (ev/sleep 0))) (range 10)))
(check (= counter 1000))

# ev/join: errors re-raise, any number of joiners, sequences in order
(def bad (ev/spawn (error "boom")))
(check-error (ev/join bad) "boom")
(check-error (ev/join bad) "boom")
(check (deep= @[1 2 3] (ev/join [(ev/spawn 1) (ev/spawn (ev/sleep 0.01) 2) (ev/spawn 3)])))
(check-error (ev/join [(ev/spawn (ev/sleep 0.01) 1) (ev/spawn (error :early))]) :early)
(def waiter (ev/spawn (ev/sleep 0.01) :late))
(check (deep= @[:late :late] (ev/join [(ev/spawn (ev/join waiter)) (ev/spawn (ev/join waiter))])) "two joiners")
(check (= :late (ev/join waiter)))
(check (= :late (ev/join (ev/spawn (ev/join waiter)))))

# ev/join-protected never raises
(check (deep= [true 5] (ev/join-protected (ev/spawn 5))))
(check (deep= [false "x"] (ev/join-protected (ev/spawn (error "x")))))
(check (deep= @[[true 1] [false :e]] (ev/join-protected [(ev/spawn 1) (ev/spawn (error :e))])))

# ev/cancel is asynchronous: the error is raised at the suspension point
(def ct (ev/spawn (ev/sleep 10) :never))
(ev/cancel ct "stop")
(check-error (ev/join ct) "stop")
(check-error (ev/cancel (fiber/new (fn [] 1)) "x") "cannot cancel non-task fiber")
(def caught (ev/spawn (try (ev/sleep 10) ([e] [:caught e]))))
(ev/sleep 0)
(ev/cancel caught :why)
(check (deep= [:caught :why] (ev/join caught)))
(def done-task (ev/spawn 1))
(ev/join done-task)
(ev/cancel done-task "late")
(check (= 1 (ev/join done-task)) "cancel of a finished task does nothing")

# ev/abort waits for defers to run
(def log @[])
(def ab (ev/spawn (defer (array/push log :deferred) (ev/sleep 10))))
(ev/sleep 0)
(check (nil? (ev/abort ab)))
(check (deep= log @[:deferred]))
(check-error (ev/join ab) "aborted")
(check (nil? (ev/abort ab)) "abort of a finished task")
(def ab2 (ev/spawn (ev/sleep 10)))
(ev/abort ab2 :custom)
(check-error (ev/join ab2) :custom)

# cancel through nested fibers (try/defer) reaches the innermost wait
(def nested (ev/spawn (protect (defer (array/push log :inner) (ev/sleep 10)))))
(ev/sleep 0)
(ev/cancel nested :deep)
(check (deep= [false :deep] (ev/join nested)))
(check (= :inner (last log)))

# ev/all-tasks
(def sleeper (ev/spawn (ev/sleep 10)))
(check (find (fn [t] (= t sleeper)) (ev/all-tasks)))
(ev/abort sleeper)
(check (not (find (fn [t] (= t sleeper)) (ev/all-tasks))))

# supervisors get [status task id]
(def sup (ev/chan 10))
(def st (ev/go (fn [] :fine) nil sup))
(def m1 (ev/take sup))
(check (= :ok (in m1 0)))
(check (= st (in m1 1)))
(check (number? (in m1 2)))
(def ft (ev/go (fn [] (error "bad")) nil sup))
(def m2 (ev/take sup))
(check (= :error (in m2 0)))
(check (= ft (in m2 1)))
(check-error (ev/join ft) "bad")
(def gt (ev/go (fn [] (ev/give-supervisor :progress 1 2) :x) nil sup))
(check (deep= [:progress 1 2] (ev/take sup)))
(check (= :ok (in (ev/take sup) 0)))
(check (nil? (ev/give-supervisor :nobody)))

# Unboxed counted loops (vm/numloop.rs) in tasks: the isolate's quantum
# interrupts them at a back edge and they resume where they were.
(def loop-results @[])
(defn task-sum [k] (var s 0) (for i 0 200000 (set s (+ s (* i k)))) (array/push loop-results [k s]))
(ev/gather (task-sum 1) (task-sum 2) (task-sum 3))
(check (deep= @[[1 19999900000] [2 39999800000] [3 59999700000]] (sort loop-results)))

# A task parked where its fiber only returns the result (a tail give or
# take) lets go of its registers; it must still resume with the value,
# keep its closure's captures, and fail with a trace when cancelled there.
(def tail-ch (ev/chan))
(defn tail-take [ch] (def unused @[1 2 3]) (ev/take ch))
(def tail-t (ev/go (fn [] (tail-take tail-ch))))
(gccollect)
(ev/give tail-ch :handed)
(check (= :handed (ev/join tail-t)))
(def cap-ch (ev/chan))
(def captured (let [k 41] (ev/go (fn [] (ev/give cap-ch (fn [] (+ k 1)))))))
(check (= 42 ((ev/take cap-ch))))
(ev/join captured)
(def leaf-ch (ev/chan))
(def leaves (seq [i :range [0 5]] (ev/go (fn [] (ev/give leaf-ch i)))))
(gccollect)
(check (= 10 (sum (seq [_ :range [0 5]] (ev/take leaf-ch)))))
(check (deep= @[leaf-ch leaf-ch leaf-ch leaf-ch leaf-ch] (ev/join leaves)))
(def cancel-ch (ev/chan))
(def cancelled (ev/go (fn [] (tail-take cancel-ch))))
(ev/sleep 0)
(ev/cancel cancelled "stop")
(def [ok err] (ev/join-protected cancelled))
(check (not ok))
(check (= "stop" err))
(check (= 0 (ev/count cancel-ch)))
# A nested fiber that awaits in tail position hands the value through.
(def nest-ch (ev/chan))
(def nested (ev/go (fn [] (resume (fiber/new (fn [] (ev/take nest-ch)) :e)))))
(ev/give nest-ch :deep)
(check (= :deep (ev/join nested)))
