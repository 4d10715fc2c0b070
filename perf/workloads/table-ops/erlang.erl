%% table-ops: insert 1,000,000 integer keys (scattered by a multiplicative
%% hash modulo the prime 1000003), then look up the keys 0..999,999; print how
%% many were found and the sum of the values found. Uses an Erlang map.
-module(perf_table_ops).
-export([main/0]).

-define(N, 1000000).
-define(P, 1000003).

insert(I, T) when I >= ?N -> T;
insert(I, T) -> insert(I + 1, T#{(I * 7919) rem ?P => I}).

lookup(K, _T, Found, Sum) when K >= ?N -> {Found, Sum};
lookup(K, T, Found, Sum) ->
    case T of
        #{K := V} -> lookup(K + 1, T, Found + 1, Sum + V);
        _ -> lookup(K + 1, T, Found, Sum)
    end.

main() ->
    {Found, Sum} = lookup(0, insert(0, #{}), 0, 0),
    io:format("~p~n~p~n", [Found, Sum]).
