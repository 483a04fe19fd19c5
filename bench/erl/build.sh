#!/bin/sh
# SPDX-License-Identifier: MIT
# build.sh: compile bench/erl/*.erl into build/erl/ (or $1) with erlc,
# recompiling only what changed. Needs Erlang/OTP (Debian: erlang-base).
set -eu
src=$(cd "$(dirname "$0")" && pwd)
out=${1:-$(dirname "$(dirname "$src")")/build/erl}
command -v erlc >/dev/null 2>&1 || {
  echo "build.sh: erlc not found (Debian: apt-get install erlang-base)" >&2
  exit 1
}
mkdir -p "$out"
for f in "$src"/*.erl; do
  beam=$out/$(basename "$f" .erl).beam
  if [ ! -f "$beam" ] || [ -n "$(find "$f" -newer "$beam")" ]; then
    echo "ERLC $f" >&2
    erlc -Wall -Werror -o "$out" "$f"
  fi
done
