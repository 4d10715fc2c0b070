%% sort: sort 1,000,000 floats in [0, 1) drawn from the Park-Miller LCG
%% (x <- x * 16807 mod 2^31-1, seed 42; exact in doubles), then print a
%% checksum: the sum of floor(a[i] * 1e6) over every 1000th element.
-module(perf_sort).
-export([main/0]).

-define(N, 1000000).
-define(M, 2147483647).

gen(0, _X, Acc) -> Acc;
gen(K, X, Acc) ->
    X1 = (X * 16807) rem ?M,
    gen(K - 1, X1, [X1 / ?M | Acc]).

checksum([], _I, Sum) -> Sum;
checksum([F | Rest], I, Sum) when I rem 1000 =:= 0 ->
    checksum(Rest, I + 1, Sum + floor(F * 1000000));
checksum([_ | Rest], I, Sum) -> checksum(Rest, I + 1, Sum).

main() ->
    Sorted = lists:sort(gen(?N, 42, [])),
    io:format("~p~n", [checksum(Sorted, 0, 0)]).
