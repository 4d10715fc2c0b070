# Writes to stdout and stderr park only the writing task (api.md §4): a
# child spindle whose stdout is a pipe nobody reads keeps running its other
# tasks, under both io drivers; output order and flush still hold.

(def run-id (string (os/time) "-" (math/floor (* 1000000 (math/random)))))
(def child-src (string (os/getenv "TMPDIR" "/tmp") "/spindle-stdio-" run-id ".janet"))
(spit child-src ``
(def chunk (string/repeat "x" 65536))
(var printed 0)
(ev/spawn (forever (prin chunk) (++ printed)))
(var ticks 0)
(repeat 50 (ev/sleep 0.001) (++ ticks))
(eprint "ticks " ticks " printed " printed)
(eflush)
(ev/sleep 1000)
``)

(defn read-line-from [stream]
  (def buf @"")
  (while (not (string/find "\n" buf))
    (unless (ev/read stream 256 buf) (break)))
  (string buf))

(each io ["uring" "epoll"]
  (def p (os/spawn [_spindle "--io" io child-src] :p {:out :pipe :err :pipe}))
  # the deadline only keeps a broken build from hanging the suite
  (def r (protect (ev/with-deadline 60 (read-line-from (p :err)))))
  (def line (if (in r 0) (in r 1) "no line"))
  (def words (string/split " " (string/trim line)))
  (def m (when (= 4 (length words)) [(scan-number (in words 1)) (scan-number (in words 3))]))
  (check (and m (= 50 (in m 0))) (string io ": the ticking task finished while stdout was full: " line))
  # a pipe's worth and the writer's slack got out, then the printer parked
  (check (and m (< (in m 1) 8)) (string io ": the printer parked: " line))
  # reading stdout now lets the printer go on
  (var seen 0)
  (while (< seen (* 4 65536))
    (+= seen (length (ev/read (p :out) 65536))))
  (check (>= seen (* 4 65536)) (string io ": the parked printer resumed"))
  (os/proc-kill p)
  (os/proc-wait p))
(os/rm child-src)

# order across print, prin, file/write, ev/write on the stdout stream and
# a task, and flush returns nil
(def order-src (string (os/getenv "TMPDIR" "/tmp") "/spindle-stdio-order-" run-id ".janet"))
(spit order-src ``
(print "a")
(prin "b")
(file/write stdout "c\n")
(prin "d")
(ev/write stdout "e\n")
(unless (nil? (flush)) (os/exit 3))
(ev/join (ev/spawn (printf "%d" 1)))
(file/flush stdout)
(eprint "to err")
(print (string/repeat "y" 200000))
(print "end")
``)
(spit order-src (string/replace "(unless (nil? (flush)) (os/exit 3))" "(unless (nil? (flush)) (os/exit 3))" (slurp order-src)))
(def q (os/spawn [_spindle order-src] :p {:out :pipe :err :pipe}))
(def out (ev/read (q :out) :all))
(def err (ev/read (q :err) :all))
(check (= 0 (os/proc-wait q)))
(check (= (string "a\nbc\nde\n1\n" (string/repeat "y" 200000) "\nend\n") (string out)) "stdout in order, all of it at exit")
(check (= "to err\n" (string err)))
(os/rm order-src)

# stdout holds a partial line: (flush) sends it while the program runs on,
# and os/exit writes it before exiting
(def held-src (string (os/getenv "TMPDIR" "/tmp") "/spindle-stdio-held-" run-id ".janet"))
(spit held-src ``
(prin "ready")
(flush)
(ev/sleep 1000)
``)
(def h (os/spawn [_spindle held-src] :p {:out :pipe}))
(def hr (protect (ev/with-deadline 60 (ev/read (h :out) 5))))
(check (and (in hr 0) (= "ready" (string (in hr 1)))) "flush sent the partial line")
(os/proc-kill h)
(os/proc-wait h)
(spit held-src ``(prin "partial") (os/exit 0)``)
(def h2 (os/spawn [_spindle held-src] :p {:out :pipe}))
(check (= "partial" (string (ev/read (h2 :out) :all))) "os/exit wrote the held line")
(check (= 0 (os/proc-wait h2)))
(os/rm held-src)

# a child writing to the inherited stdout comes after our partial line
(def inherit-src (string (os/getenv "TMPDIR" "/tmp") "/spindle-stdio-inherit-" run-id ".janet"))
(spit inherit-src ``(prin "a") (os/execute ["echo" "b"] :p) (print "c")``)
(def h3 (os/spawn [_spindle inherit-src] :p {:out :pipe}))
(check (= "ab\nc\n" (string (ev/read (h3 :out) :all))) "held line, then the child's output")
(check (= 0 (os/proc-wait h3)))
(os/rm inherit-src)
