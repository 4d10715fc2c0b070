# sort: sort 1,000,000 floats in [0, 1) drawn from the Park-Miller LCG
# (x <- x * 16807 mod 2^31-1, seed 42; exact in doubles), then print a
# checksum: the sum of floor(a[i] * 1e6) over every 1000th element.
(def n 1000000)
(def m 2147483647)

(defn run []
  (def a (array/new n))
  (var x 42)
  (for i 0 n
    (set x (% (* x 16807) m))
    (array/push a (/ x m)))
  (sort a)
  (var sum 0)
  (var i 0)
  (while (< i n)
    (set sum (+ sum (math/floor (* (get a i) 1000000))))
    (set i (+ i 1000)))
  (print sum))

(run)
