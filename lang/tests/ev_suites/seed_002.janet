# Seed 002 (Fennel async): its examples in the dialect's names (async.chan ->
# ev/chan, async.put/take -> ev/give/take, #(...) threads -> ev/spawn,
# promises and agents -> ev/promise, ev/await, ev/agent, ev/send), each
# checked against the result the seed documents. Times are in seconds.

# Simple example: a thread takes 41 and puts back 42
(def c (ev/chan :unbounded))
(def got @[])
(ev/spawn (let [data (ev/take c)]
            (array/push got (string "got: " data))
            (ev/give c (+ 1 data))))
(ev/give c 41)
(ev/sleep 0)
(check (= 42 (ev/take c)))
(check (deep= @["got: 41"] got))

# Channels and backpressure: a buffer of 1 parks the putter
(def bc (ev/chan 1))
(def puts @[])
(ev/spawn (for i 1 6 (ev/give bc i) (array/push puts i)))
(ev/sleep 0.01)
(check (< (length puts) 5) "a full bounded channel parks the putting thread")
(check (= 1 (ev/take bc 0.1 :no-more-values)) "taking advances the loop")
(for i 2 6 (check (= i (ev/take bc 0.1 :no-more-values))))
(check (= :no-more-values (ev/take bc 0.01 :no-more-values)))

# Dropping buffer: all puts succeed, only the first-ever message is left
(def dc (ev/chan (ev/dropping-buffer 1)))
(def dputs @[])
(ev/join (ev/spawn (for i 1 6 (ev/give dc i) (array/push dputs i))))
(check (deep= @[1 2 3 4 5] dputs) "all puts succeed")
(check (= 1 (ev/take dc 0.1 :no-more-values)))
(check (= :no-more-values (ev/take dc 0.01 :no-more-values)))

# Sliding buffer: the last-ever messages are left
(def sc (ev/chan (ev/sliding-buffer 3)))
(ev/join (ev/spawn (for i 1 6 (ev/give sc i))))
(check (deep= @[3 4 5] (seq [_ :range [0 3]] (ev/take sc 0.1 :no-more-data))))
(check (= :no-more-data (ev/take sc 0.01 :no-more-data)))

# Promises: awaiting advances threads
(def pc (ev/chan))
(ev/spawn (ev/sleep 0.1) (ev/give pc 41))
(check (= 42 (ev/await (ev/spawn (+ 1 (ev/take pc))))))
(def p (ev/promise))
(check (ev/deliver p 7))
(check (not (ev/deliver p 8)) "a promise settles once")
(check (= 7 (ev/await p)))
(def perr (ev/promise))
(ev/deliver-error perr :bad)
(check (= :bad (try (ev/await perr) ([e] e))) "promises can contain errors")

# Agents: tasks run in order on the agent
(def a (ev/agent 0))
(ev/send a (fn [x] (ev/sleep 0.1) (+ x 1)))
(ev/send a (fn [x] (* x 2)))
(check (= 2 (ev/await a)) "(0 + 1) * 2")

# A simple TCP server with an asynchronous handler (1 s sleep -> 10 ms)
(var in-flight 0)
(var most-in-flight 0)
(defn handler [data]
  (++ in-flight)
  (set most-in-flight (max most-in-flight in-flight))
  (ev/sleep 0.01)
  (-- in-flight)
  (string (+ 1 (scan-number data))))
(def server
  (net/server "127.0.0.1" 0
              (fn [conn]
                (defer (:close conn)
                  (when-let [data (:read conn 100)]
                    (:write conn (handler (string data))))))))
(def port (in (net/localname server) 1))
(defn send [data]
  (ev/spawn
    (def conn (net/connect "127.0.0.1" port))
    (defer (:close conn)
      (:write conn (string data))
      (string (:read conn :all)))))
# Sequentially, awaiting each promise in turn
(check (deep= @["2" "3" "4"] (seq [d :range [1 4]] (ev/await (send d)))))
(check (= 1 most-in-flight) "sequential requests never overlap")
# Simultaneously: spawn all, then await them all at once
(def promises (seq [d :range [1 11]] (send d)))
(check (deep= (seq [d :range [2 12]] (string d)) (ev/await promises)))
(check (> most-in-flight 1) "simultaneous requests are handled concurrently")

# A tiny HTTP exchange over the same machinery (the seed's GET example)
(def http
  (net/server "127.0.0.1" 0
              (fn [conn]
                (defer (:close conn)
                  (def req (string (:read conn 4096)))
                  (def path (get (string/split " " req) 1))
                  (:write conn (string "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                       "Connection: close\r\n\r\nyou asked for " path))))))
(defn parse-response [data]
  (def [head body] (string/split "\r\n\r\n" data 0 2))
  (def [status & headers] (string/split "\r\n" head))
  {:code (scan-number (get (string/split " " status) 1))
   :headers (tabseq [h :in headers :let [[k v] (string/split ": " h 0 2)]] k v)
   :body body})
(defn get-url [port path]
  (ev/spawn
    (def conn (net/connect "127.0.0.1" port))
    (:write conn (string "GET " path " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
    (def resp (string (:read conn :all)))
    (:close conn)
    (parse-response resp)))
(def resp (ev/await (get-url (in (net/localname http) 1) "/index.html")))
(check (= 200 (resp :code)))
(check (= "text/plain" (get-in resp [:headers "Content-Type"])))
(check (= "you asked for /index.html" (resp :body)))
(:close server)
(:close http)
