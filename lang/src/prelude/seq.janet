# Sequence functions. They call user functions, so they live here in the
# language: user code called from them may yield.

(defn map "(map f ind & inds)\n\nArray of f applied to each element (in parallel over inds)." [f ind & inds]
  (def res @[])
  (if (= 0 (length inds))
    (each x ind (array/push res (f x)))
    (do
      (def all [ind ;inds])
      (var n (length ind))
      (each c inds (if (< (length c) n) (set n (length c))))
      (var i 0)
      (while (< i n)
        (def args @[])
        (each c all (array/push args (in c i)))
        (array/push res (f ;args))
        (++ i))))
  res)

(defn filter "(filter pred ind)\n\nArray of elements satisfying pred." [pred ind]
  (def res @[])
  (each x ind (if (pred x) (array/push res x)))
  res)

(defn keep "(keep pred ind)\n\nArray of the truthy results of pred." [pred ind]
  (def res @[])
  (each x ind (def y (pred x)) (if y (array/push res y)))
  res)

(defn reduce "(reduce f init ind)\n\nFolds ind with f starting at init." [f init ind]
  (var acc init)
  (each x ind (set acc (f acc x)))
  acc)

(defn reduce2 "(reduce2 f ind)\n\nFolds ind with f starting at its first element." [f ind]
  (var k (next ind nil))
  (if (= nil k) nil
    (do
      (var acc (in ind k))
      (set k (next ind k))
      (while (not= nil k) (set acc (f acc (in ind k))) (set k (next ind k)))
      acc)))

(defn count "(count pred ind)" [pred ind]
  (var n 0)
  (each x ind (if (pred x) (++ n)))
  n)

(defn mapcat "(mapcat f ind)" [f ind]
  (def res @[])
  (each x ind (array/concat res (f x)))
  res)

(defn find "(find pred ind &opt dflt)" [pred ind &opt dflt]
  (var res dflt)
  (each x ind (when (pred x) (set res x) (break)))
  res)

(defn find-index "(find-index pred ind &opt dflt)" [pred ind &opt dflt]
  (var res dflt)
  (var i 0)
  (def n (length ind))
  (while (< i n) (when (pred (in ind i)) (set res i) (break)) (++ i))
  res)

(defn any? "(any? ind)" [ind]
  (var res nil)
  (each x ind (when x (set res x) (break)))
  res)

(defn every? "(every? ind)" [ind]
  (var res true)
  (each x ind (unless x (set res x) (break)))
  res)

(defn range "(range & args)\n\n(range n), (range lo hi), (range lo hi step)." [& args]
  (def n (length args))
  (def [lo hi step]
    (cond (= n 1) [0 (in args 0) 1] (= n 2) [(in args 0) (in args 1) 1] [(in args 0) (in args 1) (in args 2)]))
  (def res @[])
  (var i lo)
  (if (> step 0)
    (while (< i hi) (array/push res i) (+= i step))
    (while (> i hi) (array/push res i) (+= i step)))
  res)

(defn sum "(sum xs)" [xs] (var s 0) (each x xs (+= s x)) s)
(defn product "(product xs)" [xs] (var s 1) (each x xs (*= s x)) s)
(defn first "(first xs)" [xs] (get xs 0))
(defn last "(last xs)" [xs] (get xs (- (length xs) 1)))
(defn take "(take n xs)" [n xs] (slice xs 0 (min n (length xs))))
(defn drop "(drop n xs)" [n xs] (slice xs (min n (length xs))))

(defn reverse "(reverse xs)\n\nA reversed array copy." [xs]
  (def res @[])
  (var i (- (length xs) 1))
  (while (>= i 0) (array/push res (in xs i)) (-- i))
  res)

# Quicksort for a language-level comparator (so it may yield): the median
# of three as pivot, and a Hoare-style partition in which elements equal to
# the pivot stop both scans and are swapped, so equal keys split evenly
# (a Lomuto partition sends them all one way: quadratic on few distinct
# keys). The bounds checks keep an inconsistent comparator in range.
(defn- sort-swap [a x y]
  (def t (in a x))
  (put a x (in a y))
  (put a y t))

(defn- sort-help [a lo hi before?]
  (var lo lo)
  (var hi hi)
  (while (< lo hi)
    (def mid (div (+ lo hi) 2))
    (when (before? (in a mid) (in a lo)) (sort-swap a lo mid))
    (when (before? (in a hi) (in a lo)) (sort-swap a lo hi))
    (when (before? (in a hi) (in a mid)) (sort-swap a mid hi))
    (def pivot (in a mid))
    (var i lo)
    (var j hi)
    (while (<= i j)
      (while (and (< i hi) (before? (in a i) pivot)) (++ i))
      (while (and (> j lo) (before? pivot (in a j))) (-- j))
      (when (<= i j)
        (sort-swap a i j)
        (++ i)
        (-- j)))
    # Recurse into the smaller side and loop on the larger: O(log n) depth.
    (if (< (- j lo) (- hi i))
      (do (sort-help a lo j before?) (set lo i))
      (do (sort-help a i hi before?) (set hi j))))
  a)

(defn sort "(sort ind &opt before?)\n\nSorts an array in place." [ind &opt before?]
  (sort-help ind 0 (- (length ind) 1) (if before? before? <)))

(defn sort-by "(sort-by f ind)" [f ind] (sort ind (fn [a b] (< (f a) (f b)))))
(defn sorted "(sorted ind &opt before?)" [ind &opt before?] (sort (array/slice ind) before?))
(defn sorted-by "(sorted-by f ind)" [f ind] (sort-by f (array/slice ind)))

(defn partial "(partial f & more)" [f & more] (fn [& r] (f ;more ;r)))
(defn complement "(complement f)" [f] (fn [& args] (not (f ;args))))
(defn comp "(comp & fs)" [& fs]
  (reduce2 (fn [f g] (fn [& args] (f (g ;args)))) fs))

(defn zipcoll "(zipcoll ks vs)" [ks vs]
  (def res @{})
  (var i 0)
  (def n (min (length ks) (length vs)))
  (while (< i n) (put res (in ks i) (in vs i)) (++ i))
  res)

(defn frequencies "(frequencies ind)" [ind]
  (def res @{})
  (each x ind (put res x (+ 1 (get res x 0))))
  res)

(defn distinct "(distinct xs)" [xs]
  (def seen @{})
  (def res @[])
  (each x xs (unless (get seen x) (put seen x true) (array/push res x)))
  res)

(defn interpose "(interpose sep ind)" [sep ind]
  (def res @[])
  (var first true)
  (each x ind (if first (set first false) (array/push res sep)) (array/push res x))
  res)

(defn flatten-into "(flatten-into into xs)" [into xs]
  (each x xs (if (indexed? x) (flatten-into into x) (array/push into x)))
  into)

(defn flatten "(flatten xs)" [xs] (flatten-into @[] xs))

(defn merge-into "(merge-into tab & colls)" [tab & colls]
  (each c colls (eachk k c (put tab k (in c k))))
  tab)

(defn merge "(merge & colls)" [& colls] (merge-into @{} ;colls))

(defn get-in "(get-in ds ks &opt dflt)" [ds ks &opt dflt]
  (var d ds)
  (each k ks (set d (get d k)))
  (if (= nil d) dflt d))

(defn put-in "(put-in ds ks v)" [ds ks v]
  (var d ds)
  (def n (length ks))
  (var i 0)
  (while (< i (- n 1))
    (def k (in ks i))
    (var nd (get d k))
    (when (= nil nd) (set nd @{}) (put d k nd))
    (set d nd)
    (++ i))
  (put d (in ks (- n 1)) v)
  ds)

(defn update "(update ds key f & args)" [ds key f & args]
  (put ds key (f (get ds key) ;args)))

(defn invert "(invert ds)" [ds]
  (def res @{})
  (eachk k ds (put res (in ds k) k))
  res)

(defn table/clone "(table/clone t)" [t] (merge-into @{} t))

(defn macex "(macex x)\n\nExpands every macro in x." [x]
  (var prev x)
  (var cur (macex1 x))
  (while (not (deep= prev cur)) (set prev cur) (set cur (macex1 cur)))
  (if (and (tuple? cur) (not= 'quote (get cur 0)))
    (tuple ;(map macex cur))
    cur))
