# Seed 000: an unreliable worker restarted through its supervisor channel,
# then a long sleep cancelled with ev/cancel (its error is reported).
(def channel (ev/chan))
(var counter 0)
(defn worker
 "A worker that is unreliable and sometimes fails."
 []
 (repeat 50
  (ev/sleep 0.001)
  (when (> 0.05 (math/random))
    (error "unexpected error"))
  (++ counter))
 (print "worker finished normally!"))
(defn start-worker
  "Start a worker with the given channel as its supervisor"
  []
  (ev/go (fiber/new worker :tp) nil channel))
(start-worker)
(start-worker)
(forever
  (def [status fiber] (ev/take channel))
  (print "worker completed with status :" status)
  (if (>= counter 100) (break))
  (start-worker))
(def f (ev/spawn (print "starting long io...") (ev/sleep 10000) (print "finished long io!")))
(ev/sleep 0.02)
(ev/cancel f "canceled")
(print "done")
