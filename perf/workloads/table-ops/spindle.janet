# table-ops: insert 1,000,000 integer keys (scattered by a multiplicative
# hash modulo the prime 1000003), then look up the keys 0..999,999; print how
# many were found and the sum of the values found.
(def n 1000000)
(def p 1000003)

(defn run []
  (def t @{})
  (for i 0 n
    (put t (% (* i 7919) p) i))
  (var found 0)
  (var sum 0)
  (for k 0 n
    (def v (get t k))
    (if v
      (do
        (set found (+ found 1))
        (set sum (+ sum v)))))
  (print found)
  (print sum))

(run)
