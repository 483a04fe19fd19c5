#!/bin/sh
# deep-seeds.sh: write the deep seeds of the ETF fuzz corpus with erl.
#   sh tests/fuzz/deep-seeds.sh [DIR]     (default: tests/fuzz/corpus)
# Each file is erl's term_to_binary of a term nested N levels deep through
# one position, so that the fuzzer starts from terms whose walks (decode,
# print, copy, compare, encode) need thousands of frames of pending work:
#   deep-head-N        [[[...[]...]]]         through list heads
#   deep-tfirst-N      {{{...{[], 0}...}, N-1}  through tuple first elements
#   deep-tlast-N       {0, {1, ...{N-1, []}}}   through tuple last elements
#   deep-mapval-N      #{0 => #{1 => ...}}      through map values
#   deep-*-z-N         the same, 100,000 deep, with [compressed] (a few KiB
#                      that inflate to a deep term)
# The plain seeds stay under the fuzzer's -max_len (64 KiB, run.sh), which
# truncates longer inputs. The rest of the corpus (erl-*) is small terms of
# every type, also from term_to_binary.
set -eu
dir=${1:-$(dirname "$0")/corpus}
mkdir -p "$dir"
erl -noshell -eval '
  [Dir] = init:get_plain_arguments(),
  Head = fun(N) -> lists:foldl(fun(_, A) -> [A] end, [], lists:seq(1, N)) end,
  TFirst = fun(N) -> lists:foldl(fun(I, A) -> {A, I rem 256} end, [],
                                 lists:seq(0, N - 1)) end,
  TLast = fun(N) -> lists:foldl(fun(I, A) -> {I rem 256, A} end, [],
                                lists:seq(N - 1, 0, -1)) end,
  MapVal = fun(N) -> lists:foldl(fun(I, A) -> #{I rem 256 => A} end, [],
                                 lists:seq(N - 1, 0, -1)) end,
  Write = fun(Name, Bin) ->
    ok = file:write_file(filename:join(Dir, Name), Bin),
    io:format("~s ~b bytes~n", [Name, byte_size(Bin)]) end,
  Plain = [{"head", Head, 10000}, {"tfirst", TFirst, 15000},
           {"tlast", TLast, 15000}, {"mapval", MapVal, 9000}],
  [Write("deep-" ++ K ++ "-" ++ integer_to_list(N),
         term_to_binary(F(N))) || {K, F, N} <- Plain],
  [Write("deep-" ++ K ++ "-z-100000",
         term_to_binary(F(100000), [compressed])) || {K, F, _} <- Plain],
  halt().' -extra "$dir"
