# Recursive Fibonacci: a call-heavy benchmark (fib 32 = 2178309).
(defn fib [n]
  (if (< n 2)
    n
    (+ (fib (- n 1)) (fib (- n 2)))))

(print (fib 32))
