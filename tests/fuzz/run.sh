#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh: run the ETF fuzz target (tests/fuzz/etf_fuzz.c: every input is
# decoded, printed, copied as a message, compared and re-encoded inside a
# cbeam process with its default stack).
#   sh tests/fuzz/run.sh BIN SECONDS [CORPUS]   fuzz (make fuzz / stress)
#   sh tests/fuzz/run.sh BIN replay [CORPUS]    replay the seeds (make test)
# CORPUS is tests/fuzz/corpus/ by default (the syntax target's is
# tests/fuzz/syntax_corpus/: pattern texts from the tests and examples).
# The seed corpus (tests/fuzz/corpus/: small terms of every type and terms
# nested 10,000 to 100,000 deep, all written by erl's term_to_binary; see
# deep-seeds.sh) is copied to a scratch directory, so new inputs found do
# not land in the repository; a crash leaves its input in the current
# directory as crash-* (leak-*, timeout-*, oom-*), and the script fails.
# The summary printed is libFuzzer's last status line (runs, cov, ft,
# corpus, exec/s, rss) and its final stats; FUZZ_LOG=FILE keeps the whole
# log.
#
# Options. -max_len=65536: the deep seeds take up to 63,002 bytes (10,000
# list heads at 6 bytes a level) and libFuzzer truncates longer inputs;
# deeper nesting comes from the compressed seeds, and nothing past that
# depth reaches new code (every walk keeps its pending work on a heap
# stack that doubles). A 60 KB deep term costs ~25-50 ms here (some 30
# walks over it under ASan), a small one ~20 us, so
# -entropic_scale_per_exec_time=1 lets the slow ones be picked less often:
# 60 s from the seeds gave 31,500 exec/s and cov 980 with it, 4,600 exec/s
# and cov 965 without; 10 minutes: 18.1 million runs, 30,000 exec/s, cov
# 985, peak RSS 739 MB. -rss_limit_mb=2048: that RSS is mostly ASan's
# quarantine, the corpus and atoms, and an input may allocate at most a
# constant times its (inflated) size; -timeout=10 s per input.
set -u
bin=$1
what=$2
here=$(dirname "$0")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
corpus=${3:-$here/corpus}
cp "$corpus"/* "$work"/
opts="-max_len=65536 -entropic_scale_per_exec_time=1 -timeout=10"
opts="$opts -rss_limit_mb=2048 -print_final_stats=1"
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
grep -E '^#[0-9]+[[:space:]]+DONE' "$log"
grep -E '^(stat::|Done |==[0-9]+==|SUMMARY|etf_fuzz:|syntax_fuzz:|cbeam:)' "$log" | tail -n 12
[ $rc -eq 0 ] || tail -n 60 "$log"
[ -n "${FUZZ_LOG:-}" ] && cp "$log" "$FUZZ_LOG"
rm -f "$log"
exit $rc
