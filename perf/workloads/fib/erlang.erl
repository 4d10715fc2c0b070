%% fib: naive recursive Fibonacci of 32 (calls and integer arithmetic).
-module(perf_fib).
-export([main/0]).

fib(N) when N < 2 -> N;
fib(N) -> fib(N - 1) + fib(N - 2).

main() -> io:format("~p~n", [fib(32)]).
