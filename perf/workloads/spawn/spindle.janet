# spawn: start 100,000 tasks; each yields to the event loop once
# (ev/sleep 0) and then reports its number on an unbuffered channel. The main
# fiber takes all the reports and prints their sum.
(def n 100000)

(defn task [ch i]
  (fn []
    (ev/sleep 0)
    (ev/give ch i)))

(defn run []
  (def ch (ev/chan))
  (for i 0 n
    (ev/go (task ch i)))
  (var sum 0)
  (for i 0 n
    (set sum (+ sum (ev/take ch))))
  (print sum))

(run)
