# std/sync (api.md §8), the parts written in the language: sync/make-lock
# and ev/rwlock (aliases of the natives), the rwlock macros, the methods
# that run user code or reacquire a lock (futex, condvar :wait, monitor,
# once :get), and the std/sync module itself. The natives are
# corelib/ev_sync*.rs.
#
# The module. Like every native, each sync function is a root binding
# named sync/... (corelib/registry.rs), so the names work without an
# import. `(import std/sync)` resolves through module/builtins
# (modules.janet), before any file search, to an environment holding the
# same bindings without their prefix, so import* binds them as sync/...
# (or x/... with `:as x`) exactly as it does for a file module; a file
# named std/sync.janet cannot shadow it. Names with a "-" after the prefix
# are internal and stay out of the module.
#
# Waits here only park through natives, so they may be cancelled; the one
# that must not leave early, reacquiring a condvar's lock, retries until it
# holds the lock and then re-raises the cancel.

(def sync/make-lock
  "(sync/make-lock)\n\nA mutual-exclusion lock owned by the acquiring task (the same object as ev/lock). Methods: (:acquire l &opt timeout) true once held, false on timeout, raises \"deadlock: lock already held by this task\" from the owner; (:release l) raises unless the caller owns it; (:try-acquire l); (:held? l)."
  ev/lock)

(def ev/rwlock
  "(ev/rwlock)\n\nThe same object as (sync/make-rwlock): a writer-preferring readers/writer lock whose waiters park (the fiber, never the thread)."
  sync/make-rwlock)

(defmacro ev/with-rlock
  "(ev/with-rlock rw & body)\n\nRuns body holding a read lock on rw, released in a defer."
  [rw & body]
  (with-syms [x]
    ~(let [,x ,rw]
       (,ev/acquire-rlock ,x)
       (defer (,ev/release-rlock ,x) ,;body))))

(defmacro ev/with-wlock
  "(ev/with-wlock rw & body)\n\nRuns body holding the write lock on rw, released in a defer."
  [rw & body]
  (with-syms [x]
    ~(let [,x ,rw]
       (,ev/acquire-wlock ,x)
       (defer (,ev/release-wlock ,x) ,;body))))

# Top-level let would bind its names in the root environment: install
# through private functions instead.
(defn- sync/-install-futex [m]
  (put m :wait (fn [f expected &opt timeout] (ev/futex-wait (sync/-field f 0) expected timeout)))
  (put m :wake (fn [f &opt n] (ev/futex-wake (sync/-field f 0) n)))
  (put m :get (fn [f] (:get (sync/-field f 0))))
  (put m :set (fn [f v] (:set (sync/-field f 0) v)))
  (put m :cell (fn [f] (sync/-field f 0))))
(sync/-install-futex (sync/-methods :futex))

(defn- sync/-condvar-wait
  "Releases lock, parks on cv, and reacquires lock however the park ended (a cancel is re-raised once the lock is held again)."
  [cv lock &opt timeout]
  (def held (and (= :core/lock (type lock)) (sync/-lock-mine? lock)))
  (var r (protect (sync/-condvar-park cv lock timeout)))
  (when (and held (not (sync/-lock-mine? lock)))
    (var again true)
    (while again
      (def a (protect (ev/acquire-lock lock)))
      (if (in a 0)
        (set again false)
        (when (in r 0) (set r a)))))
  (if (in r 0) (in r 1) (error (in r 1))))

(put (sync/-methods :condvar) :wait sync/-condvar-wait)

(defn- sync/-monitor-held [m what]
  (unless (sync/-lock-mine? (sync/-field m 0))
    (error (string "monitor " what ": only valid inside :with"))))

(defn- sync/-install-monitor [m]
  (put m :with (fn [mon f] (ev/with-lock (sync/-field mon 0) (f))))
  (put m :wait (fn [mon &opt timeout]
                 (sync/-monitor-held mon ":wait")
                 (sync/-condvar-wait (sync/-field mon 1) (sync/-field mon 0) timeout)))
  (put m :notify (fn [mon] (sync/-monitor-held mon ":notify") (:notify (sync/-field mon 1))))
  (put m :broadcast (fn [mon] (sync/-monitor-held mon ":broadcast") (:broadcast (sync/-field mon 1)))))
(sync/-install-monitor (sync/-methods :monitor))

(defn- sync/-once-get
  "The once's :get: the cached value, or runs the thunk (this task won the claim), or parks while another task runs it and looks again."
  [o]
  (var result nil)
  (var done false)
  (while (not done)
    (case (sync/-once-claim o)
      :done (do (set result (sync/-field o 1)) (set done true))
      :run (let [thunk (sync/-field o 0)
                 f (fiber/new (fn [] (thunk)) :ie)
                 r (resume f)
                 ok (not= :error (fiber/status f))]
             (sync/-once-finish o ok r)
             (unless ok (propagate r f))
             (set result r)
             (set done true))
      :wait (sync/-once-park o)))
  result)

(put (sync/-methods :once) :get sync/-once-get)

(defn- sync/-module-env
  "The std/sync module: the public sync/ root bindings without their prefix."
  []
  (def env @{})
  (eachk k root-env
    (def name (string k))
    (when (and (symbol? k) (string/has-prefix? "sync/" name)
               (not (string/has-prefix? "sync/-" name)))
      (def entry (table/rawget root-env k))
      (when (and (table? entry) (not (entry :private)))
        (put env (symbol (string/slice name 5)) entry))))
  env)
(put module/builtins "std/sync" (sync/-module-env))
