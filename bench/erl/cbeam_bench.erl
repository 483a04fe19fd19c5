%% SPDX-License-Identifier: MIT
%%
%% cbeam_bench.erl: the Erlang/OTP side of cbeam-bench (bench/*.c), so that
%% cbeam and the real BEAM can run the same workloads side by side.
%%
%%   bench/erl/beam-bench.sh WORKLOAD [--n N] [--laps L] [--senders S]
%%       [--queued Q] [--kind bin|list|receive|hibernate] [--hogs H]
%%       [--keys K] [--live MB] [--clients C] [--max-concurrency M]
%%       [--schedulers K] [--runs R]
%%
%% The wrapper compiles this module into build/erl/ and starts
%%   erl -noshell +S K:K +P 2097152 -s cbeam_bench main -extra ARGS...
%% (+S only when K > 0; without it the VM runs one scheduler per core, as
%% cbeam does with --schedulers 0). If the VM was started some other way,
%% main/0 sets schedulers_online to K itself when it can.
%%
%% Output contract: the same as cbeam-bench's main.c, one line,
%%   workload=NAME <main>=V <other figures>... schedulers=K <params> runs=R
%% with the same keys, decimals and parameter order; with --runs R > 1 the
%% line is the run whose main figure is the median (the lower middle one
%% for even R) plus <main>_min / <main>_max. Exit status 0, 1 on a failed
%% run or a wrong answer (the line is still printed when there is one), 2 on
%% bad arguments.
%%
%% Each workload mirrors its C twin (named below) step for step: the same
%% messages ({ping, I}, {token, K}, ...), the same protocol, the same timed
%% window, the same checks. Where the two runtimes differ in what can be
%% observed, the comment at the workload says what was done instead.
%%
%% Every run executes in a fresh "root" process spawned for it (as
%% beam_run() starts a root process), which reports its figures to main
%% and is monitored: a crash in a workload is exit status 1, not a hang.
%% Replies are matched against the value sent (a bound variable in the
%% receive pattern), so a lost or reordered message hangs the run instead
%% of giving a plausible figure, as in the C code.
%%
%% Time is erlang:monotonic_time(nanosecond) (CLOCK_MONOTONIC underneath, as
%% bench_now_ns()). Memory figures are the OS resident set (VmRSS from
%% /proc/self/status), the same measure as bench_rss_bytes(); spawn_idle
%% adds the VM's own accounting as an extra key.
-module(cbeam_bench).
-export([main/0, main/1, idle_body/0]).
%% gen_server callbacks (genserver_call, genserver_cast)
-export([init/1, handle_call/3, handle_cast/2]).

-define(SETTLE_MS, 1000). % spawn_idle: as bench/spawn.c
-define(SPAWN_EXIT_BOUND, 10000).
-define(SKYNET_LEAVES, 1000000).
-define(SKYNET_FANOUT, 10).
-define(SLEEP_MS, 10).
-define(SLEEPS, 10).
-define(BIN_BYTES, 1024).
-define(LIST_LEN, 100).
-define(WINDOW, 4096).
-define(ACK_EVERY, 256).
-define(RSS_EVERY, 16384).
-define(FAIR_MS, 2000).
-define(FAIR_WARM_MS, 50).
%% Fairness histogram: 100 ns buckets below HIST_BUCKETS * 100 ns = 10 ms;
%% slower round trips are kept exactly in a list (there are few of them).
-define(HIST_NS, 100).
-define(HIST_BUCKETS, 100000).
%% map_state and gc (memory.c)
-define(SAMPLE_EVERY, 1024).
-define(GET_EVERY, 16).
-define(ELEM_BYTES, 72).
-define(PAUSES, 7).
-define(MINORS, 9).
-define(GARBAGE, 1000).

%% {Name, Fun, Accepted options, Defaults}
workloads() ->
    [{"spawn_idle", fun spawn_idle/1, [n, kind], #{n => 100000, kind => "receive"}},
     {"spawn_exit", fun spawn_exit/1, [n], #{n => 1000000}},
     {"pingpong", fun pingpong/1, [n], #{n => 1000000}},
     {"ring", fun ring/1, [n, laps], #{n => 1000, laps => 1000}},
     {"skynet", fun skynet/1, [], #{n => 1000000}},
     {"fanin", fun fanin/1, [n, senders], #{n => 250000, senders => 4}},
     {"timers", fun timers/1, [n], #{n => 10000}},
     {"selective", fun selective/1, [n, queued],
      #{n => 10000, queued => 10000}},
     {"bigmsg", fun bigmsg/1, [n, kind], #{kind => "bin"}},
     {"fairness", fun fairness/1, [hogs], #{hogs => 4}},
     {"map_state", fun map_state/1, [n, keys], #{keys => 1000}},
     {"gc", fun gc/1, [live], #{live => 1}},
     {"genserver_call", fun genserver_call/1, [n, clients],
      #{n => 1000000, clients => 1}},
     {"genserver_cast", fun genserver_cast/1, [n], #{n => 1000000}},
     {"agent_update", fun agent_update/1, [n], #{n => 1000000}},
     {"async_stream", fun async_stream/1, [n, max_concurrency],
      #{n => 1000000, max_concurrency => 0}}].

%% ---- Driver ----

main() ->
    main(init:get_plain_arguments()).

main(Args) ->
    Status = try run(Args)
             catch throw:{usage, Msg} ->
                     io:format(standard_error, "beam-bench: ~ts~n", [Msg]),
                     usage(standard_error),
                     2
             end,
    halt(Status).

usage(Dev) ->
    io:format(Dev,
              "usage: beam-bench.sh WORKLOAD [options]~n"
              "workloads: ~ts~n"
              "options: --n N --laps L --senders S --queued Q --kind bin|list~n"
              "         --hogs H --keys K --live MB --clients C --max-concurrency M~n"
              "         --schedulers K --runs R~n"
              "         (each workload takes only those it uses; see bench/README.md)~n",
              [lists:join(" ", [W || {W, _, _, _} <- workloads()])]).

run([]) ->
    throw({usage, "no workload"});
run([H | _]) when H =:= "-h"; H =:= "--help" ->
    usage(standard_io), 0;
run([Name | Rest]) ->
    case lists:keyfind(Name, 1, workloads()) of
        false -> throw({usage, "unknown workload '" ++ Name ++ "'"});
        {_, Fun, Accepts, Defaults} ->
            O0 = maps:merge(#{schedulers => 0, runs => 1}, Defaults),
            O1 = parse(Rest, Name, Accepts, O0),
            O = case Name of
                    "bigmsg" when not is_map_key(n, O1) ->
                        O1#{n => bigmsg_default_n(maps:get(kind, O1))};
                    "map_state" when not is_map_key(n, O1) ->
                        O1#{n => map_state_default_n(maps:get(keys, O1))};
                    _ -> O1
                end,
            set_schedulers(maps:get(schedulers, O)),
            Runs = [one_run(Fun, O) || _ <- lists:seq(1, maps:get(runs, O))],
            report(Name, Accepts, O, Runs)
    end.

parse([], _, _, O) -> O;
parse([H | _], _, _, _) when H =:= "-h"; H =:= "--help" ->
    usage(standard_io), halt(0);
parse([Opt], _, _, _) -> throw({usage, Opt ++ " needs a value"});
parse([Opt, Val | Rest], Name, Accepts, O) ->
    {Key, V} =
        case Opt of
            "--n" -> {n, count(Opt, Val, 1, 1000000000)};
            "--laps" -> {laps, count(Opt, Val, 1, 1000000000)};
            "--senders" -> {senders, count(Opt, Val, 1, 1000000)};
            "--queued" -> {queued, count(Opt, Val, 0, 100000000)};
            "--hogs" -> {hogs, count(Opt, Val, 0, 100000)};
            "--keys" -> {keys, count(Opt, Val, 1, 100000000)};
            "--live" -> {live, count(Opt, Val, 1, 100000)};
            "--clients" -> {clients, count(Opt, Val, 1, 1000000)};
            "--max-concurrency" -> {max_concurrency, count(Opt, Val, 1, 1000000)};
            "--kind" when Val =:= "bin"; Val =:= "list";
                          Val =:= "receive"; Val =:= "hibernate" -> {kind, Val};
            "--kind" -> throw({usage, "bad value '" ++ Val ++ "' for --kind (bin, list, receive or hibernate)"});
            "--schedulers" -> {schedulers, count(Opt, Val, 0, 1024)};
            "--runs" -> {runs, count(Opt, Val, 1, 1000)};
            _ -> throw({usage, "unknown option '" ++ Opt ++ "'"})
        end,
    case Key =:= schedulers orelse Key =:= runs orelse lists:member(Key, Accepts) of
        true -> parse(Rest, Name, Accepts, O#{Key => V});
        false -> throw({usage, Name ++ " does not take " ++ Opt})
    end.

%% "250000" or "1e6", as main.c's parse_count().
count(Opt, Text, Lo, Hi) ->
    V = try
            case string:split(string:lowercase(Text), "e") of
                [M] -> list_to_integer(M);
                [M, E] -> list_to_integer(M) * pow10(list_to_integer(E))
            end
        catch _:_ -> bad
        end,
    case is_integer(V) andalso V >= Lo andalso V =< Hi of
        true -> V;
        false -> throw({usage, "bad value '" ++ Text ++ "' for " ++ Opt})
    end.

pow10(E) when E >= 0, E =< 18 -> round(math:pow(10, E)).

set_schedulers(0) -> ok;
set_schedulers(K) ->
    case erlang:system_info(schedulers_online) of
        K -> ok;
        _ ->
            case K =< erlang:system_info(schedulers) of
                true -> erlang:system_flag(schedulers_online, K), ok;
                false ->
                    io:format(standard_error,
                              "beam-bench: ~b schedulers asked for, the VM has ~b: "
                              "start erl with +S ~b:~b~n",
                              [K, erlang:system_info(schedulers), K, K]),
                    halt(1)
            end
    end.

%% One run in a fresh root process. Returns {ok, Figures, Failed}.
one_run(Fun, O) ->
    Main = self(),
    {Pid, Ref} = spawn_monitor(fun() -> Main ! {self(), Fun(O)} end),
    receive
        {Pid, {Figs, Failed}} ->
            receive {'DOWN', Ref, process, Pid, _} -> ok end,
            {Figs, Failed};
        {'DOWN', Ref, process, Pid, Reason} ->
            io:format(standard_error, "beam-bench: run failed: ~tP~n", [Reason, 30]),
            halt(1)
    end.

report(Name, Accepts, O, Runs) ->
    Sorted = lists:sort(fun({[{_, A, _} | _], _}, {[{_, B, _} | _], _}) -> A =< B end,
                        Runs),
    R = length(Sorted),
    {Med, _} = lists:nth((R - 1) div 2 + 1, Sorted),
    [{MainKey, _, MainDec} | _] = Med,
    Figs = [[" ", K, "=", fmt(V, D)] || {K, V, D} <- Med],
    Spread = case R > 1 of
                 true ->
                     {[{_, Lo, _} | _], _} = hd(Sorted),
                     {[{_, Hi, _} | _], _} = lists:last(Sorted),
                     [" ", MainKey, "_min=", fmt(Lo, MainDec),
                      " ", MainKey, "_max=", fmt(Hi, MainDec)];
                 false -> []
             end,
    Params = [io_lib:format(" schedulers=~b", [erlang:system_info(schedulers_online)]),
              [io_lib:format(" senders=~b", [maps:get(senders, O)]) || lists:member(senders, Accepts)],
              [io_lib:format(" queued=~b", [maps:get(queued, O)]) || lists:member(queued, Accepts)],
              [io_lib:format(" kind=~s", [maps:get(kind, O)]) || lists:member(kind, Accepts)],
              [io_lib:format(" hogs=~b", [maps:get(hogs, O)]) || lists:member(hogs, Accepts)],
              [io_lib:format(" keys=~b", [maps:get(keys, O)]) || lists:member(keys, Accepts)],
              [io_lib:format(" live=~b", [maps:get(live, O)]) || lists:member(live, Accepts)],
              [io_lib:format(" clients=~b", [maps:get(clients, O)]) || lists:member(clients, Accepts)],
              [io_lib:format(" max_concurrency=~b", [stream_width(maps:get(max_concurrency, O))])
               || lists:member(max_concurrency, Accepts)],
              [io_lib:format(" n=~b", [maps:get(n, O)]) || is_map_key(n, O)],
              [io_lib:format(" laps=~b", [maps:get(laps, O)]) || lists:member(laps, Accepts)],
              io_lib:format(" runs=~b", [R])],
    io:put_chars(["workload=", Name, Figs, Spread, Params, "\n"]),
    case lists:any(fun({_, F}) -> F end, Runs) of
        true ->
            io:format(standard_error, "beam-bench: ~s: wrong result (see the line above)~n", [Name]),
            1;
        false -> 0
    end.

fmt(V, 0) -> integer_to_list(round(V));
fmt(V, D) -> io_lib:format("~.*f", [D, float(V)]).

%% ---- Helpers (util.c) ----

now_ns() -> erlang:monotonic_time(nanosecond).

pcount() -> erlang:system_info(process_count).

%% VmRSS in bytes (0 if unreadable): the resident set, as bench_rss_bytes().
rss() ->
    case file:read_file("/proc/self/status") of
        {ok, B} ->
            case re:run(B, "VmRSS:\\s+(\\d+) kB", [{capture, all_but_first, list}]) of
                {match, [Kb]} -> list_to_integer(Kb) * 1024;
                nomatch -> 0
            end;
        _ -> 0
    end.

%% bench_await_exit(): at most Base processes alive.
await_exit(Base) ->
    case pcount() > Base of
        true -> receive after 1 -> await_exit(Base) end;
        false -> ok
    end.

ms(Ns) -> Ns / 1.0e6.

%% ---- spawn_idle (spawn.c) ----
%%
%% bytes_per_proc is OS RSS growth / N, as in C. The C root allocates and
%% touches its pid array before the first sample; here the pids are a list
%% built while spawning on the root's own heap, so the root's own growth
%% (process_info memory) is subtracted: what is left is what the N processes
%% cost. vm_bytes_per_proc is the VM's own view: growth of
%% erlang:memory(processes) minus the root's, / N.

spawn_idle(#{n := N, kind := Kind}) ->
    Body = case Kind of
               "receive" -> fun idle_body/0;
               "hibernate" -> fun hibernating_body/0
           end,
    Start = pcount(),
    Self0 = self_mem(), Rss0 = rss(), Vm0 = erlang:memory(processes),
    T0 = now_ns(),
    Pids = spawn_idle_loop(N, Body, []),
    wait_at_least(Start + N),
    T1 = now_ns(),
    receive after ?SETTLE_MS -> ok end,
    Rss1 = rss(), Vm1 = erlang:memory(processes), Self1 = self_mem(),
    Root = Self1 - Self0,
    T2 = now_ns(),
    [P ! stop || P <- Pids],
    wait_at_most(Start),
    T3 = now_ns(),
    {[{"wall_ms", ms(T1 - T0), 1},
      {"bytes_per_proc", max(0, Rss1 - Rss0 - Root) / N, 0},
      {"stop_ms", ms(T3 - T2), 1},
      {"vm_bytes_per_proc", max(0, Vm1 - Vm0 - Root) / N, 0}], false}.

spawn_idle_loop(0, _Body, Acc) -> Acc;
spawn_idle_loop(I, Body, Acc) ->
    spawn_idle_loop(I - 1, Body, [spawn(Body) | Acc]).

idle_body() -> receive stop -> ok end.

hibernating_body() -> erlang:hibernate(?MODULE, idle_body, []).

self_mem() ->
    {memory, M} = process_info(self(), memory),
    M.

wait_at_least(C) ->
    case pcount() < C of
        true -> receive after 1 -> wait_at_least(C) end;
        false -> ok
    end.

wait_at_most(C) -> await_exit(C).

%% ---- spawn_exit (spawn.c) ----

spawn_exit(#{n := N}) ->
    Start = pcount(),
    Rss0 = rss(),
    T0 = now_ns(),
    Peak = spawn_exit_loop(N, Start, 0),
    yield_until(Start),
    T1 = now_ns(),
    Rss1 = rss(),
    S = (T1 - T0) / 1.0e9,
    {[{"procs_per_s", N / S, 0},
      {"wall_ms", S * 1.0e3, 1},
      {"rss_growth_mb", max(0, Rss1 - Rss0) / 1048576, 1},
      {"peak_alive", Peak, 0}], false}.

spawn_exit_loop(0, _, Peak) -> Peak;
spawn_exit_loop(I, Start, Peak) ->
    Alive = bound(Start),
    spawn(fun exit_body/0),
    spawn_exit_loop(I - 1, Start, max(Alive, Peak)).

%% Yield while SPAWN_EXIT_BOUND children are alive.
bound(Start) ->
    case pcount() - Start of
        A when A >= ?SPAWN_EXIT_BOUND -> erlang:yield(), bound(Start);
        A -> A
    end.

exit_body() -> ok.

yield_until(Start) ->
    case pcount() > Start of
        true -> erlang:yield(), yield_until(Start);
        false -> ok
    end.

%% ---- skynet (spawn.c) ----

skynet(_) ->
    Base = pcount(),
    Self = self(),
    T0 = now_ns(),
    spawn(fun() -> skynet_node(Self, 0, ?SKYNET_LEAVES) end),
    Sum = receive V -> V end,
    T1 = now_ns(),
    await_exit(Base),
    {[{"wall_ms", ms(T1 - T0), 1}, {"result", Sum, 0}],
     Sum =/= ?SKYNET_LEAVES * (?SKYNET_LEAVES - 1) div 2}.

skynet_node(Parent, Num, 1) ->
    Parent ! Num;
skynet_node(Parent, Num, Size) ->
    Sub = Size div ?SKYNET_FANOUT,
    Self = self(),
    skynet_spawn(Self, Num, Sub, 0),
    Parent ! skynet_sum(?SKYNET_FANOUT, 0).

skynet_spawn(_, _, _, ?SKYNET_FANOUT) -> ok;
skynet_spawn(Self, Num, Sub, I) ->
    spawn(fun() -> skynet_node(Self, Num + I * Sub, Sub) end),
    skynet_spawn(Self, Num, Sub, I + 1).

skynet_sum(0, Acc) -> Acc;
skynet_sum(K, Acc) -> receive V -> skynet_sum(K - 1, Acc + V) end.

%% ---- pingpong (messaging.c) ----

pingpong(#{n := N}) ->
    Base = pcount(),
    Self = self(),
    Pong = spawn(fun() -> pong_loop(Self) end),
    T0 = now_ns(),
    ping_loop(Pong, 0, N),
    T1 = now_ns(),
    Pong ! stop,
    await_exit(Base),
    {[{"rt_ns", (T1 - T0) / N, 1}, {"wall_ms", ms(T1 - T0), 1}], false}.

ping_loop(_, N, N) -> ok;
ping_loop(Pong, K, N) ->
    Pong ! {ping, K},
    receive {pong, K} -> ok end,
    ping_loop(Pong, K + 1, N).

pong_loop(Peer) ->
    receive
        {ping, I} -> Peer ! {pong, I}, pong_loop(Peer);
        stop -> ok
    end.

%% ---- ring (messaging.c) ----

ring(#{n := N, laps := L}) ->
    Hops = N * L,
    Base = pcount(),
    Self = self(),
    Pids = [spawn(fun() -> ring_node(Self) end) || _ <- lists:seq(1, N)],
    [P ! {next, Q} || {P, Q} <- lists:zip(Pids, tl(Pids) ++ [hd(Pids)])],
    %% The root's send is not a hop: node 0 receives Hops and the token then
    %% crosses Hops node-to-node links before 'done'.
    T0 = now_ns(),
    hd(Pids) ! {token, Hops},
    receive done -> ok end,
    T1 = now_ns(),
    [P ! stop || P <- Pids],
    await_exit(Base),
    {[{"hop_ns", (T1 - T0) / Hops, 1}, {"wall_ms", ms(T1 - T0), 1}], false}.

ring_node(Root) ->
    receive {next, P} -> ring_loop(Root, P) end.

ring_loop(Root, Next) ->
    receive
        {token, 0} -> Root ! done, ring_loop(Root, Next);
        {token, K} -> Next ! {token, K - 1}, ring_loop(Root, Next);
        stop -> ok
    end.

%% ---- fanin (messaging.c) ----

fanin(#{senders := S, n := N}) ->
    Total = S * N,
    Base = pcount(),
    Self = self(),
    T0 = now_ns(),
    [spawn(fun() -> fanin_sender(Self, 0, N) end) || _ <- lists:seq(1, S)],
    Peak = fanin_recv(0, Total, 0),
    T1 = now_ns(),
    await_exit(Base),
    Secs = (T1 - T0) / 1.0e9,
    {[{"msgs_per_s", Total / Secs, 0}, {"wall_ms", Secs * 1.0e3, 1},
      {"peak_queue", Peak, 0}], false}.

fanin_sender(_, N, N) -> ok;
fanin_sender(To, I, N) ->
    To ! {msg, I},
    fanin_sender(To, I + 1, N).

%% The C receiver takes any message; '{msg, _}' is the same here (the root
%% gets nothing else, so the first message always matches).
fanin_recv(Total, Total, Peak) -> Peak;
fanin_recv(I, Total, Peak) ->
    receive {msg, _} -> ok end,
    Peak1 = case I band 1023 of
                0 ->
                    {message_queue_len, Len} = process_info(self(), message_queue_len),
                    max(Len, Peak);
                _ -> Peak
            end,
    fanin_recv(I + 1, Total, Peak1).

%% ---- timers (timers.c) ----
%%
%% 'receive after 10' is what timer:sleep(10) does.

timers(#{n := N}) ->
    Base = pcount(),
    Self = self(),
    T0 = now_ns(),
    [spawn(fun() -> sleeper(Self) end) || _ <- lists:seq(1, N)],
    {W, B, S} = timers_collect(N, -(1 bsl 58), 1 bsl 58, 0),
    T1 = now_ns(),
    await_exit(Base),
    {[{"wall_ms", ms(T1 - T0), 1},
      {"max_late_ms", ms(W), 3},
      {"mean_late_ms", ms(S) / (N * ?SLEEPS), 3},
      {"min_late_ms", ms(B), 3}], B < 0}.

sleeper(Root) ->
    Root ! sleep_loop(?SLEEPS, -(1 bsl 58), 1 bsl 58, 0).

sleep_loop(0, W, B, S) -> {W, B, S};
sleep_loop(K, W, B, S) ->
    T0 = now_ns(),
    receive after ?SLEEP_MS -> ok end,
    Late = now_ns() - T0 - ?SLEEP_MS * 1000000,
    sleep_loop(K - 1, max(W, Late), min(B, Late), S + Late).

timers_collect(0, W, B, S) -> {W, B, S};
timers_collect(K, W, B, S) ->
    receive
        {W1, B1, S1} -> timers_collect(K - 1, max(W, W1), min(B, B1), S + S1)
    end.

%% ---- selective (messaging.c) ----
%%
%% The ref phase relies on the compiler's receive optimisation: make_ref()
%% and a receive whose every clause matches that ref, in one function, so
%% the receive starts after the messages already queued (check with
%% 'erlc +recv_opt_info'). The scan phase's {reply, K} pattern looks at all
%% Q queued messages each time.

selective(#{queued := Q, n := N}) ->
    Base = pcount(),
    Self = self(),
    noise(Self, 0, Q),
    Server = spawn(fun selective_server/0),
    T0 = now_ns(),
    sel_ref(Server, 0, N),
    T1 = now_ns(),
    sel_scan(Server, 0, N),
    T2 = now_ns(),
    {message_queue_len, Left} = process_info(self(), message_queue_len),
    Server ! stop,
    await_exit(Base),
    Left =:= Q orelse
        io:format(standard_error,
                  "beam-bench: selective: ~b messages left queued, expected ~b~n",
                  [Left, Q]),
    {[{"op_us", (T1 - T0) / 1.0e3 / N, 3},
      {"scan_op_us", (T2 - T1) / 1.0e3 / N, 3}], Left =/= Q}.

noise(_, Q, Q) -> ok;
noise(Self, I, Q) -> Self ! {noise, I}, noise(Self, I + 1, Q).

sel_ref(_, N, N) -> ok;
sel_ref(Server, K, N) ->
    Ref = make_ref(),
    Server ! {call, self(), Ref, K},
    receive
        {Ref, Reply} ->
            Reply =:= K orelse error({reply_check, K, Reply})
    end,
    sel_ref(Server, K + 1, N).

sel_scan(_, N, N) -> ok;
sel_scan(Server, K, N) ->
    Server ! {call, self(), K},
    receive {reply, K} -> ok end,
    sel_scan(Server, K + 1, N).

selective_server() ->
    receive
        {call, From, Ref, X} -> From ! {Ref, X}, selective_server();
        {call, From, X} -> From ! {reply, X}, selective_server();
        stop -> ok
    end.

%% ---- bigmsg (bigmsg.c) ----
%%
%% {msg, I, Payload}: Payload one 1 KiB binary (kind bin; a refc binary,
%% since binaries over 64 bytes are off-heap, so a send copies a small
%% ProcBin and bumps a count) or one list of 100 small integers (kind list;
%% every send copies the 100 cells), built once and sent N times (default
%% 1e6 bin, 1e5 list). Two timed phases: the kind asked for (msg_ns) and
%% the same protocol with {msg, I, 0} (small_ns), after an untimed warm-up
%% of each (min(N/10, 10000) messages).
%%
%% A phase: the root streams N messages to a fresh receiver that checks
%% each one (I is the next sequence number; the binary's first and last
%% bytes, or the list's first two elements: O(1), as the C check) and drops
%% it. The receiver acks {ack, Count} every ACK_EVERY messages and the
%% sender keeps at most WINDOW unacked in flight, so the queue stays
%% bounded; at the end 'flush' is answered with {flushed, Count}.
%% msg_ns = time from the first send to {flushed, N}, / N. rss_peak_kb is
%% the largest RSS sampled (every RSS_EVERY sends and at phase ends) minus
%% the RSS when the root started; rss_end_kb the same at the end.

bigmsg_default_n("list") -> 100000;
bigmsg_default_n(_) -> 1000000.

bin_byte(I) -> (I * 7 + 3) band 255.

bigmsg(#{kind := KindS, n := N}) ->
    Rss0 = rss(),
    put(rss_peak, Rss0),
    {Kind, Payload} =
        case KindS of
            "bin" ->
                {bin, binary:copy(<< <<(bin_byte(I))>> || I <- lists:seq(0, ?BIN_BYTES - 1) >>)};
            "list" -> {list, lists:seq(0, ?LIST_LEN - 1)}
        end,
    Warm = min(N div 10, 10000),
    Warm > 0 andalso begin
                         bigmsg_phase(Kind, Payload, Warm),
                         bigmsg_phase(small, 0, Warm)
                     end,
    T0 = now_ns(),
    MsgNs = bigmsg_phase(Kind, Payload, N),
    T1 = now_ns(),
    SmallNs = bigmsg_phase(small, 0, N),
    RssEnd = rss(),
    Peak = get(rss_peak),
    {[{"msg_ns", MsgNs, 1}, {"small_ns", SmallNs, 1},
      {"ratio", MsgNs / SmallNs, 2}, {"wall_ms", ms(T1 - T0), 1},
      {"rss_peak_kb", max(0, Peak - Rss0) / 1024, 0},
      {"rss_end_kb", max(0, RssEnd - Rss0) / 1024, 0}], false}.

sample_rss() ->
    R = rss(),
    R > get(rss_peak) andalso put(rss_peak, R).

bigmsg_phase(Kind, Payload, N) ->
    Base = pcount(),
    Self = self(),
    R = spawn(fun() -> bigmsg_receiver(Self, Kind, 0) end),
    T0 = now_ns(),
    bigmsg_send(R, Payload, 0, N, 0),
    R ! flush,
    Total = receive {flushed, C} -> C end,
    T1 = now_ns(),
    Total =:= N orelse error({receiver_count, Total, N}),
    sample_rss(),
    drain_acks(),
    R ! stop,
    await_exit(Base),
    (T1 - T0) / N.

bigmsg_send(_, _, N, N, _) -> ok;
bigmsg_send(R, Payload, K, N, Acked) when K - Acked >= ?WINDOW ->
    receive {ack, C} -> bigmsg_send(R, Payload, K, N, C) end;
bigmsg_send(R, Payload, K, N, Acked) ->
    R ! {msg, K, Payload},
    K rem ?RSS_EVERY =:= 0 andalso sample_rss(),
    bigmsg_send(R, Payload, K + 1, N, Acked).

%% Acks still queued were all sent before {flushed, _}, so they are here.
drain_acks() ->
    receive {ack, _} -> drain_acks() after 0 -> ok end.

bigmsg_receiver(Sender, Kind, Count) ->
    receive
        {msg, I, P} ->
            I =:= Count orelse error({sequence_check, I, Count}),
            check_payload(Kind, P),
            C1 = Count + 1,
            C1 rem ?ACK_EVERY =:= 0 andalso (Sender ! {ack, C1}),
            bigmsg_receiver(Sender, Kind, C1);
        flush ->
            Sender ! {flushed, Count},
            bigmsg_receiver(Sender, Kind, Count);
        stop -> ok
    end.

check_payload(small, 0) -> ok;
check_payload(bin, P) when byte_size(P) =:= ?BIN_BYTES ->
    B0 = bin_byte(0), BL = bin_byte(?BIN_BYTES - 1),
    case P of
        <<B0, _:(?BIN_BYTES - 2)/binary, BL>> -> ok
    end;
check_payload(list, [0, 1 | _]) -> ok.

%% ---- fairness (C twin: bench/fairness.c) ----
%%
%% H hog processes spin in a loop that never receives (each iteration is
%% a function call, so the BEAM preempts them by reductions), while a
%% ping-pong pair (the root and a ponger, {ping, I} / {pong, I} as in
%% pingpong) does round trips for FAIR_MS, each timed on its own. The hogs
%% start FAIR_WARM_MS before the first round trip so that they are all
%% running, and are killed (exit(P, kill)) after the last. worst_ms is the
%% slowest round trip, p99_ms the 99th percentile (the upper edge of its
%% 100 ns bucket below 10 ms, exact above), rts the number of round trips.

fairness(#{hogs := H}) ->
    Base = pcount(),
    Self = self(),
    Hogs = [spawn(fun() -> hog(I) end) || I <- lists:seq(1, H)],
    Pong = spawn(fun() -> pong_loop(Self) end),
    receive after ?FAIR_WARM_MS -> ok end,
    Hist = counters:new(?HIST_BUCKETS, []),
    Deadline = now_ns() + ?FAIR_MS * 1000000,
    {Rts, Worst, Slow} = fair_loop(Pong, 0, Deadline, Hist, 0, []),
    [exit(P, kill) || P <- Hogs],
    Pong ! stop,
    await_exit(Base),
    P99 = percentile(Hist, Slow, Rts, 0.99),
    {[{"worst_ms", ms(Worst), 3}, {"p99_ms", ms(P99), 3},
      {"rts", Rts, 0}], false}.

hog(X) -> hog((X * 69069 + 1) band 16#ffffff).

fair_loop(Pong, K, Deadline, Hist, Worst, Slow) ->
    T0 = now_ns(),
    case T0 >= Deadline of
        true -> {K, Worst, Slow};
        false ->
            Pong ! {ping, K},
            receive {pong, K} -> ok end,
            D = now_ns() - T0,
            B = D div ?HIST_NS,
            Slow1 = case B < ?HIST_BUCKETS of
                        true -> counters:add(Hist, B + 1, 1), Slow;
                        false -> [D | Slow]
                    end,
            fair_loop(Pong, K + 1, Deadline, Hist, max(Worst, D), Slow1)
    end.

%% The latency (ns) that at least P of all round trips are at or below.
percentile(_, _, 0, _) -> 0;
percentile(Hist, Slow, Total, P) ->
    Need = max(1, ceil(P * Total)),
    percentile(Hist, Slow, Need, 0, 0).

percentile(Hist, Slow, Need, B, Acc) when B < ?HIST_BUCKETS ->
    Acc1 = Acc + counters:get(Hist, B + 1),
    case Acc1 >= Need of
        true -> (B + 1) * ?HIST_NS;
        false -> percentile(Hist, Slow, Need, B + 1, Acc1)
    end;
percentile(_, Slow, Need, _, Acc) ->
    lists:nth(Need - Acc, lists:sort(Slow)).

%% ---- map_state (memory.c) ----
%%
%% The root keeps a map of K keys (0..K-1, values {Iter, Key}) in a
%% recursive loop and applies N updates: Map#{Key => {I + 1, Key}} of a
%% random key, and when I rem 16 =:= 0 a get of another random key, checked
%% ({J, Key2} with 0 =< J =< I + 1). The keys come from the same LCG as in
%% C: X = (X * 69069 + 1) band 16#ffffffff from 1, Key = (X bsr 8) rem K.
%% The initial map (maps:from_list, untimed) is followed by a major
%% collection, as in C. Every SAMPLE_EVERY updates the loop samples RSS
%% (VmRSS) and process_info(self(), memory); the time spent sampling is
%% taken out of update_ns. peak_rss_kb: the largest RSS sample minus the RSS
%% when the root started; heap_kb: process_info(self(), memory) at the end
%% (heap, old heap, stack: what the process holds), heap_peak_kb the
%% largest sample; map_kb: erts_debug:flat_size(Map) * 8 (no sharing in
%% this map, so the size of one copy). After the loop (untimed) the LCG
%% sequence is replayed into an array and every entry of the map compared
%% with it. gcs: the collections during the timed loop, from
%% statistics(garbage_collection) (the whole VM's count, but the root is
%% the only process at work). The VM has no per-process count of minor and
%% major collections, so minor_gcs / major_gcs come from a second, untimed
%% run of the loop in a fresh process (which starts as the root did) traced
%% by a tracer process (erlang:trace/3 garbage_collection: gc_minor_start,
%% gc_major_start). Tracing is not free and changes small heaps: at K = 10
%% the traced run collects about twice as often as the timed one (its
%% minor + major against gcs); at K >= 1000 they agree within a few.

map_state_default_n(K) when K > 10000 -> 10000;
map_state_default_n(_) -> 100000.

lcg(X) -> (X * 69069 + 1) band 16#ffffffff.

key_of(X, K) -> (X bsr 8) rem K.

map_state(#{keys := K, n := N}) ->
    Rss0 = rss(),
    Map0 = map_initial(K),
    Mem0 = self_mem(),
    {Gcs0, _, _} = statistics(garbage_collection),
    T0 = now_ns(),
    {Map, Failed, Sampling, RssPeak, MemPeak} =
        map_loop(Map0, 0, N, K, 1, false, 0, Rss0, Mem0),
    T1 = now_ns(),
    {Gcs1, _, _} = statistics(garbage_collection),
    Rss = rss(),
    Mem = self_mem(),
    MapBytes = erts_debug:flat_size(Map) * 8,
    Ok = map_check(Map, K, N),
    {Minor, Major} = map_count_gcs(K, N),
    {[{"update_ns", (T1 - T0 - Sampling) / N, 1},
      {"peak_rss_kb", max(0, max(Rss, RssPeak) - Rss0) / 1024, 0},
      {"heap_kb", Mem / 1024, 0},
      {"heap_peak_kb", max(Mem, MemPeak) / 1024, 0},
      {"map_kb", MapBytes / 1024, 1},
      {"minor_gcs", Minor, 0},
      {"major_gcs", Major, 0},
      {"gcs", Gcs1 - Gcs0, 0}], Failed orelse not Ok}.

%% #{Key => {0, Key}}, then a major collection (as in C).
map_initial(K) ->
    Map0 = maps:from_list([{I, {0, I}} || I <- lists:seq(0, K - 1)]),
    maps:size(Map0) =:= K orelse error(initial_map_size),
    erlang:garbage_collect(),
    Map0.

%% The same run again in a fresh process (as the root: it starts the same
%% way, so its heap grows the same way), untimed and traced: tracing costs
%% a message per collection start and end (5x the update time at K = 10),
%% so the timed run is not traced.
map_count_gcs(K, N) ->
    Self = self(),
    {Pid, Ref} =
        spawn_monitor(
          fun() ->
                  Rss0 = rss(),
                  Map0 = map_initial(K),
                  Mem0 = self_mem(),
                  Tracer = gc_trace_start(),
                  {_, false, _, _, _} =
                      map_loop(Map0, 0, N, K, 1, false, 0, Rss0, Mem0),
                  Self ! {self(), gc_trace_stop(Tracer)}
          end),
    receive
        {Pid, Counts} ->
            receive {'DOWN', Ref, process, Pid, _} -> Counts end;
        {'DOWN', Ref, process, Pid, Reason} -> error({map_count_gcs, Reason})
    end.

map_loop(Map, N, N, _, _, Failed, S, RP, MP) ->
    {Map, Failed, S, RP, MP};
map_loop(Map, I, N, K, X0, Failed, S, RP, MP) ->
    X1 = lcg(X0),
    Key = key_of(X1, K),
    Map1 = Map#{Key => {I + 1, Key}},
    {X, Failed1} =
        case I rem ?GET_EVERY of
            0 ->
                X2 = lcg(X1),
                Key2 = key_of(X2, K),
                Ok = case Map1 of
                         #{Key2 := {J, Key2}} when J >= 0, J =< I + 1 -> true;
                         _ -> false
                     end,
                {X2, Failed orelse not Ok};
            _ -> {X1, Failed}
        end,
    case I rem ?SAMPLE_EVERY of
        0 ->
            S0 = now_ns(),
            R = rss(),
            M = self_mem(),
            map_loop(Map1, I + 1, N, K, X, Failed1, S + now_ns() - S0,
                     max(R, RP), max(M, MP));
        _ ->
            map_loop(Map1, I + 1, N, K, X, Failed1, S, RP, MP)
    end.

%% The loop's key sequence replayed into an array: every key's last value.
map_check(Map, K, N) ->
    Last = map_replay(array:new(K, {default, 0}), 0, N, K, 1),
    maps:size(Map) =:= K andalso
        lists:all(fun(Key) ->
                          maps:get(Key, Map, none) =:= {array:get(Key, Last), Key}
                  end, lists:seq(0, K - 1)).

map_replay(A, N, N, _, _) -> A;
map_replay(A, I, N, K, X0) ->
    X1 = lcg(X0),
    A1 = array:set(key_of(X1, K), I + 1, A),
    X = case I rem ?GET_EVERY of 0 -> lcg(X1); _ -> X1 end,
    map_replay(A1, I + 1, N, K, X).

%% Counting the root's collections: a tracer process gets
%% {trace, Pid, gc_minor_start | gc_major_start | ..._end, Info}.
gc_trace_start() ->
    Tracer = spawn(fun() -> gc_counter(0, 0) end),
    erlang:trace(self(), true, [garbage_collection, {tracer, Tracer}]),
    Tracer.

gc_trace_stop(Tracer) ->
    erlang:trace(self(), false, [garbage_collection]),
    Ref = erlang:trace_delivered(self()),
    receive {trace_delivered, _, Ref} -> ok end,
    Tracer ! {count, self()},
    receive {gc_count, Minor, Major} -> {Minor, Major} end.

gc_counter(Minor, Major) ->
    receive
        {trace, _, gc_minor_start, _} -> gc_counter(Minor + 1, Major);
        {trace, _, gc_major_start, _} -> gc_counter(Minor, Major + 1);
        {trace, _, _, _} -> gc_counter(Minor, Major);
        {count, From} -> From ! {gc_count, Minor, Major}
    end.

%% ---- gc (memory.c) ----
%%
%% The root builds L = [{1, [1, 2]}, ..., {N, [N, N + 1]}] with N = MB MiB
%% / 72 bytes (9 words an element, as in C): build_ms, the heap growing
%% through the VM's own collections. Then one untimed
%% erlang:garbage_collect() (a major collection: fullsweep), PAUSES timed
%% ones (pause_us, the median), then the live set is promoted to the old
%% heap: after a fullsweep it sits in the young heap below the high-water
%% mark, and the first minor collection copies it to the old heap (untimed
%% here; cbeam's major collection copies straight into its old
%% generation). Then MINORS times: build GARBAGE elements of garbage
%% (dropped) and time erlang:garbage_collect(self(), [{type, minor}])
%% (minor_us, the median). process_info's minor_gcs (minor collections
%% since the last fullsweep) checks that no timed minor was a major (as
%% the C side checks its count of major ones). live_kb = erts_debug:flat_size(L) * 8, heap_kb =
%% process_info(self(), memory) at the end; L is walked and checked.

gc(#{live := MB}) ->
    N = MB * 1048576 div ?ELEM_BYTES,
    T0 = now_ns(),
    L = gc_build(N, []),
    T1 = now_ns(),
    erlang:garbage_collect(),
    Pauses = gc_majors(?PAUSES, []),
    LiveBytes = erts_debug:flat_size(L) * 8,
    erlang:garbage_collect(self(), [{type, minor}]), % promotes L
    Before = minor_count(),
    Minors = gc_minors(?MINORS, []),
    %% The count of minors since the last fullsweep: a timed collection
    %% that turned into a fullsweep would have reset it.
    Major = Before + ?MINORS - minor_count(),
    Mem = self_mem(),
    Ok = gc_list_ok(L, 1, N),
    {[{"pause_us", median(Pauses) / 1.0e3, 1},
      {"minor_us", median(Minors) / 1.0e3, 1},
      {"live_kb", LiveBytes / 1024, 0},
      {"heap_kb", Mem / 1024, 0},
      {"build_ms", ms(T1 - T0), 1}], Major =/= 0 orelse not Ok}.

minor_count() ->
    {garbage_collection, Info} = process_info(self(), garbage_collection),
    proplists:get_value(minor_gcs, Info).

gc_build(0, Acc) -> Acc;
gc_build(I, Acc) -> gc_build(I - 1, [{I, [I, I + 1]} | Acc]).

gc_majors(0, Acc) -> Acc;
gc_majors(R, Acc) ->
    T0 = now_ns(),
    erlang:garbage_collect(),
    gc_majors(R - 1, [now_ns() - T0 | Acc]).

gc_minors(0, Acc) -> Acc;
gc_minors(R, Acc) ->
    gc_garbage(),
    T0 = now_ns(),
    erlang:garbage_collect(self(), [{type, minor}]),
    gc_minors(R - 1, [now_ns() - T0 | Acc]).

%% GARBAGE elements, checked and dropped before the caller collects.
gc_garbage() ->
    G = gc_build(?GARBAGE, []),
    length(G) =:= ?GARBAGE orelse error(garbage),
    ok.

gc_list_ok([], I, N) -> I =:= N + 1;
gc_list_ok([{I, [I, J]} | T], I, N) when J =:= I + 1 -> gc_list_ok(T, I + 1, N);
gc_list_ok(_, _, _) -> false.

%% The lower middle one, as main.c's median.
median(Xs) -> lists:nth((length(Xs) - 1) div 2 + 1, lists:sort(Xs)).

%% ---- genserver_call, genserver_cast (otp.c) ----
%% A gen_server whose state is the sum of every {add, I}; each reply is
%% checked against the sum the client computes.

init([]) -> {ok, 0}.

handle_call({add, I}, _From, S) -> {reply, S + I, S + I};
handle_call(sum, _From, S) -> {reply, S, S}.

handle_cast({add, I}, S) -> {noreply, S + I}.

genserver_call(#{n := N, clients := C}) when C =< 1 ->
    {ok, S} = gen_server:start_link(?MODULE, [], []),
    T0 = now_ns(),
    call_loop(S, 1, N, 0),
    T1 = now_ns(),
    ok = gen_server:stop(S),
    {[{"call_ns", (T1 - T0) / N, 1},
      {"calls_per_s", N / ((T1 - T0) / 1.0e9), 0}], false};
genserver_call(#{n := N, clients := C}) ->
    Self = self(),
    Per = N div C,
    T0 = now_ns(),
    [spawn_link(fun() ->
                        {ok, S} = gen_server:start_link(?MODULE, [], []),
                        call_loop(S, 1, Per, 0),
                        ok = gen_server:stop(S),
                        Self ! done
                end) || _ <- lists:seq(1, C)],
    [receive done -> ok end || _ <- lists:seq(1, C)],
    T1 = now_ns(),
    {[{"calls_per_s", Per * C / ((T1 - T0) / 1.0e9), 0}], false}.

call_loop(_S, I, N, _Sum) when I > N -> ok;
call_loop(S, I, N, Sum) ->
    Sum1 = Sum + I,
    Sum1 = gen_server:call(S, {add, I}, infinity),
    call_loop(S, I + 1, N, Sum1).

genserver_cast(#{n := N}) ->
    {ok, S} = gen_server:start_link(?MODULE, [], []),
    T0 = now_ns(),
    cast_loop(S, 1, N),
    Sum = gen_server:call(S, sum, infinity),
    T1 = now_ns(),
    Sum = N * (N + 1) div 2,
    ok = gen_server:stop(S),
    {[{"cast_ns", (T1 - T0) / N, 1}], false}.

cast_loop(_S, I, N) when I > N -> ok;
cast_loop(S, I, N) ->
    gen_server:cast(S, {add, I}),
    cast_loop(S, I + 1, N).

%% ---- agent_update (otp.c) ----
%% cbeam_bench_agent is Elixir's Agent without Elixir: a gen_server whose
%% state is the value, served {update, Fun} / {get, Fun} calls. Each update
%% sends a fresh closure adding I, as Agent.update(A, &(&1 + i)) does.

agent_update(#{n := N}) ->
    {ok, A} = cbeam_bench_agent:start_link(fun() -> 0 end),
    T0 = now_ns(),
    agent_loop(A, 1, N),
    Sum = cbeam_bench_agent:get(A, fun(S) -> S end),
    T1 = now_ns(),
    ok = cbeam_bench_agent:stop(A),
    {[{"update_ns", (T1 - T0) / N, 1}, {"wall_ms", (T1 - T0) / 1.0e6, 1}],
     Sum =/= N * (N + 1) div 2}.

agent_loop(_A, I, N) when I > N -> ok;
agent_loop(A, I, N) ->
    ok = cbeam_bench_agent:update(A, fun(S) -> S + I end),
    agent_loop(A, I + 1, N).

%% ---- async_stream (otp.c) ----
%% elem_ns: Elixir's own Task.async_stream (1..N, fn x -> 2x end,
%% max_concurrency: M, ordered, timeout: :infinity) reduced with
%% Enum.reduce, when Elixir's ebin is on the code path (beam-bench.sh adds
%% it if elixir is installed); otherwise the plain loop's figure, with a
%% note on stderr. loop_elem_ns, always: stream_loop/3 below, the same
%% thing by hand (spawn_monitor per element, at most M alive, results
%% handed out in input order), the BEAM's floor for the pattern.
%% rss_growth_mb: VmRSS after minus before, as in C.

stream_width(0) -> erlang:system_info(schedulers_online);
stream_width(M) -> M.

async_stream(#{n := N, max_concurrency := M0}) ->
    M = stream_width(M0),
    Want = N * (N + 1),
    R0 = rss(),
    T0 = now_ns(),
    Elixir = code:ensure_loaded('Elixir.Task') =:= {module, 'Elixir.Task'},
    Sum = case Elixir of
              true -> elixir_stream(N, M);
              false -> stream_loop(N, M)
          end,
    T1 = now_ns(),
    R1 = rss(),
    Elixir orelse io:format(standard_error,
                            "beam-bench: async_stream: Elixir not found, "
                            "elem_ns is the plain loop's~n", []),
    T2 = now_ns(),
    LoopSum = stream_loop(N, M),
    T3 = now_ns(),
    {[{"elem_ns", (T1 - T0) / N, 1}, {"wall_ms", (T1 - T0) / 1.0e6, 1},
      {"rss_growth_mb", (R1 - R0) / 1048576, 1},
      {"loop_elem_ns", (T3 - T2) / N, 1}],
     Sum =/= Want orelse LoopSum =/= Want}.

elixir_stream(N, M) ->
    S = 'Elixir.Task':async_stream('Elixir.Range':new(1, N),
                                   fun(X) -> 2 * X end,
                                   [{max_concurrency, M}, {ordered, true},
                                    {timeout, infinity}]),
    {N, Sum} = 'Elixir.Enum':reduce(
                 S, {0, 0},
                 fun({ok, V}, {C, Acc}) ->
                         C1 = C + 1,
                         V = 2 * C1, % in order
                         {C1, Acc + V}
                 end),
    Sum.

%% Ordered, at most M tasks alive; a slot frees when its task ends
%% ('DOWN'), results that come early wait in a map by input position.
stream_loop(N, M) -> stream_loop(1, 1, 0, #{}, N, M, 0).

stream_loop(_Next, Emit, _Run, _Done, N, _M, Sum) when Emit > N -> Sum;
stream_loop(Next, Emit, Run, Done, N, M, Sum) ->
    case maps:take(Emit, Done) of
        {V, Done1} ->
            V = 2 * Emit,
            stream_loop(Next, Emit + 1, Run, Done1, N, M, Sum + V);
        error when Run < M, Next =< N ->
            P = self(),
            spawn_monitor(fun() -> P ! {stream_result, Next, 2 * Next} end),
            stream_loop(Next + 1, Emit, Run + 1, Done, N, M, Sum);
        error ->
            receive
                {stream_result, I, V} ->
                    stream_loop(Next, Emit, Run, Done#{I => V}, N, M, Sum);
                {'DOWN', _, process, _, normal} ->
                    stream_loop(Next, Emit, Run - 1, Done, N, M, Sum)
            end
    end.
