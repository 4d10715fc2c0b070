# Subprocesses (api.md §6) and descriptor streams (§4): os/spawn with pipes
# both ways, exit codes, signals, :x, os/execute, os/shell, several waiters,
# waiting without stalling other tasks, deadlines on a wait, os/pipe FIFO
# readers, os/open write/read back, ev/to-file, stdio as streams.

# cat: write its stdin, read its stdout, close stdin, wait
(def cat (os/spawn ["cat"] :p {:in :pipe :out :pipe}))
(check (= :core/process (type cat)))
(check (= :core/stream (type (cat :in))))
(check (= :core/stream (type (:out cat))))
(check (nil? (cat :err)) "no :err pipe asked for")
(check (and (number? (cat :pid)) (pos? (cat :pid))))
(check (nil? (cat :return-code)) "no code before a wait")
(ev/write (cat :in) "hello ")
(:write (cat :in) "world")
(check (= "hello world" (string (ev/chunk (cat :out) 11))))
(ev/close (cat :in))
(check (nil? (ev/read (cat :out) 100)) "EOF once cat's stdin is closed")
(check (= 0 (os/proc-wait cat)))
(check (= 0 (cat :return-code)))
(check (= 0 (os/proc-wait cat)) "waiting again gives the code again")
(check-error (os/proc-kill cat) "cannot kill process that has already finished")

# a big payload through cat, writer and reader in separate tasks
(def big (string/repeat "0123456789" 100000))
(def cat2 (os/spawn ["cat"] :p {:in :pipe :out :pipe}))
(def writer (ev/spawn (ev/write (cat2 :in) big) (ev/close (cat2 :in)) :wrote))
(def got (ev/read (cat2 :out) :all))
(check (= (length big) (length got)))
(check (= big (string got)))
(check (= :wrote (ev/join writer)))
(check (= 0 (:wait cat2)))

# exit codes
(def three (os/spawn ["sh" "-c" "exit 3"] :p))
(check (= 3 (os/proc-wait three)))
(check (= 3 (three :return-code)))
(check (= 0 (os/execute ["true"] :p)))
(check (= 1 (os/execute ["false"] :p)))
(check (= 3 (os/execute ["sh" "-c" "exit $X"] :pe {"X" "3"})) ":e sets the environment")
(check (= 0 (os/execute ["/bin/sh" "-c" "test -z \"$HOME\""] :e {})) ":e alone clears it")
(check-error (os/execute ["true"])) # without :p the program is a path
(check (= 0 (os/execute ["/bin/sh" "-c" "exit 0"])) "a path runs without :p")

# :x raises on a non-zero exit
(def r (protect (os/execute ["false"] :px)))
(check (not (in r 0)))
(check (string/has-prefix? "command failed" (in r 1)))
(def xp (os/spawn ["sh" "-c" "exit 5"] :px))
(def r2 (protect (os/proc-wait xp)))
(check (and (not (in r2 0)) (string/has-prefix? "command failed" (in r2 1))))
(check (= 0 (os/execute ["true"] :px)) ":x is quiet on success")

# os/shell
(check (= 0 (os/shell "true")))
(check (= 7 (os/shell "exit 7")))
(check (= true (os/shell)))

# stderr as a pipe, and :err :out merging the two
(def both (os/spawn ["sh" "-c" "echo out; echo err >&2"] :p {:out :pipe :err :pipe}))
(check (= "out\n" (string (ev/read (both :out) :all))))
(check (= "err\n" (string (ev/read (both :err) :all))))
(check (= 0 (os/proc-close both)))
(def merged (os/spawn ["sh" "-c" "echo one; echo two >&2"] :p {:out :pipe :err :out}))
(check (nil? (merged :err)))
(check (= "one\ntwo\n" (string (ev/read (merged :out) :all))))
(check (= 0 (:close merged)))

# kill: 128 + signal, with and without wait, signal keywords
(def sleeper (os/spawn ["sleep" "10"] :p))
(check (= sleeper (os/proc-kill sleeper)) "without wait, returns the process")
(check (= (+ 128 9) (os/proc-wait sleeper)))
(def termed (os/spawn ["sleep" "10"] :p))
(check (= (+ 128 15) (os/proc-kill termed true :term)))
(check (= (+ 128 15) (termed :return-code)))
(def hupped (os/spawn ["sleep" "10"] :p))
(check (= (+ 128 1) (:kill hupped true :hup)))
(def usr (os/spawn ["sleep" "10"] :p))
(check (= (+ 128 10) (os/proc-kill usr true :usr1)))
(def intd (os/spawn ["sleep" "10"] :p))
(check-error (os/proc-kill intd true :nosuch))
(check (= (+ 128 2) (os/proc-kill intd true :int)))

# two waiters get the same code
(def slow (os/spawn ["sh" "-c" "sleep 0.1; exit 4"] :p))
(def w1 (ev/spawn (os/proc-wait slow)))
(def w2 (ev/spawn (os/proc-wait slow)))
(check (= 4 (os/proc-wait slow)))
(check (= 4 (ev/join w1)))
(check (= 4 (ev/join w2)))

# another task keeps running while a process is waited on
(var ticks 0)
(var ticking true)
(def ticker (ev/spawn (while ticking (ev/sleep 0.01) (++ ticks)) :stopped))
(check (= 0 (os/execute ["sleep" "0.2"] :p)))
(check (> ticks 5) "the timer task ticked during the wait")
(set ticking false)
(check (= :stopped (ev/join ticker)))

# a deadline cancels the wait but not the process
(def long (os/spawn ["sleep" "10"] :p))
(check-error (ev/with-deadline 0.05 (os/proc-wait long)) "deadline expired")
(check (nil? (long :return-code)))
(check (= (+ 128 9) (os/proc-kill long true)) "still running after the deadline")
(def long2 (os/spawn ["sleep" "10"] :p))
(def waiter (ev/spawn (os/proc-wait long2)))
(ev/sleep 0.02)
(ev/cancel waiter "stop")
(check-error (ev/join waiter) "stop")
(check (= (+ 128 9) (os/proc-kill long2 true)))

# a collected process is killed, unless spawned with :d
(def devnull (os/open "/dev/null" :w))
(def lost-pid ((os/spawn ["sleep" "10"] :p) :pid))
(def kept-pid ((os/spawn ["sleep" "10"] :pd) :pid))
(gccollect)
(ev/sleep 0.1)
(check (= 1 (os/execute ["kill" "-0" (string lost-pid)] :p {:err devnull})) "killed and reaped")
(check (= 0 (os/execute ["kill" "-0" (string kept-pid)] :p)) ":d survives collection")
(check (= 0 (os/execute ["kill" "-9" (string kept-pid)] :p)))
(ev/close devnull)

# bad arguments
(check-error (os/spawn []))
(check-error (os/spawn ["true"] :pz))
(check-error (os/spawn ["true"] :p {:in :nonsense}))
(check-error (os/proc-wait 42))
(check-error (os/execute ["cat"] :p {:out :pipe}) "os/execute: :pipe needs os/spawn")

# os/pipe: two chunk readers get whole chunks in FIFO order (api.md §4)
(def [pr pw] (os/pipe))
(def ra (ev/spawn (ev/chunk pr 4)))
(def rb (ev/spawn (ev/chunk pr 4)))
(ev/write pw "aaaabbbb")
(check (deep= @[@"aaaa" @"bbbb"] (ev/join [ra rb])))
(ev/write pw "xy")
(check (= "xy" (string (ev/read pr 10))))
(ev/close pw)
(check (nil? (ev/read pr 10)) "EOF after the writer closes")
(check-error (ev/write pr "x") "stream is not writable")
(ev/close pr)

# many writers on one pipe never interleave
(def [qr qw] (os/pipe))
(def msgs (map (fn [i] (string/repeat (string i) 5000)) (range 10)))
(def ws (map (fn [m] (ev/spawn (ev/write qw m))) msgs))
(def all-read (ev/spawn (ev/read qr :all)))
(ev/join ws)
(ev/close qw)
(def text (string (ev/join all-read)))
(check (= 50000 (length text)))
(check (every? (map (fn [m] (string/find m text)) msgs)) "each write landed whole")

# a pipe as a child's stdin, a stream as its stdout
(def [ir iw] (os/pipe))
(def [outr ow] (os/pipe))
(def tr (os/spawn ["tr" "a-z" "A-Z"] :p {:in ir :out ow}))
(ev/close ir)
(ev/close ow)
(ev/write iw "shout")
(ev/close iw)
(check (= "SHOUT" (string (ev/read outr :all))))
(check (= 0 (os/proc-wait tr)))

# files: os/open write then read back, in a temp dir
(def tmp (string (os/getenv "TMPDIR" "/tmp") "/spindle-proc-"
                 (math/rng-int (math/rng (os/time)) 2000000000)))
(os/mkdir tmp)
(def path (string tmp "/data.txt"))
(def f (os/open path :wct))
(check (= :core/stream (type f)))
(ev/write f "hello ")
(:write f "file")
(ev/close f)
(def g (os/open path :r))
(check (= "hello" (string (ev/read g 5))) "reads advance the offset")
(check (= " file" (string (ev/read g :all))))
(check (nil? (ev/read g 10)) "EOF at the end of the file")
(check-error (ev/write g "x")) # opened :r only
(ev/close g)
(check-error (os/open path :wce)) # exclusive create of an existing file
(check-error (os/open (string tmp "/missing") :r))
(def ap (os/open path :wa))
(ev/write ap "!")
(ev/close ap)
(check (= "hello file!" (string (slurp path))) ":a appends")

# ev/to-file: a core/file on a duplicate of the descriptor
(def h (os/open path :r))
(check (= "hello" (string (ev/read h 5))))
(def hf (ev/to-file h))
(check (= :core/file (type hf)))
(check (= " file!" (string (file/read hf :all))) "the duplicate shares the position")
(ev/close h)
(file/close hf)
(def [tr2 tw2] (os/pipe))
(def tf (ev/to-file tr2))
(ev/write tw2 "via file")
(ev/close tw2)
(check (= "via file" (string (file/read tf :all))))
(file/close tf)

# a file as a child's stdout
(def out-path (string tmp "/out.txt"))
(def of (os/open out-path :wct))
(check (= 0 (os/execute ["echo" "to a file"] :p {:out of})))
(ev/close of)
(check (= "to a file\n" (string (slurp out-path))))
(def cf (file/open out-path "r"))
(def cat3 (os/spawn ["cat"] :p {:in cf :out :pipe}))
(check (= "to a file\n" (string (ev/read (cat3 :out) :all))) "a core/file as stdin")
(check (= 0 (os/proc-wait cat3)))
(file/close cf)

(os/rm path)
(os/rm out-path)
(os/rmdir tmp)

# stdout and stderr take ev/write (an empty write, to keep test output clean)
(check (nil? (ev/write stderr "")))
(check-error (ev/write stdin "x") "stream is not writable")
(check-error (ev/read stdout 1) "stream is not readable")
