# file/*, slurp and spit under the event loop (api.md §4): they park the
# calling task, other tasks keep running, file/write buffers until a flush,
# seek moves the tracked offset and drops read-ahead, file/lines steps park,
# file/temp, ev/to-file on a pipe.

# A directory of our own: the suite runs under several drivers at once, so
# take the first name that os/mkdir creates.
(def tmp-base (string (os/getenv "TMPDIR" "/tmp") "/spindle-files-" (os/time) "-"))
(var tmp nil)
(var try-n 0)
(while (not tmp)
  (def name (string tmp-base try-n))
  (if (os/mkdir name) (set tmp name) (++ try-n)))
(defn at [name] (string tmp "/" name))

# ---- slurp and spit
(spit (at "a.txt") "line1\nline2\n")
(check (= "line1\nline2\n" (string (slurp (at "a.txt")))))
(check (buffer? (slurp (at "a.txt"))))
(spit (at "a.txt") "line3\n" "a")
(check (= "line1\nline2\nline3\n" (string (slurp (at "a.txt")))) "spit :a appends")
(spit (at "a.txt") "new")
(check (= "new" (string (slurp (at "a.txt")))) "spit truncates")
(check-error (slurp (at "missing.txt")))
(check-error (spit (at "no/such/dir.txt") "x"))
(check (nil? (file/open (at "missing.txt"))) "file/open returns nil on failure")
(check-error (file/open (at "missing.txt") "rn"))
(check-error (file/open (at "a.txt") "q"))

# ---- other tasks run while a big file is written and read
(def big (string/repeat "0123456789abcdef" (* 1024 1024)))   # 16 MiB
(var ticks 0)
(var ticking true)
(def ticker (ev/spawn (while ticking (++ ticks) (ev/sleep 0))))
(ev/sleep 0)
# True if the ticker ran while thunk did its I/O. A few tries: under epoll
# the blocking pool may finish before the caller parks on a loaded machine.
(defn ticked-during [thunk]
  (var seen false)
  (for i 0 3
    (unless seen
      (def before ticks)
      (thunk)
      (when (> ticks before) (set seen true))))
  seen)
(check (ticked-during (fn [] (spit (at "big.bin") big))) "the ticker ran while spit wrote 16 MiB")
(var back nil)
(check (ticked-during (fn [] (set back (slurp (at "big.bin"))))) "the ticker ran while slurp read 16 MiB")
(check (= (length big) (length back)))
(check (= big (string back)))
(var all nil)
(check (ticked-during (fn []
                        (def bf (file/open (at "big.bin")))
                        (set all (file/read bf :all))
                        (check (nil? (file/read bf 10)) "nil at end of file")
                        (file/close bf)))
       "the ticker ran during file/read :all")
(check (= (length big) (length all)))
(check (ticked-during (fn []
                        (def wf (file/open (at "big2.bin") "w"))
                        (file/write wf big)
                        (file/close wf)))
       "the ticker ran while file/write drained")
(check (= (length big) (length (slurp (at "big2.bin")))))
(set ticking false)

# a drain cancelled mid-write loses nothing: close finishes it
(def cf (file/open (at "cancelled.bin") "w"))
(check (= :cut (try (ev/with-deadline 0.001 (file/write cf big) (ev/sleep 1)) ([e] :cut))))
(file/close cf)
(check (= big (string (slurp (at "cancelled.bin")))) "every byte arrives once the file closes")
(ev/join ticker)

# ---- buffered writes: visible after flush, and close flushes
(def w (file/open (at "buf.txt") "w"))
(check (= w (file/write w "abc" 1 :x)) "file/write returns the file")
(check (= "" (string (slurp (at "buf.txt")))) "bytes wait in the buffer")
(check (= w (file/flush w)))
(check (= "abc1x" (string (slurp (at "buf.txt")))) "flush drains the buffer")
(file/write w "def")
(check (= 8 (file/tell w)))
(check (nil? (file/close w)))
(check (= "abc1xdef" (string (slurp (at "buf.txt")))) "close flushes")
(check-error (file/write w "more"))
(check-error (file/read w :all))
(check (nil? (file/close w)) "closing twice is harmless")

# a buffer larger than the write buffer drains as it fills
(def w2 (file/open (at "buf2.txt") "w"))
(file/write w2 (string/repeat "z" 100000))
(check (>= (length (slurp (at "buf2.txt"))) 65536) "a full buffer drains")
(file/close w2)
(check (= 100000 (length (slurp (at "buf2.txt")))))

# *out* bound to a file: print buffers into it
(def pf (file/open (at "print.txt") "w"))
(with-dyns [:out pf] (print "hello") (prin "a" 1) (printf "%d" 7))
(file/close pf)
(check (= "hello\na17\n" (string (slurp (at "print.txt")))))

# ---- reads: lines, counts, all; tell and seek
(spit (at "r.txt") "line1\nline2\nline3\n")
(def f (file/open (at "r.txt")))
(check (= "line1\n" (string (file/read f :line))))
(check (= 6 (file/tell f)))
(check (= "li" (string (file/read f 2))))
(check (= 8 (file/tell f)))
(def into @"pre:")
(check (= into (file/read f 4 into)) "file/read appends to a given buffer")
(check (= "pre:ne2\n" (string into)))
(check (= "line3\n" (string (file/read f :all))))
(check (nil? (file/read f :line)))
(check (= "" (string (file/read f :all))) ":all at end of file is empty")
(check (= 0 (file/seek f :set 0)))
(check (= "line1\n" (string (file/read f :line))))
(check (= 12 (file/seek f :cur 6)))
(check (= "line3\n" (string (file/read f :line))))
(check (= 12 (file/seek f :end -6)))
(check (= "line3\n" (string (file/read f :line))))
(check (= 18 (file/tell f)))
(check-error (file/seek f :set -1))
(check-error (file/seek f :sideways 0))
(check-error (file/read f :word))
(file/close f)

# seek drops the read-ahead: a change behind the reader's back shows up
(spit (at "ahead.txt") "aaaa\nbbbb\n")
(def fa (file/open (at "ahead.txt")))
(check (= "aaaa\n" (string (file/read fa :line))))
(spit (at "ahead.txt") "aaaa\nBBBB\n")
(check (= "bbbb\n" (string (file/read fa :line))) "without a seek the read-ahead answers")
(file/seek fa :set 5)
(check (= "BBBB\n" (string (file/read fa :line))) "after a seek the file is read again")
(file/close fa)

# writes land where reading stopped; a seek keeps buffered bytes in place
(spit (at "rw.txt") "abc\ndef\n")
(def rw (file/open (at "rw.txt") "r+"))
(check (= "abc\n" (string (file/read rw :line))))
(file/write rw "XY")
(file/seek rw :set 0)
(file/write rw "Q")
(check (= "b" (string (file/read rw 1))) "a read goes on after the buffered write")
(file/close rw)
(check (= "Qbc\nXYf\n" (string (slurp (at "rw.txt")))))

# append mode
(spit (at "ap.txt") "one\n")
(def ap (file/open (at "ap.txt") "a"))
(file/write ap "two\n")
(file/flush ap)
(check (= 8 (file/tell ap)) "append tracks the end")
(file/close ap)
(check (= "one\ntwo\n" (string (slurp (at "ap.txt")))))

# ---- file/lines: a lazy iterator whose steps park
(def many (string/join (seq [i :range [0 20000]] (string "row " i)) "\n"))
(spit (at "lines.txt") (string many "\n"))
(def lf (file/open (at "lines.txt")))
(var n 0)
(var last nil)
(each l (file/lines lf) (++ n) (set last l))
(check (= 20000 n) "every line, across many read-ahead fills")
(check (= "row 19999\n" (string last)))
(file/close lf)
(def lf2 (file/open (at "r.txt")))
(check (deep= @["line1\n" "line2\n" "line3\n"] (map string (seq [l :in (file/lines lf2)] l))))
(file/close lf2)

# two tasks reading lines of one file: each line whole, none lost or doubled
(def shared (file/open (at "lines.txt")))
(defn drain-lines []
  (def got @[])
  (var l (file/read shared :line))
  (while l
    (array/push got (string l))
    (ev/sleep 0)
    (set l (file/read shared :line)))
  got)
(def [ga gb] (ev/join [(ev/spawn (drain-lines)) (ev/spawn (drain-lines))]))
(check (= 20000 (+ (length ga) (length gb))))
(check (> (length ga) 0) "both readers were served")
(check (> (length gb) 0) "both readers were served")
(def seen @{})
(each l (array/concat @[] ga gb) (put seen l (+ 1 (get seen l 0))))
(check (= 20000 (length seen)) "no line doubled")
(check (all (fn [i] (= 1 (get seen (string "row " i "\n")))) (range 20000)) "each line whole, none lost")
(file/close shared)

# ---- file/temp: anonymous, read and write
(def t (file/temp))
(check (= :core/file (type t)))
(file/write t "temporary")
(file/seek t :set 4)
(check (= "orary" (string (file/read t :all))))
(file/close t)

# ---- ev/to-file on a pipe: the read parks until a writer task writes
(def [pr pw] (os/pipe))
(def pfile (ev/to-file pr))
(def reader (ev/spawn (file/read pfile :line)))
(ev/sleep 0.05)
(check (not= :dead (fiber/status reader)) "the reader waits for data")
(ev/write pw "through the pipe\nrest")
(check (= "through the pipe\n" (string (ev/join reader))))
(ev/close pw)
(check (= "rest" (string (file/read pfile :all))))
(file/close pfile)
(ev/close pr)

# ---- a deadline cancels a parked file read cleanly
(def [qr qw] (os/pipe))
(def qfile (ev/to-file qr))
(check (= :late (try (ev/with-deadline 0.05 (file/read qfile :line)) ([e] :late))))
(ev/write qw "after\n")
(check (= "after\n" (string (file/read qfile :line))) "the file still works after a cancelled read")
(file/close qfile)
(ev/close qr)
(ev/close qw)

(each name (os/dir tmp) (os/rm (at name)))
(os/rmdir tmp)
