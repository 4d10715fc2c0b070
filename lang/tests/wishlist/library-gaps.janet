# Known gaps of the core library (issue 6): these run but may fail.
(check (= "(1 2)" (string/format "%j" [1 2])) "tuples print with parentheses as in Janet")
