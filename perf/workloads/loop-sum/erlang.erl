%% loop-sum: sum 1..50,000,000 in a (tail-recursive) loop.
-module(perf_loop_sum).
-export([main/0]).

sum_to(I, N, S) when I > N -> S;
sum_to(I, N, S) -> sum_to(I + 1, N, S + I).

main() -> io:format("~p~n", [sum_to(1, 50000000, 0)]).
