# Collection and sequence functions beyond the engine's minimal set. They
# take user functions, so they are written in the language (user code
# called from them may yield).

(defn accumulate
  "(accumulate f init ind)\n\nLike reduce, but returns an array of every intermediate value."
  [f init ind]
  (var acc init)
  (def res @[])
  (each x ind (set acc (f acc x)) (array/push res acc))
  res)

(defn accumulate2
  "(accumulate2 f ind)\n\nLike reduce2, but returns an array of every intermediate value."
  [f ind]
  (def res @[])
  (var k (next ind nil))
  (when (not= nil k)
    (var acc (in ind k))
    (array/push res acc)
    (set k (next ind k))
    (while (not= nil k)
      (set acc (f acc (in ind k)))
      (array/push res acc)
      (set k (next ind k))))
  res)

(defn index-of
  "(index-of x ind &opt dflt)\n\nThe first key of ind whose value is x, or dflt."
  [x ind &opt dflt]
  (var k (next ind nil))
  (var res dflt)
  (while (not= nil k)
    (when (= x (in ind k)) (set res k) (break))
    (set k (next ind k)))
  res)

(defn some
  "(some pred ind)\n\nThe first truthy value of (pred x) over ind, or nil."
  [pred ind]
  (var res nil)
  (each x ind (def y (pred x)) (when y (set res y) (break)))
  res)

(defn every?
  "(every? ind)\n\nThe first falsey element of ind, or true if there is none."
  [ind]
  (var res true)
  (each x ind (unless x (set res x) (break)))
  res)

(defn reverse!
  "(reverse! arr)\n\nReverses arr in place and returns it."
  [arr]
  (var i 0)
  (var j (- (length arr) 1))
  (while (< i j)
    (def t (in arr i))
    (put arr i (in arr j))
    (put arr j t)
    (++ i)
    (-- j))
  arr)

(defn group-by
  "(group-by f ind)\n\nA table from each (f x) to the array of elements x giving it."
  [f ind]
  (def res @{})
  (each x ind
    (def k (f x))
    (if-let [arr (in res k)] (array/push arr x) (put res k @[x])))
  res)

(defn partition
  "(partition n ind)\n\nAn array of the consecutive n-sized slices of ind (the last may be shorter)."
  [n ind]
  (assert (> n 0) "partition size must be positive")
  (def res @[])
  (var i 0)
  (def len (length ind))
  (while (< i len)
    (array/push res (slice ind i (min len (+ i n))))
    (+= i n))
  res)

(defn partition-by
  "(partition-by f ind)\n\nSplits ind into arrays of consecutive elements for which f gives the same value."
  [f ind]
  (def res @[])
  (var cur nil)
  (var prev nil)
  (var started false)
  (each x ind
    (def k (f x))
    (if (and started (= k prev))
      (array/push cur x)
      (do (set cur @[x]) (array/push res cur)))
    (set prev k)
    (set started true))
  res)

(defn interleave
  "(interleave & cols)\n\nAn array of the first elements of every col, then the second ones, up to the shortest."
  [& cols]
  (def res @[])
  (if (= 0 (length cols)) res
    (do
      (def n (min ;(map length cols)))
      (for i 0 n (each c cols (array/push res (in c i))))
      res)))

(defn kvs
  "(kvs dict)\n\nAn array [k1 v1 k2 v2 ...] of the entries of dict."
  [dict]
  (def res @[])
  (eachp [k v] dict (array/push res k v))
  res)

(defn- take-or-drop-while [pred ind take?]
  (def n (length ind))
  (var i 0)
  (while (and (< i n) (pred (in ind i))) (++ i))
  (if take? (slice ind 0 i) (slice ind i)))

(defn take-while
  "(take-while pred ind)\n\nThe leading elements of ind that satisfy pred."
  [pred ind]
  (take-or-drop-while pred ind true))

(defn drop-while
  "(drop-while pred ind)\n\nind without its leading elements that satisfy pred."
  [pred ind]
  (take-or-drop-while pred ind false))

(defn take-until
  "(take-until pred ind)\n\nThe leading elements of ind up to the first that satisfies pred."
  [pred ind]
  (take-or-drop-while (complement pred) ind true))

(defn drop-until
  "(drop-until pred ind)\n\nind from the first element that satisfies pred."
  [pred ind]
  (take-or-drop-while (complement pred) ind false))

(defn take
  "(take n ind)\n\nThe first n elements of ind (of a fiber: its first n yields, as an array)."
  [n ind]
  (if (fiber? ind)
    (do (def res @[]) (var i 0)
      (when (> n 0) (each x ind (array/push res x) (++ i) (if (>= i n) (break))))
      res)
    (slice ind 0 (max 0 (min n (length ind))))))

(defn drop
  "(drop n ind)\n\nind without its first n elements (negative n drops from the end)."
  [n ind]
  (def len (length ind))
  (if (>= n 0)
    (slice ind (min n len))
    (slice ind 0 (max 0 (+ len n)))))

(defn butlast
  "(butlast xs)\n\nxs without its last element."
  [xs]
  (slice xs 0 (max 0 (- (length xs) 1))))

(defn last
  "(last xs)\n\nThe last element of xs, or nil if it is empty."
  [xs]
  (def n (length xs))
  (if (> n 0) (in xs (- n 1))))

(defn update-in
  "(update-in ds ks f & args)\n\nSets the value at key path ks in ds (creating tables as needed) to (f old ;args); returns ds."
  [ds ks f & args]
  (put-in ds ks (f (get-in ds ks) ;args)))

(defn table/proto-flatten
  "(table/proto-flatten tab)\n\nA new table with the entries of tab and all of its prototypes merged (nearest wins)."
  [tab]
  (def chain @[])
  (var t tab)
  (while t (array/push chain t) (set t (table/getproto t)))
  (def res @{})
  (each t (reverse chain) (eachk k t (put res k (table/rawget t k))))
  res)

(defn compare=
  "(compare= x y)\n\nTrue if (compare x y) is 0."
  [x y] (= 0 (compare x y)))
(defn compare<
  "(compare< x y)\n\nTrue if x is before y by compare."
  [x y] (< (compare x y) 0))
(defn compare<=
  "(compare<= x y)\n\nTrue if x is not after y by compare."
  [x y] (<= (compare x y) 0))
(defn compare>
  "(compare> x y)\n\nTrue if x is after y by compare."
  [x y] (> (compare x y) 0))
(defn compare>=
  "(compare>= x y)\n\nTrue if x is not before y by compare."
  [x y] (>= (compare x y) 0))

(defn deep-not=
  "(deep-not= x y)\n\nThe negation of deep=."
  [x y] (not (deep= x y)))

(defn extreme
  "(extreme order args)\n\nThe element of args that is most extreme by order (a two-argument predicate)."
  [order args]
  (var res nil)
  (var first true)
  (each x args (if (or first (order x res)) (set res x)) (set first false))
  res)

(defn max-of
  "(max-of args)\n\nThe largest number in args."
  [args] (extreme > args))

(defn min-of
  "(min-of args)\n\nThe smallest number in args."
  [args] (extreme < args))

(defn mean
  "(mean xs)\n\nThe arithmetic mean of xs."
  [xs] (/ (sum xs) (length xs)))

(defn nat?
  "(nat? x)\n\nTrue if x is a non-negative integer."
  [x] (and (int? x) (>= x 0)))

(defn sort
  "(sort ind &opt before?)\n\nSorts the array ind in place and returns it; before? (default <) orders two elements. With < or > the sort runs natively; any other before? is called from the language, so it may yield."
  [ind &opt before?]
  (cond
    (or (= nil before?) (= before? <)) (sort-natural ind)
    (= before? >) (sort-natural ind true)
    (sort-help ind 0 (- (length ind) 1) before?)))

(defn sorted
  "(sorted ind &opt before?)\n\nA sorted copy of ind (see sort)."
  [ind &opt before?]
  (sort (array/slice ind) before?))

(defn sort-by
  "(sort-by f ind)\n\nSorts ind in place by the value of (f x)."
  [f ind]
  (sort ind (fn [a b] (< (f a) (f b)))))

(defn sorted-by
  "(sorted-by f ind)\n\nA sorted copy of ind, by the value of (f x)."
  [f ind]
  (sort-by f (array/slice ind)))

(defn array/join
  "(array/join arr & parts)\n\nAppends the elements of every part to arr; returns arr."
  [arr & parts]
  (each p parts (array/concat arr p))
  arr)

(defn file/lines
  "(file/lines file)\n\nA lazy iterator (a fiber) yielding each line of file as a buffer, with its newline. Each step may park to read."
  [file]
  (coro
    (var line (file/read file :line))
    (while line
      (yield line)
      (set line (file/read file :line)))))


(def- replace-first-native string/replace)
(def- replace-all-native string/replace-all)

(defn string/replace
  "(string/replace patt subst str)\n\nReplaces the first patt in str with subst. If subst is a function it is called with patt (only when patt occurs) and its result is used."
  [patt subst str]
  (if (and (function? subst) (string/find patt str))
    (replace-first-native patt (subst patt) str)
    (replace-first-native patt (if (function? subst) "" subst) str)))

(defn string/replace-all
  "(string/replace-all patt subst str)\n\nReplaces every patt in str with subst. If subst is a function it is called with patt (only when patt occurs) and its result is used."
  [patt subst str]
  (if (and (function? subst) (string/find patt str))
    (replace-all-native patt (subst patt) str)
    (replace-all-native patt (if (function? subst) "" subst) str)))

(defn has-key?
  "(has-key? ds key)\n\nTrue if ds has a non-nil value at key."
  [ds key]
  (not= nil (get ds key)))

(defn has-value?
  "(has-value? ds value)\n\nTrue if some value of ds equals value."
  [ds value]
  (var res false)
  (each x ds (when (= x value) (set res true) (break)))
  res)

(defn freeze
  "(freeze x)\n\nAn immutable deep copy of x: arrays become tuples, tables structs, buffers strings."
  [x]
  (case (type x)
    :array (tuple ;(map freeze x))
    :tuple (tuple ;(map freeze x))
    :table (do (def kv @[]) (eachp [k v] x (array/push kv (freeze k) (freeze v))) (struct ;kv))
    :struct (do (def kv @[]) (eachp [k v] x (array/push kv (freeze k) (freeze v))) (struct ;kv))
    :buffer (string x)
    x))

(defn thaw
  "(thaw x)\n\nA mutable deep copy of x: tuples become arrays, structs tables, strings buffers are kept as strings."
  [x]
  (case (type x)
    :array (map thaw x)
    :tuple (map thaw x)
    :table (do (def res @{}) (eachp [k v] x (put res (thaw k) (thaw v))) res)
    :struct (do (def res @{}) (eachp [k v] x (put res (thaw k) (thaw v))) res)
    x))

(defn table/clear
  "(table/clear tab)\n\nRemoves every entry of tab; returns tab."
  [tab]
  (each k (keys tab) (put tab k nil))
  tab)

(defn xprint
  "(xprint to & xs)\n\nprint to the buffer or file to."
  [to & xs]
  (with-dyns [:out to] (print ;xs)))

(defn xprin
  "(xprin to & xs)\n\nprin to the buffer or file to."
  [to & xs]
  (with-dyns [:out to] (prin ;xs)))

(defn xprintf
  "(xprintf to fmt & xs)\n\nprintf to the buffer or file to."
  [to fmt & xs]
  (with-dyns [:out to] (printf fmt ;xs)))
