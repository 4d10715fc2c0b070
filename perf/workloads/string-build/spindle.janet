# string-build: append the decimal forms of 0..999,999 to one buffer,
# separated by commas, then split it on commas. Prints the byte length, the
# number of parts, and the total length of the parts.
(def n 1000000)

(defn run []
  (def b @"")
  (for i 0 n
    (if (> i 0) (buffer/push-string b ","))
    (buffer/push-string b (string i)))
  (def parts (string/split "," b))
  (var chars 0)
  (each part parts
    (set chars (+ chars (length part))))
  (print (length b))
  (print (length parts))
  (print chars))

(run)
