# The event-loop API built on the ev natives (api.md §2-3): ev/spawn,
# ev/call, ev/join over sequences, deadlines, gather, race, timeout, scope,
# map, map-limited, as-completed, supervisors, and the task form of ev/select.
# Everything here only parks through natives, so it may itself be cancelled:
# helpers that own child tasks abort them before re-raising.

(defn ev/-run-main "Runs the program's main with its arguments." [[f args]] (f ;args))

(defn- ev/-drop "Removes x from array arr (order not kept)." [arr x]
  (var i 0)
  (def n (length arr))
  (while (< i n)
    (if (= (in arr i) x)
      (do (put arr i (array/peek arr)) (array/pop arr) (set i n))
      (set i (+ i 1))))
  arr)

(defmacro ev/spawn
  "(ev/spawn & body)\n\nRuns body in a new task and returns the task. A single form whose value is a function (or cfunction) is called with no arguments in that task."
  [& body]
  (if (= 1 (length body))
    (with-syms [x]
      ~(,ev/go (fn [] (def ,x ,(in body 0)) (if (or (,function? ,x) (,cfunction? ,x)) (,x) ,x))))
    ~(,ev/go (fn [] ,;body))))

(defn ev/call "(ev/call f & args)\n\nRuns (f ;args) in a new task; returns the task." [f & args]
  (ev/go (fn [] (f ;args))))

(defn- ev/-settle "Waits for every task; on the first failure (or a cancel of the caller) aborts the live ones and re-raises." [tasks]
  (def pending (array/slice tasks))
  (def r (protect
           (while (> (length pending) 0)
             (def t (ev/-wait-any pending))
             (when (= :error (fiber/status t)) (ev/-join t))
             (ev/-drop pending t))))
  (unless (in r 0)
    (def child-failed (find (fn [t] (= :error (fiber/status t))) tasks))
    (def why (if child-failed "sibling canceled" "parent canceled"))
    (each t tasks (ev/abort t why))
    (error (in r 1)))
  tasks)

(defn ev/join
  "(ev/join task-or-seq)\n\nParks until the task finishes; returns its value or re-raises its error. A sequence gives an array in input order and raises as soon as any task fails (the others keep running)."
  [x]
  (if (fiber? x)
    (ev/-join x)
    (do
      (each t x (ev/-observe t))
      (def pending (array/slice x))
      (while (> (length pending) 0)
        (def t (ev/-wait-any pending))
        (when (= :error (fiber/status t)) (ev/-join t))
        (ev/-drop pending t))
      (map ev/-join x))))

(defn ev/join-protected
  "(ev/join-protected task-or-seq)\n\nLike ev/join but never raises: [ok? value], or an array of such pairs once all tasks finish."
  [x]
  (if (fiber? x) (ev/-join-protected x) (map ev/-join-protected x)))

(defn ev/select
  "(ev/select & clauses)\n\nA clause is ch (take), [ch v] (give) or a task. Exactly one clause commits: returns [:take ch x], [:give ch], [:close ch] or [:done task]. A single array of tasks is the Elle form: parks until one finishes and returns [done remaining]."
  [& clauses]
  (def x (in clauses 0))
  (if (and (= 1 (length clauses)) (indexed? x) (> (length x) 0)
           (every? (map fiber? x)))
    (let [d (ev/-wait-any x)]
      (ev/-observe d)
      [d (filter (fn [t] (not= t d)) x)])
    (ev/-select ;clauses)))

(defn ev/deadline
  "(ev/deadline sec &opt tocancel tocheck intr?)\n\nAfter sec seconds, if tocheck (default: the current fiber) can still be resumed, cancels tocancel (default: the current task) with \"deadline expired\". Returns tocancel."
  [sec &opt tocancel tocheck intr?]
  (default tocancel (ev/current-task))
  (default tocheck (fiber/current))
  (def helper
    (ev/go (fn []
             (try
               (do (ev/sleep sec)
                   (when (fiber/can-resume? tocheck)
                     (ev/cancel tocancel "deadline expired")))
               ([_] nil)))))
  (ev/-observe helper)
  tocancel)

(defmacro ev/with-deadline
  "(ev/with-deadline sec & body)\n\nRuns body in a coroutine under ev/deadline; raises \"deadline expired\" if it overruns."
  [sec & body]
  (with-syms [f h tk]
    ~(let [,f (,fiber/new (fn [] ,;body) :yi)
           ,tk (,ev/current-task)
           ,h (,ev/go (fn []
                        (try
                          (do (,ev/sleep ,sec)
                              (when (,fiber/can-resume? ,f)
                                (,ev/cancel ,tk "deadline expired")))
                          ([_] nil))))]
       (,ev/-observe ,h)
       (defer (,ev/cancel ,h :done) (,resume ,f)))))

(defn ev/go-gather
  "(ev/go-gather thunks)\n\nRuns each function (or :new fiber) in its own task; returns the results in order. The first error cancels the siblings (\"sibling canceled\"), waits for them, and is re-raised."
  [thunks]
  (def tasks (map (fn [t] (ev/-observe (ev/go t))) thunks))
  (ev/-settle tasks)
  (map ev/-join tasks))

(defmacro ev/gather
  "(ev/gather & bodies)\n\nRuns each body in its own task; returns an array of results in order (see ev/go-gather)."
  [& bodies]
  ~(,ev/go-gather ,(tuple/brackets ;(map (fn [b] ~(fn [] ,b)) bodies))))

(defn ev/race
  "(ev/race tasks)\n\nWaits for the first task to finish, aborts the others, and returns its value or re-raises its error."
  [tasks]
  (each t tasks (ev/-observe t))
  (def r (protect (ev/-wait-any tasks)))
  (each t tasks (unless (and (in r 0) (= t (in r 1))) (ev/abort t)))
  (unless (in r 0) (error (in r 1)))
  (ev/join (in r 1)))

(defn ev/timeout
  "(ev/timeout sec thunk &opt default)\n\nRuns thunk in a child task. Returns its value (or raises its error) if it finishes within sec; otherwise aborts it, waits for it to unwind, and returns default."
  [sec thunk &opt default]
  (def t (ev/-observe (ev/go thunk)))
  (def timer (ev/-observe (ev/go (fn [] (try (ev/sleep sec) ([_] nil))))))
  (def r (protect (ev/-wait-any [t timer])))
  (unless (in r 0)
    (ev/abort t) (ev/abort timer) (error (in r 1)))
  (if (= (in r 1) t)
    (do (ev/abort timer) (ev/join t))
    (do (ev/abort t) default)))

(defn ev/scope
  "(ev/scope f)\n\nNursery: calls (f spawn), where (spawn thunk) starts a child task. Returns f's value once every child has finished. The first error from the body or a child aborts the live children, waits for them, and is re-raised."
  [f]
  (def children @[])
  (defn spawn [thunk]
    (def t (ev/-observe (ev/go thunk)))
    (array/push children t)
    t)
  (def r (protect (f spawn)))
  (unless (in r 0)
    (each t children (ev/abort t "parent canceled"))
    (error (in r 1)))
  (ev/-settle children)
  (in r 1))

(defn ev/map
  "(ev/map f xs)\n\nOne task per item in this isolate; results in input order. The first error aborts the rest and is raised."
  [f xs]
  (def tasks (map (fn [x] (ev/-observe (ev/go (fn [] (f x))))) xs))
  (ev/-settle tasks)
  (map ev/-join tasks))

(defn ev/map-limited
  "(ev/map-limited f xs n)\n\nLike ev/map with at most n tasks in flight. Item errors are raised."
  [f xs n]
  (def items (if (indexed? xs) xs (values xs)))
  (def results (map (fn [_] nil) items))
  (def live @[])
  (def index @{})
  (var i 0)
  (def r (protect
           (while (or (< i (length items)) (> (length live) 0))
             (while (and (< i (length items)) (< (length live) n))
               (def x (in items i))
               (def t (ev/-observe (ev/go (fn [] (f x)))))
               (put index t i)
               (array/push live t)
               (set i (+ i 1)))
             (def t (ev/-wait-any live))
             (ev/-drop live t)
             (put results (in index t) (ev/-join t)))))
  (unless (in r 0)
    (each t live (ev/abort t))
    (error (in r 1)))
  results)

(defn ev/as-completed
  "(ev/as-completed tasks)\n\nReturns [next pool]: (next) parks until some task in pool finishes, removes and returns it, or nil once pool is empty. Push tasks onto pool to add them."
  [tasks]
  (def pool (array/slice tasks))
  (defn nxt []
    (when (> (length pool) 0)
      (each t pool (ev/-observe t))
      (def t (ev/-wait-any pool))
      (def i (find-index (fn [x] (= x t)) pool))
      (ev/-drop pool t)
      t))
  [nxt pool])

(defn ev/give-supervisor
  "(ev/give-supervisor tag & payload)\n\nSends [tag ;payload] to the current task's supervisor channel, if any. Returns nil."
  [tag & payload]
  (def s (ev/-supervisor))
  (when s (ev/give s [tag ;payload]))
  nil)

(defn net/accept-loop
  "(net/accept-loop listener handler)\n\nAccepts connections forever, running (handler stream) in a new task for each. Returns when the listener is closed."
  [listener handler]
  (while true
    (def c (protect (net/accept listener)))
    (unless (and (in c 0) (in c 1)) (break))
    (ev/call handler (in c 1))))

(defn net/server
  "(net/server &opt host port handler type no-reuse)\n\nListens on host:port (net/listen); with a handler, serves every connection in its own task (net/accept-loop in a new task). Returns the listener. A handler is not allowed with :datagram."
  [&opt host port handler type no-reuse]
  (when (and handler (= type :datagram))
    (error "net/server: a handler cannot serve a :datagram socket"))
  (def s (net/listen host port type no-reuse))
  (when handler (ev/call net/accept-loop s handler))
  s)

(put (net/-stream-methods) :accept-loop net/accept-loop)

(defmacro ev/with-lock
  "(ev/with-lock l & body)\n\nAcquires l, runs body, and releases l in a defer."
  [l & body]
  (with-syms [x]
    ~(let [,x ,l]
       (,ev/acquire-lock ,x)
       (defer (,ev/release-lock ,x) ,;body))))

# Promises and agents (api.md §3), in-isolate for now: a promise is a table
# whose closed channel releases every waiter; an agent is a task draining an
# unbounded action channel.

(defn ev/promise "(ev/promise)\n\nA promise that can be settled once." []
  @{:ev/promise true :state :pending :value nil :gate (ev/chan)})

(defn- ev/-settle-promise [p state v]
  (if (= :pending (in p :state))
    (do (put p :state state) (put p :value v) (ev/chan-close (in p :gate)) true)
    false))

(defn ev/deliver "(ev/deliver p v)\n\nSettles p with v and wakes every waiter. True the first time, false afterwards." [p v]
  (ev/-settle-promise p :ok v))

(defn ev/deliver-error "(ev/deliver-error p err)\n\nSettles p as failed: waiters raise err. True the first time, false afterwards." [p err]
  (ev/-settle-promise p :error err))

(defn- ev/-await-promise [p timeout default]
  (def tmo @{})
  (when (= :pending (in p :state))
    (if timeout (ev/take (in p :gate) timeout tmo) (ev/take (in p :gate))))
  (case (in p :state)
    :ok (in p :value)
    :error (error (in p :value))
    default))

(defn ev/agent "(ev/agent init)\n\nA stateful agent with its own FIFO action queue, run by its own task." [init]
  (def a @{:ev/agent true :state init :queue (ev/chan :unbounded)})
  (put a :task
       (ev/-observe
         (ev/go (fn []
                  (forever
                    (def job (ev/take (in a :queue)))
                    (unless job (break))
                    (def [f args p] job)
                    (def r (protect (f (in a :state) ;args)))
                    (if (in r 0)
                      (do (put a :state (in r 1)) (ev/deliver p (in r 1)))
                      (ev/deliver-error p (in r 1))))))))
  a)

(defn ev/send "(ev/send agent f & args)\n\nQueues (f state ;args); returns a promise of the new state." [a f & args]
  (def p (ev/promise))
  (ev/give (in a :queue) [f args p])
  p)

(defn ev/agent-state "(ev/agent-state agent)\n\nThe current state, without waiting." [a] (in a :state))

(defn ev/await
  "(ev/await x &opt timeout default)\n\nA promise's value (or raises its error); a task's result (as ev/join); an agent's state after every action sent before; an indexed collection of these gives an array. Returns default if timeout expires."
  [x &opt timeout default]
  (cond
    (fiber? x) (if timeout (ev/timeout timeout (fn [] (ev/join x)) default) (ev/join x))
    (and (table? x) (in x :ev/promise)) (ev/-await-promise x timeout default)
    (and (table? x) (in x :ev/agent)) (ev/-await-promise (ev/send x (fn [s] s)) timeout default)
    (indexed? x) (map (fn [y] (ev/await y timeout default)) x)
    (error "ev/await: expected a promise, task, agent or a collection of them")))
