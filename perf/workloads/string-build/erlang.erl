%% string-build: append the decimal forms of 0..999,999 to one buffer,
%% separated by commas, then split it on commas. Prints the byte length, the
%% number of parts, and the total length of the parts. Erlang's buffer idiom
%% is an iolist flattened once into a binary.
-module(perf_string_build).
-export([main/0]).

-define(N, 1000000).

build(I, Acc) when I >= ?N -> lists:reverse(Acc);
build(0, Acc) -> build(1, [integer_to_binary(0) | Acc]);
build(I, Acc) -> build(I + 1, [integer_to_binary(I), $, | Acc]).

main() ->
    B = iolist_to_binary(build(0, [])),
    Parts = binary:split(B, <<",">>, [global]),
    Chars = lists:foldl(fun(P, Acc) -> Acc + byte_size(P) end, 0, Parts),
    io:format("~p~n~p~n~p~n", [byte_size(B), length(Parts), Chars]).
