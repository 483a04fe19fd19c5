/* SPDX-License-Identifier: MIT */
/*
** main.c: the cbeam-bench driver: argument parsing, dispatch, repetition.
**
**   cbeam-bench WORKLOAD [--n N] [--laps L] [--senders S] [--queued Q]
**                        [--kind bin|list] [--hogs H] [--yield-check]
**                        [--keys K] [--live MB] [--clients C]
**                        [--max-concurrency M] [--schedulers K] [--runs R]
**
** Output contract (scripts parse it): exactly one line on stdout,
**   workload=NAME <main>=V <other figures>... schedulers=K <params> runs=R
** with the workload's main figure first after the name. With '--runs R' > 1
** the workload boots the runtime R times (one beam_run() each, so no run
** inherits another's heaps or stacks) and the line shows the run whose
** main figure is the median; for even R the lower of the two middle runs,
** so every figure on the line comes from one real run rather than an
** average of two. '<main>_min' and '<main>_max' then show the spread.
**
** Exit status: 0; 1 if the runtime failed or a workload got a wrong answer
** (the line is still printed, so the wrong 'result=' is visible); 2 for bad
** arguments, with the usage on stderr.
**
** Each workload accepts only the options that mean something to it: a
** '--laps' given to pingpong is more likely a typo than a wish, and
** silently ignoring it would produce a figure for the wrong experiment.
** Counts accept plain integers or exponent form ('1e6'). Every option takes
** a value except the flag '--yield-check'.
*/
#include "bench.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

enum {
  OPT_N = 1u << 0,
  OPT_LAPS = 1u << 1,
  OPT_SENDERS = 1u << 2,
  OPT_QUEUED = 1u << 3,
  OPT_KIND = 1u << 4,
  OPT_HOGS = 1u << 5,
  OPT_YIELD_CHECK = 1u << 6,
  OPT_KEYS = 1u << 7,
  OPT_LIVE = 1u << 8,
  OPT_CLIENTS = 1u << 9,
  OPT_MAX_CONCURRENCY = 1u << 10,
};

typedef struct workload {
  const char *name;
  bench_fn_t fn;
  unsigned accepts; /* OPT_* besides --schedulers and --runs */
  bench_opts_t defaults;
  const char *what;
} workload_t;

static const workload_t workloads[] = {
    {"spawn_idle", bench_spawn_idle, OPT_N | OPT_KIND,
     {.n = 100000, .kind = "receive"},
     "N processes blocked in receive or hibernated: bytes_per_proc"},
    {"spawn_exit", bench_spawn_exit, OPT_N, {.n = 1000000},
     "N processes that exit at once: procs_per_s"},
    {"pingpong", bench_pingpong, OPT_N, {.n = 1000000},
     "N round trips between two processes: rt_ns"},
    {"ring", bench_ring, OPT_N | OPT_LAPS, {.n = 1000, .laps = 1000},
     "a token round N processes for L laps: hop_ns"},
    {"skynet", bench_skynet, 0, {.n = 1000000},
     "1M-leaf 10-ary process tree summing: wall_ms, result"},
    {"fanin", bench_fanin, OPT_N | OPT_SENDERS, {.n = 250000, .senders = 4},
     "S senders x N messages to one receiver: msgs_per_s"},
    {"timers", bench_timers, OPT_N, {.n = 10000},
     "N processes sleep 10 ms ten times: wall_ms, max_late_ms"},
    {"selective", bench_selective, OPT_N | OPT_QUEUED,
     {.n = 10000, .queued = 10000},
     "N calls with Q messages queued: op_us (ref), scan_op_us (tag)"},
    {"bigmsg", bench_bigmsg, OPT_N | OPT_KIND, {.kind = "bin"},
     "a 1 KiB binary or 100-int list sent N times: msg_ns, small_ns"},
    {"fairness", bench_fairness, OPT_HOGS | OPT_YIELD_CHECK, {.hogs = 4},
     "ping-pong round trips beside H spinning hogs: worst_ms, p99_ms"},
    {"hiccup", bench_hiccup, 0, {0},
     "K plain threads spin 2 s: the machine's worst stall, worst_ms"},
    {"map_state", bench_map_state, OPT_N | OPT_KEYS, {.keys = 1000},
     "N random updates of a K-key map state, collected: update_ns"},
    {"gc", bench_gc, OPT_LIVE, {.live_mb = 1},
     "major / minor collection of an MB-MiB live set: pause_us, minor_us"},
    {"genserver_call", bench_genserver_call, OPT_N | OPT_CLIENTS,
     {.n = 1000000, .clients = 1},
     "N GenServer calls, C clients on C servers: call_ns, calls_per_s"},
    {"genserver_cast", bench_genserver_cast, OPT_N, {.n = 1000000},
     "N GenServer casts, then one call: cast_ns"},
    {"agent_update", bench_agent_update, OPT_N, {.n = 1000000},
     "N Agent updates adding I, then one get: update_ns"},
    {"async_stream", bench_async_stream, OPT_N | OPT_MAX_CONCURRENCY,
     {.n = 1000000},
     "Task.async_stream over 1..N returning 2x, ordered: elem_ns"},
};

#define NWORKLOADS (sizeof workloads / sizeof workloads[0])

static _Noreturn void usage(FILE *out, int status) {
  fputs("usage: cbeam-bench WORKLOAD [options]\n\nworkloads:\n", out);
  for (size_t i = 0; i < NWORKLOADS; i++)
    fprintf(out, "  %-11s %s\n", workloads[i].name, workloads[i].what);
  fputs("\noptions (each workload takes only those it uses):\n"
        "  --n N           processes, round trips or messages (spawn_idle,\n"
        "                  spawn_exit, pingpong, ring, fanin, timers,\n"
        "                  selective, bigmsg: 1e6 bin, 1e5 list,\n"
        "                  map_state: 1e5, 1e4 for K > 10000)\n"
        "  --laps L        ring laps (ring)\n"
        "  --senders S     sending processes (fanin)\n"
        "  --queued Q      unrelated messages queued (selective)\n"
        "  --kind K        bin or list (bigmsg; default bin); receive or\n"
        "                  hibernate (spawn_idle; default receive)\n"
        "  --hogs H        spinning processes (fairness; default 4)\n"
        "  --yield-check   hogs call beam_yield_check() (fairness)\n"
        "  --keys K        keys of the map (map_state; default 1000)\n"
        "  --live MB       MiB of live terms (gc; default 1)\n"
        "  --clients C     clients, each with its own server (genserver_call;\n"
        "                  default 1)\n"
        "  --max-concurrency M\n"
        "                  tasks at once (async_stream; default: the\n"
        "                  scheduler count)\n"
        "  --schedulers K  scheduler threads; 0 = one per core (default)\n"
        "  --runs R        run R times, report the median run (default 1)\n"
        "\nPrints one line: workload=NAME key=value ...; see bench/README.md\n",
        out);
  exit(status);
}

__attribute__((format(printf, 1, 2))) static _Noreturn void
bad(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("cbeam-bench: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputs("\n", stderr);
  usage(stderr, 2);
}

/* A count in [lo, hi]: "250000" or "1e6"; anything else is a usage error. */
static int64_t parse_count(const char *opt, const char *text, int64_t lo,
                           int64_t hi) {
  char *end;
  double v = strtod(text, &end);
  if (end == text || *end != '\0' || !isfinite(v) || v != floor(v) ||
      v < (double) lo || v > (double) hi)
    bad("bad value '%s' for %s", text, opt);
  return (int64_t) v;
}

static const workload_t *find_workload(const char *name) {
  for (size_t i = 0; i < NWORKLOADS; i++)
    if (strcmp(workloads[i].name, name) == 0)
      return &workloads[i];
  return NULL;
}

static void parse_args(int argc, char **argv, const workload_t **wout,
                       bench_opts_t *o) {
  if (argc < 2)
    usage(stderr, 2);
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
    usage(stdout, 0);
  const workload_t *w = find_workload(argv[1]);
  if (w == NULL)
    bad("unknown workload '%s'", argv[1]);
  *o = w->defaults;
  o->runs = 1;
  for (int i = 2; i < argc; i++) {
    const char *opt = argv[i];
    if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0)
      usage(stdout, 0);
    if (strcmp(opt, "--yield-check") == 0) {
      if (!(w->accepts & OPT_YIELD_CHECK))
        bad("%s does not take %s", w->name, opt);
      o->yield_check = 1;
      continue;
    }
    if (i + 1 >= argc)
      bad("%s needs a value", opt);
    const char *val = argv[++i];
    unsigned need = 0;
    if (strcmp(opt, "--n") == 0) {
      need = OPT_N;
      o->n = parse_count(opt, val, 1, 1000000000);
    } else if (strcmp(opt, "--laps") == 0) {
      need = OPT_LAPS;
      o->laps = parse_count(opt, val, 1, 1000000000);
    } else if (strcmp(opt, "--senders") == 0) {
      need = OPT_SENDERS;
      o->senders = parse_count(opt, val, 1, 1000000);
    } else if (strcmp(opt, "--queued") == 0) {
      need = OPT_QUEUED;
      o->queued = parse_count(opt, val, 0, 100000000);
    } else if (strcmp(opt, "--kind") == 0) {
      need = OPT_KIND;
      o->kind = val;
    } else if (strcmp(opt, "--hogs") == 0) {
      need = OPT_HOGS;
      o->hogs = parse_count(opt, val, 0, 100000);
    } else if (strcmp(opt, "--keys") == 0) {
      need = OPT_KEYS;
      o->keys = parse_count(opt, val, 1, 100000000);
    } else if (strcmp(opt, "--live") == 0) {
      need = OPT_LIVE;
      o->live_mb = parse_count(opt, val, 1, 100000);
    } else if (strcmp(opt, "--clients") == 0) {
      need = OPT_CLIENTS;
      o->clients = parse_count(opt, val, 1, 1000000);
    } else if (strcmp(opt, "--max-concurrency") == 0) {
      need = OPT_MAX_CONCURRENCY;
      o->max_concurrency = parse_count(opt, val, 1, 1000000);
    } else if (strcmp(opt, "--schedulers") == 0) {
      o->schedulers = (unsigned) parse_count(opt, val, 0, 1024);
    } else if (strcmp(opt, "--runs") == 0) {
      o->runs = (int) parse_count(opt, val, 1, 1000);
    } else {
      bad("unknown option '%s'", opt);
    }
    if (need && !(w->accepts & need))
      bad("%s does not take %s", w->name, opt);
  }
  if (w->accepts & OPT_KIND) {
    int idle = w->fn == bench_spawn_idle;
    const char *a = idle ? "receive" : "bin", *b = idle ? "hibernate" : "list";
    if (strcmp(o->kind, a) != 0 && strcmp(o->kind, b) != 0)
      bad("bad value '%s' for --kind (%s or %s)", o->kind, a, b);
  }
  if (w->fn == bench_bigmsg && o->n == 0)
    o->n = bench_bigmsg_default_n(o->kind);
  if (w->fn == bench_map_state && o->n == 0)
    o->n = bench_map_state_default_n(o->keys);
  /* Products that size a run: keep them far from overflow and from runs
  ** that would take hours. */
  if (o->n * o->laps > 1000000000000 || o->n * o->senders > 1000000000000)
    bad("%s: run too large", w->name);
  *wout = w;
}

static void print_value(double v, int decimals) {
  printf("%.*f", decimals, v);
}

int main(int argc, char **argv) {
  const workload_t *w;
  bench_opts_t o;
  parse_args(argc, argv, &w, &o);

  bench_result_t *runs = calloc((size_t) o.runs, sizeof *runs);
  int *order = calloc((size_t) o.runs, sizeof *order);
  if (runs == NULL || order == NULL) {
    fputs("cbeam-bench: out of memory\n", stderr);
    return 1;
  }
  int failed = 0;
  for (int i = 0; i < o.runs; i++) {
    w->fn(&o, &runs[i]);
    if (runs[i].count == 0) {
      fprintf(stderr, "cbeam-bench: %s: run %d produced no figures\n",
              w->name, i + 1);
      return 1;
    }
    failed |= runs[i].failed;
    order[i] = i;
  }
  /* Insertion sort of run indices by main figure: R is small. */
  for (int i = 1; i < o.runs; i++)
    for (int j = i; j > 0 && runs[order[j - 1]].kv[0].value >
                                 runs[order[j]].kv[0].value;
         j--) {
      int t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  const bench_result_t *med = &runs[order[(o.runs - 1) / 2]];

  printf("workload=%s", w->name);
  for (int k = 0; k < med->count; k++) {
    printf(" %s=", med->kv[k].key);
    print_value(med->kv[k].value, med->kv[k].decimals);
  }
  if (o.runs > 1) {
    printf(" %s_min=", med->kv[0].key);
    print_value(runs[order[0]].kv[0].value, med->kv[0].decimals);
    printf(" %s_max=", med->kv[0].key);
    print_value(runs[order[o.runs - 1]].kv[0].value, med->kv[0].decimals);
  }
  printf(" schedulers=%u", med->schedulers);
  if (w->accepts & OPT_SENDERS)
    printf(" senders=%lld", (long long) o.senders);
  if (w->accepts & OPT_QUEUED)
    printf(" queued=%lld", (long long) o.queued);
  if (w->accepts & OPT_KIND)
    printf(" kind=%s", o.kind);
  if (w->accepts & OPT_HOGS)
    printf(" hogs=%lld yield_check=%d", (long long) o.hogs, o.yield_check);
  if (w->accepts & OPT_KEYS)
    printf(" keys=%lld", (long long) o.keys);
  if (w->accepts & OPT_LIVE)
    printf(" live=%lld", (long long) o.live_mb);
  if (w->accepts & OPT_CLIENTS)
    printf(" clients=%lld", (long long) o.clients);
  if (w->accepts & OPT_MAX_CONCURRENCY) /* 0: as many as schedulers */
    printf(" max_concurrency=%lld",
           (long long) (o.max_concurrency ? o.max_concurrency
                                          : (int64_t) med->schedulers));
  if (o.n > 0) /* fairness and gc have no N */
    printf(" n=%lld", (long long) o.n);
  if (w->accepts & OPT_LAPS)
    printf(" laps=%lld", (long long) o.laps);
  printf(" runs=%d\n", o.runs);
  fflush(stdout);
  free(order);
  free(runs);
  if (failed) {
    fprintf(stderr, "cbeam-bench: %s: wrong result (see the line above)\n",
            w->name);
    return 1;
  }
  return 0;
}
