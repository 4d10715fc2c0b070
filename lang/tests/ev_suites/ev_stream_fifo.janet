# One stream, several tasks (api.md §4): reads and writes in each direction
# are served FIFO, one at a time, whole; a cancelled operation leaves the
# FIFO, and the bytes it had already read stay in its buffer. TCP and Unix
# sockets, and pipes.

# A connected pair of TCP streams: [ours theirs].
(defn tcp-pair []
  (def l (net/listen "127.0.0.1" 0))
  (def port (in (net/localname l) 1))
  (def accepting (ev/spawn (net/accept l)))
  (def ours (net/connect "127.0.0.1" port))
  (def theirs (ev/join accepting))
  (net/close l)
  [ours theirs])

# ---- two readers on one socket: whole chunks, in arrival order
(def [a b] (tcp-pair))
(def r1 (ev/spawn (ev/chunk a 4)))
(def r2 (ev/spawn (ev/chunk a 4)))
(ev/sleep 0.02)
(ev/write b "aa")
(ev/sleep 0.02)
(ev/write b "aabb")
(ev/sleep 0.02)
(ev/write b "bb")
(check (deep= @[@"aaaa" @"bbbb"] (ev/join [r1 r2])) "FIFO, whole chunks, nobody orphaned")

# three readers with ev/read: each gets its own read, in order
(def rs (map (fn [_] (ev/spawn (string (ev/read a 100)))) (range 3)))
(ev/sleep 0.02)
(each msg ["one" "two" "three"] (ev/write b msg) (ev/sleep 0.02))
(check (deep= @["one" "two" "three"] (ev/join rs)))

# ---- two writers on one socket never interleave
(def big-a (string/repeat "a" 2000000))
(def big-b (string/repeat "b" 2000000))
(def collected (ev/spawn (ev/chunk b 4000000)))
(def w1 (ev/spawn (ev/write a big-a) :w1))
(def w2 (ev/spawn (ev/write a big-b) :w2))
(check (deep= @[:w1 :w2] (ev/join [w1 w2])))
(def got (string (ev/join collected)))
(check (= 4000000 (length got)))
(check (= (string big-a big-b) got) "the first writer's bytes all come first")

# ---- a reader that times out leaves the FIFO; the next one is served
(def late (ev/spawn (try (ev/chunk a 4 nil 0.05) ([e] e))))
(def next-reader (ev/spawn (ev/chunk a 4)))
(check (= "timeout" (ev/join late)))
(ev/write b "wxyz")
(check (= "wxyz" (string (ev/join next-reader))) "the reader behind a timed-out one gets the bytes")

# a cancelled reader leaves it too
(def doomed (ev/spawn (ev/chunk a 4)))
(def after (ev/spawn (ev/chunk a 3)))
(ev/sleep 0.02)
(ev/cancel doomed "go away")
(check (= "go away" (last (ev/join-protected doomed))))
(ev/write b "123")
(check (= "123" (string (ev/join after))))

# ---- bytes already read stay in the caller's buffer on timeout
(def kept @"pre:")
(ev/write b "abc")
(check (= "timeout" (try (ev/chunk a 10 kept 0.1) ([e] e))))
(check (= "pre:abc" (string kept)) "ev/chunk keeps what it got before the timeout")
(ev/write b "defg")
(check (= "defg" (string (ev/chunk a 4))) "nothing was lost or read twice")

# ... and on cancel
(def kept2 @"")
(def reader3 (ev/spawn (ev/chunk a 10 kept2)))
(ev/sleep 0.02)
(ev/write b "hij")
(ev/sleep 0.05)
(ev/cancel reader3 "stop")
(check (= "stop" (last (ev/join-protected reader3))))
(check (= "hij" (string kept2)) "a cancelled chunk keeps its bytes")

# ev/read :all keeps what it got when it times out
(def kept3 @"")
(ev/write b "klm")
(check (= "timeout" (try (ev/read a :all kept3 0.1) ([e] e))))
(check (= "klm" (string kept3)))
(net/close a)
(net/close b)

# ---- the same on a pipe (a descriptor stream)
(def [pr pw] (os/pipe))
(def pk @"")
(ev/write pw "12")
(check (= "timeout" (try (ev/chunk pr 5 pk 0.05) ([e] e))))
(check (= "12" (string pk)) "a pipe chunk keeps its bytes on timeout")
(def p1 (ev/spawn (ev/chunk pr 2)))
(def p2 (ev/spawn (ev/chunk pr 2)))
(ev/sleep 0.02)
(ev/write pw "3456")
(check (deep= @[@"34" @"56"] (ev/join [p1 p2])))
(ev/close pr)
(ev/close pw)

# ---- Unix-domain sockets: two readers, two writers
(def dir (string (os/getenv "TMPDIR" "/tmp") "/spindle-fifo-" (os/time) "-"
                 (math/floor (* 1000000 (math/random)))))
(os/mkdir dir)
(def path (string dir "/s.sock"))
(def ul (net/listen :unix path))
(def uaccept (ev/spawn (net/accept ul)))
(def ua (net/connect :unix path))
(def ub (ev/join uaccept))
(def u1 (ev/spawn (ev/chunk ua 3)))
(def u2 (ev/spawn (ev/chunk ua 3)))
(ev/sleep 0.02)
(ev/write ub "xxxyyy")
(check (deep= @[@"xxx" @"yyy"] (ev/join [u1 u2])))
(def uw1 (ev/spawn (ev/write ub big-a)))
(def uw2 (ev/spawn (ev/write ub big-b)))
(def ugot (string (ev/chunk ua 4000000)))
(ev/join [uw1 uw2])
(check (= (string big-a big-b) ugot) "Unix writers do not interleave")
(net/close ua)
(net/close ub)
(net/close ul)
(os/rm path)
(os/rmdir dir)
