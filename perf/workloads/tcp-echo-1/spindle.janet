# tcp-echo-1 (one connection): an echo server and its clients in one program, over loopback.
# `conns` client tasks each make `rounds` round trips of a 100-byte message
# (checking every echo); the program prints the bytes echoed in total.
(def conns 1)
(def rounds 100000)

(defn echo [conn]
  (def buf @"")
  (defer (:close conn)
    (while (:read conn 4096 (buffer/clear buf))
      (:write conn buf))))

(defn client [port c]
  (def s (net/connect "127.0.0.1" port))
  (net/setsockopt s :tcp-nodelay true)
  (def msg (string/repeat (string/from-bytes (+ 65 (% c 26))) 100))
  (def back @"")
  (var bytes 0)
  (repeat rounds
    (:write s msg)
    (:chunk s 100 (buffer/clear back))
    (unless (= (length back) 100) (error "short echo"))
    (unless (= msg (string back)) (error "echo mismatch"))
    (+= bytes 100))
  (:close s)
  bytes)

(defn main [&]
  (def server (net/server "127.0.0.1" 0 echo))
  (def port (in (net/localname server) 1))
  (def tasks (seq [c :range [0 conns]] (ev/spawn (client port c))))
  (def total (sum (ev/join tasks)))
  (:close server)
  (print "echoed " total " bytes over " conns " connections"))
