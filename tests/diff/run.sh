#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh: the differential test of the External Term Format against erl.
#   sh tests/diff/run.sh BUILD_DIR
# erl writes thousands of random terms (seeded: BEAM_DIFF_SEED, N terms:
# BEAM_DIFF_N), cbeam decodes and re-encodes them (bytes must be
# identical) and writes its own terms and sorted lists, which erl checks.
# Prints one "ok"/"FAIL"/"skip" line per check and a final
# "diff: N passed, N failed, N skipped" line for tests/run-all.sh.
set -u
B=${1:-build/plain}
here=$(dirname "$0")
checks=4
if ! command -v escript > /dev/null 2>&1; then
  echo "skip diff/etf_vs_erl (no erl: install Debian's erlang-base)"
  echo "diff: 0 passed, 0 failed, $checks skipped"
  exit 0
fi
seed=${BEAM_DIFF_SEED:-20251121}
n=${BEAM_DIFF_N:-8000}
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
t0=$(date +%s)
if ! escript "$here/etf_diff.escript" gen "$seed" "$n" "$dir/erl.bin"; then
  echo "FAIL diff/erl_generates (seed $seed)"
  echo "diff: 0 passed, $checks failed, 0 skipped"
  exit 1
fi
p=0; f=0
if "$B/tests/etf_diff" "$dir" "$seed" > "$dir/c.log" 2>&1; then
  p=$((p + 1)); echo "ok   diff/erl_bytes_reencode_identically ($(head -n 1 "$dir/c.log"))"
else
  f=$((f + 1)); echo "FAIL diff/erl_bytes_reencode_identically (seed $seed)"
  sed 's/^/  | /' "$dir/c.log" | tail -n 30
fi
escript "$here/etf_diff.escript" check "$dir" > "$dir/e.log" 2>&1
while IFS= read -r line; do
  case "$line" in
    "ok   "*) p=$((p + 1)); echo "ok   diff/${line#ok   }" ;;
    "FAIL "*) f=$((f + 1)); echo "FAIL diff/${line#FAIL }" ;;
    *) echo "  | $line" ;;
  esac
done < "$dir/e.log"
if [ $((p + f)) -ne $checks ]; then
  f=$((checks - p)); echo "FAIL diff/erl_check did not finish"; cat "$dir/e.log"
fi
echo "  (seed $seed, $n erl terms, $(($(date +%s) - t0)) s)"
echo "diff: $p passed, $f failed, 0 skipped"
[ "$f" -eq 0 ]
