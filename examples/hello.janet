# The smallest Spindle program.
(defn greet [who]
  (string "Hello, " who "!"))

(print (greet "world"))
