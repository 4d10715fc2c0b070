%% ping-pong: 1,000,000 round trips between two processes. The main process
%% sends i, the echo process answers i + 1; the main process prints the sum of
%% the answers. (Erlang has no unbuffered channels; a round trip is a message
%% each way.)
-module(perf_ping_pong).
-export([main/0]).

-define(N, 1000000).

echo(0) -> ok;
echo(K) ->
    receive {ping, From, I} -> From ! {pong, I + 1} end,
    echo(K - 1).

drive(I, _Echo, Sum) when I >= ?N -> Sum;
drive(I, Echo, Sum) ->
    Echo ! {ping, self(), I},
    receive {pong, V} -> drive(I + 1, Echo, Sum + V) end.

main() ->
    Echo = spawn(fun() -> echo(?N) end),
    io:format("~p~n", [drive(0, Echo, 0)]).
