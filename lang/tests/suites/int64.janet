# 64-bit integers: operators through methods (:+ :r+ ... :compare), equality,
# hashing, printing, polymorphic compare (after Janet's suite-inttypes).
(def i64 int/s64)
(def u64 int/u64)

# Operators, compiled as instructions (both operand orders) and as values.
(check (= 3 (int/to-number (+ (i64 1) 2))))
(check (= 3 (int/to-number (+ 1 (i64 2)))) "the :r+ method of the right operand")
(check (= (u64 12) (* (u64 3) (u64 4))))
(check (= :core/u64 (type (* 3 (u64 4)))) "the right operand's type wins for r-methods")
(check (= :core/s64 (type (+ (i64 1) (u64 2)))) "the left operand's type wins")
(check (= (i64 7) (- 10 (i64 3))) ":r- is y - x")
(check (= (i64 -5) (- (i64 5))) "unary minus")
(check (= (i64 3) (/ 7 (i64 2))) ":r/ truncates")
(check (= (i64 -3) (/ (i64 -7) 2)))
(check (= (i64 6) (apply + [(i64 1) 2 3])) "+ passed as a value")
(check (= (i64 24) (apply * 1 2 [3 (i64 4)])))
(check (= (i64 -2) (apply - [(i64 1) 1 2])))
(check (= (i64 45) (sum (map i64 (range 10)))))
(check (= (i64 362880) (product (map i64 (range 1 10)))))
(let [a (u64 0xff)] (check (= (:+ a a a a) (:* a 2 2)) "calling methods by name"))
(check (= (u64 "0xfffffffffffffff") (:/ (u64 "0xffff_ffff_ffff_ffff") 8 2)))
(var acc (i64 0))
(for k 0 5 (+= acc k))
(check (= (i64 10) acc) "+= on an int/s64 var")

# Wrapping and errors.
(check (= (i64 "-0x8000_0000_0000_0000") (+ (i64 "0x7FFF_FFFF_FFFF_FFFF") 1)) "wraps around")
(check (= (i64 "0x7FFF_FFFF_FFFF_FFFF") (- (i64 "-0x8000_0000_0000_0000") 1)))
(check (= (u64 0) (+ (u64 -1) 1)))
(each int [i64 u64]
  (each op [% / div]
    (check-error (op (int 7) 0))
    (check-error (op 7 (int 0)))
    (check-error (op (int 7) (int 0)))))
(check-error (/ (i64 "-0x8000_0000_0000_0000") -1))
(check-error (+ (i64 1) "x"))
(check-error (+ (i64 1) 1.5))
(check (= "could not find method :+ for \"a\", or :r+ for 1"
          (get (protect (+ "a" 1)) 1)) "no method: Janet's error text")

# mod, %, div against numbers, every sign combination (Janet's opcheck).
(defn opcheck [int x y]
  (each op [mod % div]
    (check (compare= (op x y) (op (int x) y)) (string/format "%v %v %v left" op x y))
    (check (compare= (op x y) (op x (int y))) (string/format "%v %v %v right" op x y))
    (check (compare= (op x y) (op (int x) (int y))) (string/format "%v %v %v both" op x y))))
(loop [x :in [-5 -3 0 3 5] y :in [-4 -3 3 4]]
  (opcheck i64 x y)
  (if (and (>= x 0) (>= y 0)) (opcheck u64 x y)))
(each int [i64 u64]
  (loop [x :in [-5 -3 0 3 5]]
    (check (= (int x) (mod (int x) 0)) "mod 0 is the dividend")
    (check (= (int x) (mod x (int 0))))))
(check (deep= (map i64 @[0 1 2 3 4 5 6 0 1 2 3 4 5 6])
              (seq [n :in (range -14 0)] (mod n (i64 7)))) "mod with a negative dividend")

# Bit operations.
(loop [x :in [-5 -3 0 3 5]]
  (check (compare= (bnot x) (bnot (i64 x))) "bnot"))
(loop [x :range [0 10]]
  (check (= (u64 "0xFFFF_FFFF_FFFF_FFFF") (bxor (u64 x) (bnot (u64 x))))))
(check (= (i64 15) (bor 10 (i64 5)) (bor (i64 10) 5)))
(check (= (u64 8) (band (u64 12) 10)))
(check (= (u64 "0x8000000000000000") (blshift (u64 1) 63)) "shifts use all 64 bits")
(check (= (i64 -1) (brshift (i64 -2) 1)) "s64 shifts right arithmetically")
(check (= (u64 "0x7FFFFFFFFFFFFFFF") (brshift (u64 -1) 1)) "u64 shifts right logically")

# odd? and even?
(check (odd? (u64 "1001")))
(check (not (odd? (u64 "1000"))))
(check (odd? (i64 "-1001")))
(check (even? (i64 "-1000")))
(check (not (even? (u64 "1001"))))
(check (even? 4))
(check (odd? -3))

# Equality and hashing: same type and value is =, across types never.
(check (= (i64 5) (i64 5)))
(check (not= (i64 5) (i64 6)))
(check (not= (i64 5) 5) "= is strict: an s64 is not a number")
(check (not= (i64 5) (u64 5)) "s64 and u64 are different types")
(check (= (hash (i64 5)) (hash (i64 5))))
(check (= 2 (length (distinct [(i64 1) (i64 1) (i64 2)]))))
(check (= 2 (get (frequencies [(u64 9) (u64 9)]) (u64 9) 0)) "equal integers are one table key")
(def keyed @{(i64 5) :five})
(check (= :five (get keyed (i64 5))))
(check (= :five (keyed (i64 5))))
(check (= :five (get {(i64 5) :five} (i64 5))) "and one struct key")

# Primitive order: same type by value; numbers before abstract values.
(check (< (i64 1) (i64 2)))
(check (> (u64 "0xFFFF_FFFF_FFFF_FFFF") (u64 1)))
(check (< (i64 -1) (i64 0)))
(check (deep= @[(i64 -3) (i64 1) (i64 2)] (sort @[(i64 2) (i64 -3) (i64 1)])))
(check (< 1000 (i64 1)) "primitive: every number is before an s64")
(check (= 1 (cmp (i64 1) 1000)))

# Polymorphic compare (the :compare method), with numbers and across types.
(def inf (/ 1 0))
(def nan (/ 0 0))
(each [x y c] [[(i64 3) (u64 3) 0] [(i64 -3) (u64 3) -1] [(i64 3) (u64 2) 1]
               [(i64 3) 3 0] [(i64 3) 4 -1] [(i64 3) -9 1]
               [(u64 3) 3 0] [(u64 3) 4 -1] [(u64 3) -9 1]
               [3 (i64 3) 0] [3 (i64 4) -1] [3 (i64 -5) 1]
               [3 (u64 3) 0] [3 (u64 4) -1] [3 (u64 2) 1]
               [(i64 "9223372036854775807") (u64 "18446744073709551615") -1]
               [(i64 "9007199254740991") 9007199254740991 0]
               [(+ 1 (u64 "9007199254740991")) 9007199254740991 1]
               [(i64 0) inf -1] [(u64 0) inf -1] [(- inf) (u64 0) -1]
               [(i64 1) nan 0] [nan (u64 1) 0] [(i64 2) 2.5 -1] [(i64 -2) -2.5 1]
               [(u64 1) (i64 -1) 1] [(u64 -1) (i64 -1) 1] [(i64 -1) (u64 -1) -1]]
  (check (= c (compare x y)) (string/format "compare %q %q is %d" x y c)))
(check (compare< (i64 1) 2))
(check (compare>= (u64 7) 7))
(check (compare= 0 (- (u64 "1000") 1000)))
(check (deep= @[1 (i64 2) 3] (sort @[3 (i64 2) 1] compare<)) "sorting by compare<")

# Printing: the value under print/string, <type value> readably.
(check (= "-123" (string (i64 -123))))
(check (= "18446744073709551615" (string (u64 -1))))
(check (= "<core/s64 -12>" (string/format "%q" (i64 -12))))
(check (= "<core/u64 7>" (describe (u64 7))))

# Operator methods on tables (Janet's operator overloading), and errors in them.
(def vec2 @{:+ (fn [a b] (if (number? b) [:plus b] [:plus-vec]))
            :r- (fn [a b] [:rminus b])
            :compare (fn [a b] -1)})
(check (deep= [:plus 1] (+ vec2 1)))
(check (deep= [:rminus 5] (- 5 vec2)) ":r- receives (receiver left-operand)")
(check (deep= [:plus 2] (apply + [vec2 2])))
(check (= -1 (compare vec2 :anything)))
(check (= 1 (compare :anything vec2)) "y's :compare, negated")
(def bad @{:+ (fn [a b] (error "boom"))})
(check (= "boom" (get (protect (+ bad 1)) 1)) "an error in a method propagates")
(check (= "-9223372036854775808" (string/format "%d" (i64 "-0x8000000000000000"))) "%d prints all 64 bits")
(check (= "ffffffffffffffff" (string/format "%x" (u64 -1))))
(check (= "18446744073709551615" (string/format "%d" (u64 -1))))
(check (= "  -7" (string/format "%4d" (i64 -7))))
(check (= 9007199254740991 (int/to-number (u64 9007199254740991))))
(check (= -9007199254740991 (int/to-number (i64 -9007199254740991))))
(check-error (int/to-number (u64 "9007199254740993")))
(check-error (int/to-number (i64 "-9007199254740993")))
(check-error (int/to-number 1))
# a small constant multiplier compiles to MulK; it dispatches like *
(check (= (i64 42) (* (i64 6) 7)) "MulK on an int/s64")
(defn times-3 [x] (* x 3))
(check (= (i64 -9) (times-3 (i64 -3))))
(check (= 9 (times-3 3)))
