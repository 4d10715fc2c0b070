# The file system calls of os/ (api.md §4: "all of them park"): inside the
# loop each one is a suspension point (the task parks while the call runs
# on the blocking pool), with the results the synchronous suite os.janet
# checks; under both io drivers.

(def tmp (string (os/getenv "TMPDIR" "/tmp") "/spindle-ev-os-" (os/time) "-"
                 (math/floor (* 1000000 (math/random)))))

# a call parks: a task spawned before it runs before the call returns
(defn parks? [thunk]
  (def order @[])
  (ev/spawn (array/push order :other))
  (thunk)
  (array/push order :caller)
  (deep= order @[:other :caller]))

(check (parks? |(check (os/mkdir tmp))) "os/mkdir parks")
(check (= false (os/mkdir tmp)) "an existing directory gives false")
(check (parks? |(check (= :directory (os/stat tmp :mode)))) "os/stat parks")
(spit (string tmp "/a.txt") "hello")
(spit (string tmp "/b.txt") "hello, world")
(check (parks? |(check (deep= @["a.txt" "b.txt"] (os/dir tmp)))) "os/dir parks")
(check (= 5 (os/stat (string tmp "/a.txt") :size)))
(def st (os/stat (string tmp "/b.txt")))
(check (and (struct? st) (= :file (st :mode)) (= 12 (st :size))))
(def into @{:mine 1})
(check (= into (os/stat (string tmp "/b.txt") into)) "a table is filled and returned")
(check (and (= 1 (into :mine)) (= 12 (into :size))))
(check (nil? (os/stat (string tmp "/missing"))) "a missing path gives nil")
(check (parks? |(os/rename (string tmp "/b.txt") (string tmp "/c.txt"))) "os/rename parks")
(check (deep= @["a.txt" "c.txt"] (os/dir tmp)))
(check (parks? |(check (= (os/realpath tmp) (os/realpath (string tmp "/./."))))) "os/realpath parks")

# os/stat follows a final symlink, os/lstat does not
(os/shell (string "ln -s a.txt " tmp "/link"))
(check (= :file (os/stat (string tmp "/link") :mode)))
(check (= :link (os/lstat (string tmp "/link") :mode)))
(check (= (os/realpath (string tmp "/a.txt")) (os/realpath (string tmp "/link"))))

# errors name the call and the path
(check-error (os/dir (string tmp "/missing")))
(def r (protect (os/rm (string tmp "/missing"))))
(check (and (not (in r 0)) (string/has-prefix? (string "cannot remove " tmp "/missing") (in r 1))) "os/rm names the path")
(def r2 (protect (os/realpath (string tmp "/missing"))))
(check (and (not (in r2 0)) (string/has-prefix? "cannot resolve" (in r2 1))))
(check-error (os/stat 42))

(check (parks? |(os/rm (string tmp "/link"))) "os/rm parks")
(os/rm (string tmp "/a.txt"))
(os/rm (string tmp "/c.txt"))
(check (parks? |(os/rmdir tmp)) "os/rmdir parks")
(check (nil? (os/stat tmp)))
