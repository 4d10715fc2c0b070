# Natives that park, called from hot loops in the VM's fast lane: the task
# must suspend inside ev/give, ev/take and ev/sleep and resume at the very
# call, with the call's value in the caller's register.

# ping-pong: two tasks, two unbuffered channels, every give and take parks
(defn ping-pong [n]
  (def ping (ev/chan))
  (def pong (ev/chan))
  (ev/go (fn [] (for i 0 n (ev/give pong (+ 1 (ev/take ping))))))
  (var sum 0)
  (for i 0 n
    (ev/give ping i)
    (set sum (+ sum (ev/take pong))))
  sum)
(def n 2000)
(check (= (/ (* n (+ n 1)) 2) (ping-pong n)))

# a taker's loop mixes parking and non-parking natives on one value
(defn lengths [n]
  (def ch (ev/chan 4))
  (ev/spawn (for i 0 n (ev/give ch (string/repeat "x" (% i 7)))) (ev/chan-close ch))
  (var total 0)
  (var s (ev/take ch))
  (while s
    (set total (+ total (length s)))
    (set s (ev/take ch)))
  total)
(check (= (sum (map |(% $ 7) (range 1000))) (lengths 1000)))

# ev/sleep 0 parks on a timer in the middle of a counting loop
(defn sleepy [n]
  (var k 0)
  (for i 0 n
    (ev/sleep 0)
    (set k (+ k (length [i i]))))
  k)
(check (= 200 (sleepy 100)))

# a parking native's error in a loop: the third give parks, the close wakes
# it with nil, and the fourth raises
(defn give-until-closed []
  (def ch (ev/chan))
  (ev/spawn (ev/take ch) (ev/take ch) (ev/chan-close ch))
  (var sent 0)
  (def r (protect (for i 0 10 (ev/give ch i) (++ sent))))
  [sent r])
(def [sent r] (give-until-closed))
(check (= 3 sent))
(check (deep= [false "cannot write to closed channel"] r))

# parking natives in tail position, as skynet's leaves give
(defn give-tail [ch x] (ev/give ch x))
(defn take-tail [ch] (ev/take ch))
(defn tail-pp [n]
  (def ch (ev/chan))
  (ev/go (fn [] (for i 0 n (give-tail ch i))))
  (var s 0)
  (for i 0 n (set s (+ s (take-tail ch))))
  s)
(check (= (/ (* 999 1000) 2) (tail-pp 1000)))
