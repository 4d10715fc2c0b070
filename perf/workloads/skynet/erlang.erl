%% skynet: a tree of processes with fan-out 10 and 1,000,000 leaves
%% (1,111,111 processes in all; run with +P 2000000). Each leaf reports its
%% number; each inner process sums its ten children's reports and reports the
%% sum to its parent. Prints the sum at the root.
-module(perf_skynet).
-export([main/0]).

-define(LEAVES, 1000000).
-define(FAN_OUT, 10).

node(Parent, Num, 1) ->
    Parent ! {sum, Num};
node(Parent, Num, Size) ->
    Self = self(),
    Step = Size div ?FAN_OUT,
    lists:foreach(fun(I) -> spawn(fun() -> node(Self, Num + I * Step, Step) end) end,
                  lists:seq(0, ?FAN_OUT - 1)),
    Parent ! {sum, collect(?FAN_OUT, 0)}.

collect(0, Sum) -> Sum;
collect(K, Sum) ->
    receive {sum, V} -> collect(K - 1, Sum + V) end.

main() ->
    Self = self(),
    spawn(fun() -> node(Self, 0, ?LEAVES) end),
    io:format("~p~n", [collect(1, 0)]).
