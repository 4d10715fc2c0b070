# Known gap: per-fiber fuel budgets (fiber/set-fuel, :f mask, status :fuel).
# The isolate-wide quantum exists (see tests/isolate.rs); per-fiber budgets do not yet.
(def f (fiber/new (fn [] (var i 0) (while true (++ i))) :f))
(fiber/set-fuel f 1000)
(resume f)
(check (= :fuel (fiber/status f)))
