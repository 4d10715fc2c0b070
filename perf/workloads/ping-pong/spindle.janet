# ping-pong: 1,000,000 round trips between two fibers over two unbuffered
# channels. The main fiber sends i, the echo fiber answers i + 1; the main
# fiber prints the sum of the answers.
(def n 1000000)

(defn echo [ping pong]
  (fn []
    (for i 0 n
      (ev/give pong (+ 1 (ev/take ping))))))

(defn run []
  (def ping (ev/chan))
  (def pong (ev/chan))
  (ev/go (echo ping pong))
  (var sum 0)
  (for i 0 n
    (ev/give ping i)
    (set sum (+ sum (ev/take pong))))
  (print sum))

(run)
