# Networking: listen/accept/connect/read/write/chunk/close, stream methods,
# an echo server with 200 concurrent clients, timeouts, closing mid-read.

(defn echo [conn]
  (def buf @"")
  (defer (:close conn)
    (while (:read conn 4096 (buffer/clear buf))
      (:write conn buf))))

(def server (net/server "127.0.0.1" 0 echo))
(def port (in (net/localname server) 1))
(check (number? port))
(check (= :core/stream (type server)))

# one client, methods and functions
(def c (net/connect "127.0.0.1" port))
(net/write c "hello")
(check (= "hello" (string (net/chunk c 5))))
(:write c "abc")
(check (= "abc" (string (:chunk c 3))))
(check (= "127.0.0.1" (in (net/peername c) 0)))
(net/close c)
(net/close c)
(check-error (net/write c "x") "stream closed")

# ev/to-file on a socket: a core/file on a duplicate of its descriptor;
# its reads park until the echo arrives, and closing it leaves the stream open
(def sc (net/connect "127.0.0.1" port))
(def sf (ev/to-file sc))
(check (= :core/file (type sf)))
(file/write sf "through a file")
(file/flush sf)
(check (= "through a file" (string (net/chunk sc 14))) "a file write reaches the socket")
(net/write sc "and back")
(check (= "and back" (string (file/read sf 8))) "a file read takes from the socket")
(file/close sf)
(net/write sc "still open")
(check (= "still open" (string (net/chunk sc 10))) "closing the file leaves the stream")
(net/close sc)
(def ls (net/listen "127.0.0.1" 0))
(def lf (ev/to-file ls))
(check (= :core/file (type lf)) "a listener too")
(file/close lf)
(net/close ls)
(check-error (ev/to-file ls) "ev/to-file: stream is closed")

# 200 concurrent clients, each 10 round trips
(defn client [i]
  (def conn (net/connect "127.0.0.1" port))
  (defer (net/close conn)
    (var ok 0)
    (for j 0 10
      (def msg (string "client " i " msg " j))
      (net/write conn msg)
      (when (= msg (string (net/chunk conn (length msg)))) (set ok (+ ok 1))))
    ok))
(def results (ev/map client (range 200)))
(check (= 200 (length results)))
(check (every? (map (fn [x] (= x 10)) results)))

# EOF: the peer closes, read returns nil
(def eof-server (net/server "127.0.0.1" 0 (fn [conn] (net/write conn "bye") (net/close conn))))
(def ec (net/connect "127.0.0.1" (in (net/localname eof-server) 1)))
(check (= "bye" (string (net/read ec 10))))
(check (nil? (net/read ec 10)))
(net/close ec)

# read timeout raises "timeout"; cancelling a read in flight
(def quiet (net/server "127.0.0.1" 0 (fn [conn] (ev/sleep 10))))
(def qc (net/connect "127.0.0.1" (in (net/localname quiet) 1)))
(check-error (net/read qc 10 nil 0.02) "timeout")
(def reader (ev/spawn (net/read qc 10)))
(ev/sleep 0.01)
(net/close qc)
(check (nil? (ev/join reader)) "close wakes a parked reader with nil")
(def qc2 (net/connect "127.0.0.1" (in (net/localname quiet) 1)))
(def r2 (ev/spawn (net/read qc2 10)))
(ev/sleep 0.01)
(ev/cancel r2 :stop)
(check-error (ev/join r2) :stop)
(net/close qc2)

# :all reads to EOF
(def all-server (net/server "127.0.0.1" 0 (fn [conn] (net/write conn "part1 ") (net/write conn "part2") (net/close conn))))
(def ac (net/connect "127.0.0.1" (in (net/localname all-server) 1)))
(check (= "part1 part2" (string (net/read ac :all))))
(net/close ac)

# shut the servers so the program can end
(each s [server eof-server quiet all-server] (net/close s))
(each t (ev/all-tasks) (unless (= t (ev/current-task)) (ev/abort t)))
(check (= 1 (length (ev/all-tasks))) "only the main line is left")
