# skynet: a tree of fibers with fan-out 10 and 1,000,000 leaves (1,111,111
# fibers in all). Each leaf reports its number; each inner fiber sums its ten
# children's reports (taken from its own unbuffered channel) and reports the
# sum to its parent. Prints the sum at the root.
(def leaves 1000000)
(def fan-out 10)

(var node nil)

(defn task [ch num size]
  (fn [] (node ch num size)))

(set node
  (fn [ch num size]
    (if (= size 1)
      (ev/give ch num)
      (do
        (def sub (ev/chan))
        (def step (/ size fan-out))
        (for i 0 fan-out
          (ev/go (task sub (+ num (* i step)) step)))
        (var sum 0)
        (for i 0 fan-out
          (set sum (+ sum (ev/take sub))))
        (ev/give ch sum)))))

(defn run []
  (def ch (ev/chan))
  (ev/go (task ch 0 leaves))
  (print (ev/take ch)))

(run)
