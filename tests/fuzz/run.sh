#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh: run the ETF fuzz target.
#   sh tests/fuzz/run.sh BIN SECONDS    fuzz for SECONDS (make fuzz / stress)
#   sh tests/fuzz/run.sh BIN replay     replay the seed corpus (make test)
# The seed corpus (tests/fuzz/corpus/, written by erl's term_to_binary) is
# copied to a scratch directory, so new inputs found do not land in the
# repository; a crash leaves its input in the current directory as
# crash-*, and the script fails.
set -u
bin=$1
what=$2
here=$(dirname "$0")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp "$here"/corpus/* "$work"/
opts="-max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1"
log=$work.log
if [ "$what" = replay ]; then
  # Every seed once, then a few seconds of mutation from them.
  # shellcheck disable=SC2086
  "$bin" $opts -max_total_time=3 "$work" > "$log" 2>&1
else
  # shellcheck disable=SC2086
  "$bin" $opts -max_total_time="$what" "$work" > "$log" 2>&1
fi
rc=$?
grep -E '^(stat::|Done |==[0-9]+==|SUMMARY|etf_fuzz:)' "$log" | tail -n 12
[ $rc -eq 0 ] || tail -n 60 "$log"
rm -f "$log"
exit $rc
