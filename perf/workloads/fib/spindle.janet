# fib: naive recursive Fibonacci of 32 (calls and integer arithmetic).
(defn fib [n]
  (if (< n 2)
    n
    (+ (fib (- n 1)) (fib (- n 2)))))

(print (fib 32))
