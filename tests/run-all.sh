#!/bin/sh
# SPDX-License-Identifier: MIT
# run-all.sh: the body of 'make test'. Runs the unit/api runner, then every
# example (each checked against examples/NAME.expect: one grep -E pattern
# per line that must appear in its output), and prints the summed
# "N passed, N failed, N skipped" line that CI reads.
# Env: B (build dir), JOBS, VARIANT (plain, asan, tsan, ...), MAKE (for
# the install test), CXX_TEST (the C++ test program, empty: none).
set -u
B=${B:-build/plain}
JOBS=${JOBS:-2}
VARIANT=${VARIANT:-plain}
mult=${BEAM_TEST_TIMEOUT_MULTIPLIER:-1}
case "$VARIANT" in
  plain*) ;;
  *) mult=${BEAM_TEST_TIMEOUT_MULTIPLIER:-4}; export BEAM_TEST_TIMEOUT_MULTIPLIER=$mult
     export BEAM_TEST_SCALE=${BEAM_TEST_SCALE:-0.1} ;;
esac

out=$(mktemp); trap 'rm -f "$out"' EXIT
"$B/tests/unit" -j "$JOBS" | tee "$out"
last=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out" | tail -n 1)
if [ -z "$last" ]; then
  echo "unit runner did not finish"; up=0; uf=1; us=0
else
  up=$(echo "$last" | awk '{print $1}'); uf=$(echo "$last" | awk '{print $3}')
  us=$(echo "$last" | awk '{print $5}')
fi

ep=0; ef=0
for src in examples/*.c; do
  name=$(basename "$src" .c)
  bin="$B/examples/$name"
  exp="examples/$name.expect"
  args=""
  case "$VARIANT" in
    plain*) [ -f "examples/$name.args" ] && args=$(cat "examples/$name.args") ;;
    *) [ -f "examples/$name.args.san" ] && args=$(cat "examples/$name.args.san") ;;
  esac
  t0=$(date +%s%N)
  # shellcheck disable=SC2086
  timeout $((60 * ${mult%.*})) "$bin" $args > "$out" 2>&1
  rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  ok=1
  [ $rc -eq 0 ] || ok=0
  if [ $ok -eq 1 ] && [ -f "$exp" ]; then
    while IFS= read -r pat; do
      [ -z "$pat" ] && continue
      grep -Eq -- "$pat" "$out" || { ok=0; echo "  missing: $pat"; }
    done < "$exp"
  fi
  if [ $ok -eq 1 ]; then
    echo "ok   example/$name (${ms} ms)"; ep=$((ep + 1))
  else
    echo "FAIL example/$name (exit $rc)"; sed 's/^/  | /' "$out" | tail -n 40; ef=$((ef + 1))
  fi
done

# ---- C++ (every variant): tests/cxx/cxx_api_test.cpp includes <cbeam.h>
# and was compiled as C++11 with -Werror by make; here it runs. Skipped
# when make found no C++ compiler (CXX_TEST empty).
cp=0; cf=0; cs=0
CXX_TEST=${CXX_TEST:-}
if [ -z "$CXX_TEST" ]; then
  cs=1; echo "skip cxx/header_compiles_as_cxx11 (no C++ compiler: install Debian's g++)"
else
  t0=$(date +%s%N)
  if timeout $((60 * ${mult%.*})) "$CXX_TEST" > "$out" 2>&1 && grep -q '^cxx ok$' "$out"; then
    cp=1; echo "ok   cxx/header_compiles_as_cxx11 ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
  else
    cf=1; echo "FAIL cxx/header_compiles_as_cxx11"; sed 's/^/  | /' "$out" | tail -n 40
  fi
fi

# ---- Plain variant only: every public function has its contract tag (1
# check), the install test (8 checks, skipped without pkg-config), the
# External Term Format's differential test against erl (4 checks, skipped
# without erl) and a short replay of each fuzz target's corpus (ETF and
# syntax: 1 test each, skipped without clang's libFuzzer build).
xp=0; xf=0; xs=0
case "$VARIANT" in
  plain)
    if sh tests/headers/contract_tags.sh > "$out" 2>&1; then
      xp=$((xp + 1)); echo "ok   headers/contract_tags ($(tail -n 1 "$out"))"
    else
      xf=$((xf + 1)); echo "FAIL headers/contract_tags"; sed 's/^/  | /' "$out" | tail -n 40
    fi
    sh tests/install/run.sh "$B" > "$out" 2>&1
    grep -v '^install: ' "$out"
    last=$(grep -E '^install: [0-9]+ passed' "$out" | tail -n 1)
    if [ -z "$last" ]; then echo "FAIL install (no summary)"; xf=$((xf + 1))
    else set -- $last; xp=$((xp + $2)); xf=$((xf + $4)); xs=$((xs + $6)); fi
    sh tests/diff/run.sh "$B" > "$out" 2>&1
    grep -v '^diff: ' "$out"
    last=$(grep -E '^diff: [0-9]+ passed' "$out" | tail -n 1)
    if [ -z "$last" ]; then echo "FAIL diff (no summary)"; xf=$((xf + 1))
    else set -- $last; xp=$((xp + $2)); xf=$((xf + $4)); xs=$((xs + $6)); fi
    for target in etf syntax; do
      corpus=tests/fuzz/corpus
      [ "$target" = syntax ] && corpus=tests/fuzz/syntax_corpus
      if [ -x build/fuzz/${target}_fuzz ]; then
        t0=$(date +%s%N)
        if sh tests/fuzz/run.sh build/fuzz/${target}_fuzz replay "$corpus" > "$out" 2>&1; then
          xp=$((xp + 1))
          echo "ok   fuzz/${target}_corpus_replay ($(( ($(date +%s%N) - t0) / 1000000 )) ms, $(grep -o 'Done [0-9]* runs' "$out"))"
        else
          xf=$((xf + 1)); echo "FAIL fuzz/${target}_corpus_replay"; sed 's/^/  | /' "$out" | tail -n 40
        fi
      else
        xs=$((xs + 1)); echo "skip fuzz/${target}_corpus_replay (no build/fuzz/${target}_fuzz: needs clang, libclang-rt-14-dev)"
      fi
    done ;;
esac

p=$((up + ep + cp + xp)); f=$((uf + ef + cf + xf)); us=$((us + cs + xs))
echo "$p passed, $f failed, $us skipped"
[ "$f" -eq 0 ]
