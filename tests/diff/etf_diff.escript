#!/usr/bin/env escript
%% -*- erlang -*-
-mode(compile).
%% SPDX-License-Identifier: MIT
%%
%% etf_diff.escript: the Erlang half of cbeam's differential test of the
%% External Term Format (tests/diff/run.sh drives both halves).
%%
%%   gen SEED N FILE   N random terms of every type, seeded, written as
%%                     records <<Flags:8, Len:32, term_to_binary bytes>>;
%%                     Flags: 1 = encoded with [compressed], 2 = holds a
%%                     map over 32 keys with an atom in a key (OTP orders
%%                     those by atom table index, which changes from run
%%                     to run) or a pid or ref of another node (by address),
%%                     so only equality is checked; every other
%%                     large map must re-encode byte for byte), 4 = holds
%%                     -0.0 (left out of the ordering check: OTP 25 has
%%                     0.0 =:= -0.0). The first records are large maps of
%%                     0 to 100,000 keys of every kind (big_maps/0).
%%   check DIR         checks what cbeam wrote in DIR:
%%                     cb.bin   cbeam's encodings of terms it built: erl
%%                              must decode each and re-encode the same
%%                              bytes (flag 1: with [compressed]);
%%                     back.bin cbeam's re-encodings of the flag-2 terms:
%%                              erl must decode them to =:= terms;
%%                     order.bin {Sorted, Flags, Pairs}: Sorted is sorted
%%                              by cbeam's beam_compare; each adjacent
%%                              pair must be =< in erl, Flags says per
%%                              pair whether cbeam found them == and =:=,
%%                              and Pairs are {A, B, Cmp, Exact} for
%%                              random pairs.
%% Prints one line per check and exits non-zero on any disagreement.

main(["gen", Seed, N, File]) ->
    rand:seed(exsss, list_to_integer(Seed)),
    Recs = [record(T, flags(T)) || T <- big_maps()] ++
           [record(T, Flags)
            || _ <- lists:seq(1, list_to_integer(N)),
               {T, Flags} <- variants(term(4))],
    ok = file:write_file(File, Recs);
main(["check", Dir]) ->
    R1 = check_cb(filename:join(Dir, "cb.bin")),
    R2 = check_back(filename:join(Dir, "back.bin")),
    R3 = check_order(filename:join(Dir, "order.bin")),
    case R1 andalso R2 andalso R3 of
        true -> halt(0);
        false -> halt(1)
    end;
main(_) ->
    io:format(standard_error, "usage: etf_diff.escript gen SEED N FILE | check DIR~n", []),
    halt(2).

%% ---- Generation ----

flags(T) ->
    (case atom_keyed_large_map(T) of true -> 2; false -> 0 end) bor
        (case neg_zero(T) of true -> 4; false -> 0 end).

%% Maps of 0 to 100,000 keys of each kind: every size that changes the
%% form (32, 33) or the trie's depth.
big_maps() ->
    Sizes = [0, 1, 31, 32, 33, 34, 100, 1000, 10000, 100000],
    Kinds = [fun(I) -> I end,
             fun(I) -> I * 7919 - 50000 end,
             fun(I) -> (1 bsl 60) + I end,
             fun(I) -> <<"key", I:32>> end,
             fun(I) -> {I, I rem 7} end,
             fun(I) -> [I, I + 1] end,
             fun(I) -> I / 4 end,
             fun(I) -> #{I => I} end,
             fun(I) -> integer_to_list(I) end,
             fun(I) -> list_to_atom("k" ++ integer_to_list(I)) end],
    [maps:from_list([{K(I), I} || I <- lists:seq(1, Size)])
     || K <- Kinds, Size <- Sizes, Size < 100000 orelse K(1) =:= 1].

variants(T) ->
    F = flags(T),
    case rand:uniform(6) of
        1 -> [{T, F}, {T, F bor 1}];
        _ -> [{T, F}]
    end.

record(T, Flags) ->
    B = case Flags band 1 of
            1 -> term_to_binary(T, [compressed]);
            0 -> term_to_binary(T)
        end,
    <<Flags:8, (byte_size(B)):32, B/binary>>.

term(0) -> leaf();
term(D) ->
    case rand:uniform(12) of
        1 -> list_to_tuple(terms(D, small_len()));
        2 -> terms(D, small_len());
        3 -> improper(D);
        4 -> maps:from_list([{term(D - 1), term(D - 1)} || _ <- lists:seq(1, small_len())]);
        5 -> [term(D - 1) | term(D - 1)];
        6 -> rare(D);
        _ -> leaf()
    end.

terms(D, N) -> [term(D - 1) || _ <- lists:seq(1, N)].

small_len() -> rand:uniform(7) - 1.

improper(D) ->
    Tail = case rand:uniform(3) of 1 -> atom(); 2 -> int(); 3 -> binary() end,
    lists:foldl(fun(E, Acc) -> [E | Acc] end, Tail, terms(D, rand:uniform(4))).

rare(D) ->
    case rand:uniform(40) of
        1 -> maps:from_list([{int(), leaf()} || _ <- lists:seq(1, 33 + rand:uniform(20))]);
        2 -> list_to_tuple([leaf() || _ <- lists:seq(1, 250 + rand:uniform(20))]);
        3 -> [rand:uniform(256) - 1 || _ <- lists:seq(1, 65530 + rand:uniform(10))];
        4 -> maps:from_list([{atom(), term(D - 1)} || _ <- lists:seq(1, 28 + rand:uniform(6))]);
        5 -> lists:seq(1, 300);
        _ -> leaf()
    end.

leaf() ->
    case rand:uniform(12) of
        1 -> atom();
        2 -> atom();
        3 -> int();
        4 -> int();
        5 -> float();
        6 -> binary();
        7 -> pid();
        8 -> ref();
        9 -> string();
        10 -> [];
        11 -> {};
        12 -> #{}
    end.

atom() ->
    Name = case rand:uniform(8) of
               1 -> [$a + rand:uniform(3) - 1 || _ <- lists:seq(1, rand:uniform(2))];
               2 -> [pick("abcXYZ_@09") || _ <- lists:seq(1, rand:uniform(12))];
               3 -> [pick([$a, 233, 255, 192, $\s, $', $\\]) || _ <- lists:seq(1, rand:uniform(6))];
               4 -> [pick([16#65E5, 16#672C, 16#1F600, 16#3B1, $x, 233]) || _ <- lists:seq(1, rand:uniform(5))];
               5 -> lists:duplicate(255, pick("ab"));
               6 -> lists:duplicate(100 + rand:uniform(155), pick([16#3B1, 16#65E5]));
               7 -> pick([true, false, ok, error, undefined, nonode@nohost, 'EXIT', '']);
               _ -> [pick("abcdefghijklmnopqrstuvwxyz") || _ <- lists:seq(1, rand:uniform(8))]
           end,
    if is_atom(Name) -> Name; true -> list_to_atom(Name) end.

pick(L) when is_atom(L) -> L;
pick(L) when is_list(L) -> lists:nth(rand:uniform(length(L)), L);
pick(L) when is_tuple(L) -> element(rand:uniform(tuple_size(L)), L).

sign(X) -> case rand:uniform(2) of 1 -> X; 2 -> -X end.

int() ->
    case rand:uniform(10) of
        1 -> rand:uniform(256) - 1;
        2 -> rand:uniform(2001) - 1001;
        3 -> sign((1 bsl 31) + rand:uniform(5) - 3);
        4 -> sign((1 bsl 32) + rand:uniform(5) - 3);
        5 -> sign((1 bsl 59) + rand:uniform(5) - 3);
        6 -> sign((1 bsl 60) + rand:uniform(5) - 3);
        7 -> sign((1 bsl 63) + rand:uniform(5) - 3);
        8 -> sign((1 bsl 64) + rand:uniform(5) - 3);
        9 -> sign(rand:uniform(1 bsl (rand:uniform(2100))));
        10 -> sign(rand:uniform(1 bsl 62))
    end.

float() ->
    case rand:uniform(9) of
        1 -> 0.0;
        2 -> -0.0;
        3 -> float(rand:uniform(2001) - 1001);
        4 -> sign(rand:uniform() * math:pow(10, rand:uniform(600) - 300));
        5 -> sign(1.7976931348623157e308);
        6 -> sign(5.0e-324);
        7 -> float(sign(1 bsl (rand:uniform(80))));
        8 -> sign(rand:uniform() * 1000);
        9 -> sign(0.1 * rand:uniform(100))
    end.

binary() ->
    Size = pick([0, 1, 3, 10, 63, 64, 65, 200, 1000, 5000]),
    case rand:uniform(3) of
        1 -> list_to_binary([pick("hello world") || _ <- lists:seq(1, Size)]);
        _ -> rand:bytes(Size)
    end.

string() ->
    case rand:uniform(4) of
        1 -> [rand:uniform(256) - 1 || _ <- lists:seq(1, rand:uniform(30))];
        2 -> [pick("hello\n\t wörld") || _ <- lists:seq(1, rand:uniform(20))];
        3 -> [rand:uniform(16#D7FF) || _ <- lists:seq(1, rand:uniform(5))];
        4 -> [pick([1, 255, 256, -1, 1000]) || _ <- lists:seq(1, rand:uniform(5))]
    end.

node_atom() -> pick(['a@host', 'z@host', 'cbeam@example.org', nonode@nohost]).

pid() ->
    case rand:uniform(3) of
        1 -> c:pid(0, rand:uniform(32768) - 1, rand:uniform(8192) - 1);
        2 -> self();
        3 ->
            Node = node_atom(),
            Cr = case Node of nonode@nohost -> rand:uniform(5); _ -> rand:uniform(1 bsl 32) - 1 end,
            NB = term_to_binary(Node),
            <<131, NodeExt/binary>> = NB,
            binary_to_term(<<131, 88, NodeExt/binary, (rand:uniform(1 bsl 32) - 1):32,
                             (rand:uniform(1 bsl 32) - 1):32, Cr:32>>)
    end.

ref() ->
    case rand:uniform(3) of
        1 -> make_ref();
        2 -> local_ref();
        3 ->
            Node = pick(['a@host', 'z@host', 'cbeam@example.org']),
            <<131, NodeExt/binary>> = term_to_binary(Node),
            N = rand:uniform(5),
            Ws = << <<(rand:uniform(1 bsl 32) - 1):32>> || _ <- lists:seq(1, N) >>,
            binary_to_term(<<131, 90, N:16, NodeExt/binary, (rand:uniform(1 bsl 32) - 1):32, Ws/binary>>)
    end.

%% A ref of this node with small words, as cbeam's own ids map (term.h).
local_ref() ->
    <<131, NodeExt/binary>> = term_to_binary(nonode@nohost),
    W0 = rand:uniform(1 bsl 18) - 1,
    W1 = pick([0, 1, rand:uniform(1 bsl 32) - 1]),
    W2 = pick([0, rand:uniform(1 bsl 14) - 1]),
    binary_to_term(<<131, 90, 3:16, NodeExt/binary, 0:32, W0:32, W1:32, W2:32>>).

%% A map over 32 keys whose order OTP cannot reproduce: an atom (hashed by
%% table index), or a pid or ref of another node (hashed by address), in a
%% key.
atom_keyed_large_map(T) ->
    any_sub(T, fun(X) ->
                       is_map(X) andalso map_size(X) > 32 andalso
                           lists:any(fun(K) -> any_sub(K, fun unstable_hash/1) end,
                                     maps:keys(X))
               end).

unstable_hash(X) when is_atom(X) -> true;
unstable_hash(X) when is_pid(X); is_reference(X) -> node(X) =/= node();
unstable_hash(_) -> false.
neg_zero(T) -> any_sub(T, fun(X) -> is_float(X) andalso X == 0.0 andalso <<X/float>> =/= <<0.0/float>> end).

any_sub(T, P) ->
    P(T) orelse
        case T of
            [H | Tl] -> any_sub(H, P) orelse any_sub(Tl, P);
            _ when is_tuple(T) -> lists:any(fun(E) -> any_sub(E, P) end, tuple_to_list(T));
            _ when is_map(T) -> lists:any(fun({K, V}) -> any_sub(K, P) orelse any_sub(V, P) end, maps:to_list(T));
            _ -> false
        end.

%% ---- Checks ----

records(<<Flags:8, Len:32, B:Len/binary, Rest/binary>>) -> [{Flags, B} | records(Rest)];
records(<<>>) -> [].

report(Name, Total, Bad) ->
    case Bad of
        [] -> io:format("ok   ~s: ~b~n", [Name, Total]), true;
        _ ->
            io:format("FAIL ~s: ~b of ~b disagree~n", [Name, length(Bad), Total]),
            [io:format("  ~P~n", [X, 30]) || X <- lists:sublist(Bad, 5)],
            false
    end.

check_cb(File) ->
    {ok, Bin} = file:read_file(File),
    Rs = records(Bin),
    Bad = [{Flags, B, catch binary_to_term(B)}
           || {Flags, B} <- Rs, not same_bytes(Flags, B)],
    report("erl decodes cbeam's bytes and re-encodes them identically", length(Rs), Bad).

same_bytes(Flags, B) ->
    try
        T = binary_to_term(B),
        Opts = case Flags band 1 of 1 -> [compressed]; 0 -> [] end,
        term_to_binary(T, Opts) =:= B
    catch _:_ -> false
    end.

check_back(File) ->
    {ok, Bin} = file:read_file(File),
    Pairs = pairs(records(Bin)),
    Bad = [{Orig, Back} || {Orig, Back} <- Pairs,
                           not (catch binary_to_term(Orig) =:= binary_to_term(Back))],
    report("erl decodes cbeam's re-encoding of atom-keyed big maps to =:= terms", length(Pairs), Bad).

pairs([{_, A}, {_, B} | Rest]) -> [{A, B} | pairs(Rest)];
pairs([]) -> [].

check_order(File) ->
    {ok, Bin} = file:read_file(File),
    {Sorted, Flags, Pairs} = binary_to_term(Bin),
    Adj = lists:zip3(lists:droplast(Sorted), tl(Sorted), binary_to_list(Flags)),
    Bad1 = [{A, B, F} || {A, B, F} <- Adj,
                         not (A =< B andalso (A == B) =:= (F band 1 =/= 0)
                              andalso (A =:= B) =:= (F band 2 =/= 0))],
    Bad2 = [{A, B, C, E} || {A, B, C, E} <- Pairs,
                            not (cmp(A, B) =:= C andalso (A =:= B) =:= (E =:= 1))],
    report("erl agrees with cbeam's order, == and =:=",
           length(Adj) + length(Pairs), Bad1 ++ Bad2).

cmp(A, B) when A < B -> -1;
cmp(A, B) when A == B -> 0;
cmp(_, _) -> 1.
