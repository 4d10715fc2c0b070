# Sum 1..50,000,000 inside a function: a loop-heavy benchmark.
(defn loop-sum [n]
  (var s 0)
  (for i 1 (+ n 1)
    (+= s i))
  s)

(print (loop-sum 50000000))
