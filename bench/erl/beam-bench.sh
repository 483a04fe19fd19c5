#!/bin/sh
# SPDX-License-Identifier: MIT
# beam-bench.sh: the Erlang/OTP twin of cbeam-bench.
#
#   bench/erl/beam-bench.sh WORKLOAD [options]     (options as cbeam-bench's)
#
# Compiles bench/erl/*.erl into build/erl/ if needed, then runs the workload
# in a fresh VM: '--schedulers K' (K > 0) becomes '+S K:K'; 0 or absent
# leaves the VM's default, one scheduler per core. '+P 2097152' lets
# skynet's 1,111,111 processes exist at once. Other VM flags are the
# defaults (scheduler busy-waiting included); add more with
# BEAM_BENCH_ERL_FLAGS="+sbwt none ..." to experiment. If elixir is
# installed, its ebin goes on the code path (async_stream runs Elixir's own
# Task.async_stream; no Elixir application is started).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(dirname "$(dirname "$here")")/build/erl
sh "$here/build.sh" "$out"
k=0 prev=
for a in "$@"; do
  [ "$prev" = --schedulers ] && k=$a
  prev=$a
done
sflag=
case "$k" in
  0|'') ;;
  *[!0-9]*) ;;  # not a number: cbeam_bench reports the usage error
  *) sflag="+S $k:$k" ;;
esac
ex=
if e=$(command -v elixir 2>/dev/null); then
  e=$(readlink -f "$e")
  d=$(dirname "$(dirname "$e")")/lib/elixir/ebin
  [ -d "$d" ] && ex="-pa $d"
fi
# shellcheck disable=SC2086
exec erl -noshell -noinput +P 2097152 $sflag ${BEAM_BENCH_ERL_FLAGS:-} \
  -pa "$out" $ex -s cbeam_bench main -extra "$@"
