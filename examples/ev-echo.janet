# An echo server and 200 concurrent clients in one isolate.
(defn echo [conn]
  (def buf @"")
  (defer (:close conn)
    (while (:read conn 4096 (buffer/clear buf))
      (:write conn buf))))

(def server (net/server "127.0.0.1" 0 echo))
(def port (in (net/localname server) 1))

(defn client [i]
  (with [conn (net/connect "127.0.0.1" port)]
    (def msg (string "hello from " i))
    (:write conn msg)
    (= msg (string (:chunk conn (length msg))))))

(def ok (ev/map client (range 200)))
(print (length (filter identity ok)) " of 200 clients echoed")
(:close server)
