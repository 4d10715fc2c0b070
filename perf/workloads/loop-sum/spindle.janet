# loop-sum: sum 1..50,000,000 in a loop inside a function.
(defn sum-to [n]
  (var s 0)
  (for i 1 (+ n 1)
    (set s (+ s i)))
  s)

(print (sum-to 50000000))
