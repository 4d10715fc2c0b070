# Known gaps: Janet forms not in this engine yet.
(check (= 2 (match [1 2] [1 x] x)) "match")
(varfn later [] 1)
(check (= 1 (later)) "varfn")
(check (= "ab" (string/replace "x" "b" "ax")) "string/replace (core library issue)")
