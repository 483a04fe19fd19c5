#!/bin/sh
# SPDX-License-Identifier: MIT
# compare.sh: run each workload on cbeam-bench, on its Erlang/OTP twin
# (bench/erl/beam-bench.sh) and, where there is one, on its Go twin
# (bench/go/, build/go/go-bench), with the same arguments, R times each,
# and print a table of medians and ratios.
#
#   bench/compare.sh [--runs R] [--schedulers K] [--max-wait S] [--no-go]
#                    [CASE...]
#
# CASE is one quoted workload with its options, e.g. "ring --n 100" or
# "pingpong --schedulers 1"; without any, every workload at its defaults,
# plus pingpong on one scheduler, map_state at 10, 1000 and 100000 keys
# and gc at 1 and 100 MiB. '--schedulers K' (default 0 = one per
# core, on both sides) is added to every case that does not set its own.
#
# Runs alternate (cbeam, BEAM, Go, cbeam, BEAM, Go, ...) so that slow drift
# in the machine hits every side alike. Every run is a fresh OS process (one
# 'cbeam-bench ... --runs 1', one 'erl', one 'go-bench'), and the median is
# taken per key over the R runs (the lower middle one for even R, as
# cbeam-bench does). Workloads cbeam-bench does not have (per its --help)
# show "n/a"; a run that fails or times out shows "fail". The raw lines go
# to stderr.
#
# Go: the columns "Go" and "cbeam/Go" and "vs Go" show the Go twin's
# median, the ratio and who is ahead, for the workloads go-bench lists in
# its --help (the OTP ones); others show "-". Without Go (no 'go' command,
# GO_BENCH unset) or with --no-go every Go cell is "-".
#
# fairness: cbeam's --yield-check (hogs call beam_yield_check()) has no
# Erlang twin, since BEAM hogs are always preempted. A fairness case
# without it runs cbeam twice per round, without and with --yield-check
# (rows "+yc"), against one BEAM run, and prints both ratios; a case that
# gives --yield-check runs only that on cbeam. The BEAM side never gets it.
#
# Other processes skew every figure on a small machine. Before each run the
# script waits (up to S seconds, default 60; 0 = never) until the CPUs have
# been less than 25% busy for half a second, and says in the table how many
# runs started on a busy machine anyway.
#
# Needs: build/plain/cbeam-bench (make bench; or CBEAM_BENCH=path) and
# Erlang/OTP's erl and erlc (Debian: erlang-base). Optional: Go (Debian:
# golang-go; bench/go/build.sh builds build/go/go-bench, or
# GO_BENCH=path).
set -eu
cd "$(dirname "$0")/.."

runs=3 sched=0 max_wait=60 timeout_s=${COMPARE_TIMEOUT:-900} use_go=yes
usage() {
  sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//' >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) [ $# -ge 2 ] || usage; runs=$2; shift 2 ;;
    --schedulers) [ $# -ge 2 ] || usage; sched=$2; shift 2 ;;
    --max-wait) [ $# -ge 2 ] || usage; max_wait=$2; shift 2 ;;
    --no-go) use_go=no; shift ;;
    -h|--help) usage ;;
    --*) echo "compare.sh: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
case "$runs$sched$max_wait" in *[!0-9]*) usage ;; esac
[ "$runs" -ge 1 ] || usage

cbeam=${CBEAM_BENCH:-build/plain/cbeam-bench}
if [ ! -x "$cbeam" ]; then
  echo "compare.sh: $cbeam not found: run 'make bench' first" >&2
  exit 1
fi
sh bench/erl/build.sh build/erl
beam=bench/erl/beam-bench.sh

# The Go twins: GO_BENCH, or built into build/go/ if Go is installed.
gobench=
if [ "$use_go" = yes ]; then
  if [ -n "${GO_BENCH:-}" ]; then
    gobench=$GO_BENCH
  elif command -v go >/dev/null 2>&1; then
    sh bench/go/build.sh build/go && gobench=build/go/go-bench
  fi
fi
go_has=
if [ -n "$gobench" ]; then
  go_has=$("$gobench" --help 2>&1 |
    awk '/^workloads:/ {on = 1; next} on && /^$/ {exit} on {print $1}')
fi

if [ $# -eq 0 ]; then
  set -- spawn_idle spawn_exit pingpong "pingpong --schedulers 1" ring skynet \
    fanin timers selective "bigmsg --kind bin" "bigmsg --kind list" fairness \
    "map_state --keys 10" "map_state --keys 1000" "map_state --keys 100000" \
    "gc --live 1" "gc --live 100"
fi

# Workloads this cbeam-bench has: the names under "workloads:" in --help.
cbeam_has=$("$cbeam" --help 2>&1 |
  awk '/^workloads:/ {on = 1; next} on && /^$/ {exit} on {print $1}')

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# Percent of CPU time busy over the next half second, all CPUs.
busy_pct() {
  a=$(head -n 1 /proc/stat)
  sleep 0.5
  b=$(head -n 1 /proc/stat)
  printf '%s\n%s\n' "$a" "$b" | awk '
    { t = 0; for (i = 2; i <= NF; i++) t += $i; idle = $5 + $6 }
    NR == 1 { t0 = t; i0 = idle } NR == 2 { dt = t - t0
      print (dt > 0 ? int(100 * (dt - (idle - i0)) / dt) : 0) }'
}

# Wait for a quiet machine; prints 1 if it stayed busy, else 0.
wait_quiet() {
  if [ "$max_wait" -eq 0 ] || [ ! -r /proc/stat ]; then echo 0; return; fi
  start=$(date +%s)
  while [ "$(busy_pct)" -ge 25 ]; do
    if [ $(($(date +%s) - start)) -ge "$max_wait" ]; then
      echo "compare.sh: machine still busy after ${max_wait}s; running anyway" >&2
      echo 1; return
    fi
  done
  echo 0
}

# run SIDE CASEID CMD...: one run; appends its line (or "fail") to a file.
run_one() {
  side=$1 id=$2; shift 2
  noisy=$(wait_quiet)
  echo "$noisy" >> "$tmp/$id.$side.noisy"
  if timeout "$timeout_s" "$@" >"$tmp/out" 2>"$tmp/err"; then rc=0; else rc=$?; fi
  line=$(tail -n 1 "$tmp/out")
  printf '  %-8s %s\n' "$side" "${line:-(no output)}" >&2
  if [ "$rc" -ne 0 ] || [ -z "$line" ]; then
    sed 's/^/    /' "$tmp/err" >&2
    echo "    exit status $rc" >&2
    line="fail"
  fi
  echo "$line" >> "$tmp/$id.$side"
}

id=0
for c in "$@"; do
  id=$((id + 1))
  case " $c " in
    *" --schedulers "*) args=$c ;;
    *) args="$c --schedulers $sched" ;;
  esac
  echo "$args" > "$tmp/$id.args"
  w=${c%% *}
  have=no
  for x in $cbeam_has; do [ "$x" = "$w" ] && have=yes; done
  gohave=no
  for x in $go_has; do [ "$x" = "$w" ] && gohave=yes; done
  # fairness: the BEAM has no --yield-check; without one, run cbeam both ways.
  bargs=$(echo "$args" | sed 's/ --yield-check//g')
  yc=no
  [ "$w" = fairness ] && [ "$bargs" = "$args" ] && yc=yes
  echo "# $args" >&2
  r=0
  while [ "$r" -lt "$runs" ]; do
    r=$((r + 1))
    # shellcheck disable=SC2086
    [ "$have" = yes ] && run_one cbeam "$id" "$cbeam" $args --runs 1
    # shellcheck disable=SC2086
    [ "$have" = yes ] && [ "$yc" = yes ] &&
      run_one cbeam+yc "$id" "$cbeam" $args --yield-check --runs 1
    # shellcheck disable=SC2086
    run_one beam "$id" sh "$beam" $bargs --runs 1
    # shellcheck disable=SC2086
    [ "$gohave" = yes ] && run_one go "$id" "$gobench" $bargs --runs 1
  done
  [ "$gohave" = yes ] || echo "-" > "$tmp/$id.go"
  [ "$have" = yes ] || echo "n/a" > "$tmp/$id.cbeam"
  [ "$have" = yes ] || [ "$yc" = no ] || echo "n/a" > "$tmp/$id.cbeam+yc"
done

# The table. Keys per workload, and which direction is better ("info": a
# ratio but no side ahead, e.g. a count of collections).
keys() {
  case "$1" in
    spawn_idle) echo "wall_ms:lower bytes_per_proc:lower" ;;
    spawn_exit) echo "procs_per_s:higher" ;;
    pingpong) echo "rt_ns:lower" ;;
    ring) echo "hop_ns:lower" ;;
    skynet) echo "wall_ms:lower result:equal" ;;
    fanin) echo "msgs_per_s:higher" ;;
    timers) echo "wall_ms:lower max_late_ms:lower" ;;
    selective) echo "op_us:lower scan_op_us:lower" ;;
    bigmsg) echo "msg_ns:lower small_ns:lower" ;;
    fairness) echo "worst_ms:lower p99_ms:lower" ;;
    map_state) echo "update_ns:lower peak_rss_kb:lower heap_peak_kb:lower map_kb:lower gcs:info" ;;
    gc) echo "pause_us:lower minor_us:lower live_kb:info heap_kb:lower" ;;
    genserver_call) echo "call_ns:lower calls_per_s:higher" ;;
    genserver_cast) echo "cast_ns:lower" ;;
    agent_update) echo "update_ns:lower" ;;
    async_stream) echo "elem_ns:lower" ;;
    *) echo "" ;;
  esac
}

# median FILE KEY: the median of KEY over the lines of FILE; "n/a" or
# "fail" if the file says so for every run (a failed run counts as fail);
# "absent" if no line has the key (genserver_call has no call_ns with
# --clients > 1).
median() {
  awk -v k="$2" '
    $0 == "n/a" { na = 1; next }
    $0 == "-" { dash = 1; next }
    $0 == "fail" { bad = 1; next }
    { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) v[n++] = substr($i, length(k) + 2) }
    END {
      if (na) { print "n/a"; exit }
      if (dash) { print "-"; exit }
      if (bad) { print "fail"; exit }
      if (n == 0) { print "absent"; exit }
      for (i = 1; i < n; i++) for (j = i; j > 0 && v[j-1] + 0 > v[j] + 0; j--) {
        t = v[j]; v[j] = v[j-1]; v[j-1] = t }
      print v[int((n - 1) / 2)]
    }' "$1"
}

sched_of() {
  awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^schedulers=/) { print substr($i, 12); exit } }' "$1"
}

# row LABEL KEY DIR CBEAMFILE BEAMFILE GOFILE: one line of the table.
row() {
  cv=$(median "$4" "$2")
  bv=$(median "$5" "$2")
  gv=$(median "$6" "$2")
  # A key that neither cbeam nor the BEAM printed: no row.
  [ "$cv" = absent ] && [ "$bv" = absent ] && return 0
  awk -v l="$1" -v k="$2" -v c="$cv" -v b="$bv" -v g="$gv" -v d="$3" '
  # cmp(C, X, NAME): "ratio|ahead" of cbeam against side NAME.
  function cmp(c, x, name,   num, r, f, ratio, ahead) {
    num = (c ~ /^-?[0-9.]+$/ && x ~ /^-?[0-9.]+$/)
    ratio = "-"; ahead = ""
    if (num && d == "equal") ahead = (c == x ? "same" : "DIFFER")
    else if (num && d == "info") { if (x + 0 != 0) ratio = sprintf("%.2f", c / x) }
    else if (num && x + 0 != 0 && c + 0 != 0) {
      r = c / x; ratio = sprintf("%.2f", r)
      if (d == "lower") f = x / c; else f = c / x
      if (f >= 1) ahead = sprintf("cbeam %.2fx", f); else ahead = sprintf("%s %.2fx", name, 1 / f)
    }
    return ratio "|" ahead
  }
  BEGIN {
    split(cmp(c, b, "BEAM"), rb, "|")
    split(cmp(c, g, "Go"), rg, "|")
    if (rg[2] == "") rg[2] = "-"
    printf "%-42s %-15s %13s %13s %13s %10s %8s  %-6s  %-12s %s\n", l, k, c, b, g, rb[1], rg[1], d, rb[2], rg[2] }'
}

printf '%-42s %-15s %13s %13s %13s %10s %8s  %-6s  %-12s %s\n' \
  "case" "key" "cbeam" "BEAM" "Go" "cbeam/BEAM" "cbeam/Go" "better" "ahead" "vs Go"
noisy_total=0
id=0
for c in "$@"; do
  id=$((id + 1))
  args=$(cat "$tmp/$id.args")
  w=${c%% *}
  label=$(echo "$args" | sed -e 's/ --yield-check//g' \
    -e 's/ --schedulers \([0-9]*\)/ -S\1/')
  s=$(sched_of "$tmp/$id.beam")
  [ -n "$s" ] && label=$(echo "$label" | sed "s/ -S0\$/ -S$s/")
  case " $args " in *" --yield-check "*) label="$label +yc" ;; esac
  for side in cbeam cbeam+yc; do
    [ -f "$tmp/$id.$side" ] || continue
    l=$label
    [ "$side" = cbeam+yc ] && l="$label +yc"
    for kd in $(keys "$w"); do
      row "$l" "${kd%%:*}" "${kd#*:}" "$tmp/$id.$side" "$tmp/$id.beam" \
        "$tmp/$id.go"
    done
  done
  n=$(cat "$tmp/$id".*.noisy 2>/dev/null | awk '{s += $1} END {print s + 0}')
  noisy_total=$((noisy_total + n))
done
echo "medians of $runs run(s) per side; cbeam/BEAM < 1 means cbeam's figure is smaller;"
echo "\"ahead\" (against the BEAM) and \"vs Go\" say which side is better for that key"
echo "and by how much; \"-\" in the Go columns: no Go twin."
if [ "$noisy_total" -gt 0 ]; then
  echo "warning: $noisy_total run(s) started while other processes kept the CPUs >= 25% busy"
fi
