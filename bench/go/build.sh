#!/bin/sh
# SPDX-License-Identifier: MIT
# build.sh: build the Go twins (bench/go/*.go, standard library only, no
# network) into build/go/go-bench (or $1/go-bench), again only when a
# source is newer than the binary. Needs Go (Debian: golang-go).
set -eu
src=$(cd "$(dirname "$0")" && pwd)
out=${1:-$(dirname "$(dirname "$src")")/build/go}
command -v go >/dev/null 2>&1 || {
  echo "build.sh: go not found (Debian: apt-get install golang-go)" >&2
  exit 1
}
mkdir -p "$out"
bin=$out/go-bench
if [ ! -x "$bin" ] || [ -n "$(find "$src" -newer "$bin" \( -name '*.go' -o -name go.mod \))" ]; then
  echo "GO BUILD $bin" >&2
  # No network, no module cache outside the build tree: the module has no
  # dependencies, GOFLAGS=-mod=mod is never needed.
  (cd "$src" && GOTOOLCHAIN=local GOPROXY=off GOFLAGS= \
    GOCACHE="${GOCACHE:-$out/cache}" go build -trimpath -o "$bin" .)
fi
