%% tcp-echo: an echo server and its clients in one program, over loopback.
%% ?CONNS client processes each make ?ROUNDS round trips of a 100-byte
%% message (checking every echo); the program prints the bytes echoed in total.
-module(perf_tcp_echo).
-export([main/0]).

-define(CONNS, 50).
-define(ROUNDS, 2000).

acceptor(L) ->
    case gen_tcp:accept(L) of
        {ok, S} ->
            Pid = spawn(fun() -> receive go -> echo(S) end end),
            ok = gen_tcp:controlling_process(S, Pid),
            Pid ! go,
            acceptor(L);
        {error, _} -> ok
    end.

echo(S) ->
    case gen_tcp:recv(S, 0) of
        {ok, Data} -> ok = gen_tcp:send(S, Data), echo(S);
        {error, _} -> gen_tcp:close(S)
    end.

rounds(_S, _Msg, 0, N) -> N;
rounds(S, Msg, K, N) ->
    ok = gen_tcp:send(S, Msg),
    {ok, Msg} = gen_tcp:recv(S, 100),
    rounds(S, Msg, K - 1, N + 100).

client(Port, C, Parent) ->
    {ok, S} = gen_tcp:connect({127,0,0,1}, Port,
                              [binary, {active, false}, {nodelay, true}]),
    Msg = binary:copy(<<(65 + C rem 26)>>, 100),
    N = rounds(S, Msg, ?ROUNDS, 0),
    gen_tcp:close(S),
    Parent ! {done, N}.

collect(0, Sum) -> Sum;
collect(K, Sum) -> receive {done, N} -> collect(K - 1, Sum + N) end.

main() ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {reuseaddr, true},
                                 {ip, {127,0,0,1}}, {backlog, 1024}]),
    {ok, Port} = inet:port(L),
    spawn(fun() -> acceptor(L) end),
    Self = self(),
    [spawn(fun() -> client(Port, C, Self) end) || C <- lists:seq(0, ?CONNS - 1)],
    Total = collect(?CONNS, 0),
    io:format("echoed ~p bytes over ~p connections~n", [Total, ?CONNS]).
