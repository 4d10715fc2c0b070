# Tables with many integer keys: the array part growing and taking keys
# over from the hash part must never lose, duplicate or reorder a key.

# A scattered fill (keys land in the hash part first, then move).
(def n 20011)
(def t @{})
(for i 0 n (put t (% (* i 7919) n) i))
(check (= n (length t)))
(var ok true)
(for i 0 n (if (not= i (get t (% (* i 7919) n))) (set ok false)))
(check ok "every scattered key reads back")
(check (= nil (get t n)))
(check (= nil (get t -1)))

# Keys that are not indices share the table through every migration.
(def odd @{})
(each k [-1 -0.5 0.25 1.5 4294967296 4294967295 1e300 math/inf (- math/inf)]
  (put odd k k))
(for i 0 3000 (put odd (% (* i 7919) 3001) :v))
(each k [-1 -0.5 0.25 1.5 4294967296 4294967295 1e300 math/inf (- math/inf)]
  (check (= k (get odd k)) (string "odd key " k)))
(check (= (+ 3000 9) (length odd)))
(check (= (get odd 0) (get odd -0)))

# Keys at the array boundary: appending, one past, and removing.
(def b @{})
(for i 0 64 (put b i i))
(put b 65 :past)
(put b 64 :end)
(check (= :past (get b 65)))
(check (= :end (get b 64)))
(put b 64 nil)
(check (= nil (get b 64)))
(check (= 65 (length b)))

# Deleting every key while walking with `next` visits each once.
(def d @{})
(for i 0 5000 (put d (* 3 (% (* i 7919) 5003)) true))
(put d :kw 1)
(put d 0.5 2)
(var seen 0)
(var k (next d))
(while (not= nil k)
  (put d k nil)
  (++ seen)
  (set k (next d k)))
(check (= 5002 seen))
(check (= 0 (length d)))
(check (empty? (keys d)))

# nil removes; NaN is an error; prototypes see integer keys of the parent.
(def p @{})
(for i 0 1000 (put p (- 999 i) i))
(def c (table/setproto @{1 :own} p))
(check (= :own (get c 1)))
(check (= 997 (get c 2)))
(check (= nil (table/rawget c 2)))
(check-error (put p (/ 0 0) 1))
(check (= 1000 (length p)))

# Structs built from the same keys read the same.
(def s (table/to-struct t))
(var same true)
(for i 0 n (if (not= (get s i) (get t i)) (set same false)))
(check same "struct from a scattered table")
