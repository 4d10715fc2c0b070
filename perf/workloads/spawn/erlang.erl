%% spawn: start 100,000 processes; each yields once (receive after 0) and
%% then sends its number to the parent. The parent receives all the reports
%% and prints their sum.
-module(perf_spawn).
-export([main/0]).

-define(N, 100000).

task(Parent, I) ->
    receive after 0 -> ok end,
    Parent ! {report, I}.

collect(0, Sum) -> Sum;
collect(K, Sum) ->
    receive {report, I} -> collect(K - 1, Sum + I) end.

main() ->
    Parent = self(),
    lists:foreach(fun(I) -> spawn(fun() -> task(Parent, I) end) end,
                  lists:seq(0, ?N - 1)),
    io:format("~p~n", [collect(?N, 0)]).
