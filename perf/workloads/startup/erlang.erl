%% startup: an empty program; measures VM boot and shutdown.
-module(perf_startup).
-export([main/0]).

main() -> ok.
