# Seed 000 (Janet event loop docs): two workers in tasks, shortened sleeps.
(defn worker
 "Does some work."
 [name n]
 (for i 0 n
  (print name " working " i "...")
  (ev/sleep 0.05))
 (print name " is done!"))
(ev/call worker "bob" 3)
(ev/sleep 0.025)
(ev/go (fiber/new |(worker "sally" 4)))
(ev/sleep 0.3)
(print "Everyone should be done by now!")
