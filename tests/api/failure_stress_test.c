/* SPDX-License-Identifier: MIT */
/*
** failure_stress_test.c: issue #4's stress test. 100,000 processes (in
** batches of 1,000) in random link and monitor graphs, random exits
** (normal, kill, custom, crash) from several schedulers; every expected
** DOWN and EXIT arrives exactly once with the predicted reason, no process
** outlives a linked crash unless it traps exits, process_count returns to
** its start and nothing leaks (LSan, called explicitly in the ASan build:
** the runner's child leaves by _exit, which skips LSan's own check).
**
** Sizes: 100,000 workers in the plain build (about 1 s), scaled by
** BEAM_TEST_SCALE (0.1 under the sanitizers), at most TSAN_PROCS under
** TSan, where a spawn costs ~0.5 ms. BEAM_STRESS_PROCS sets the number.
**
** Determinism. A seed (printed in the log, which the runner shows on a
** failure; BEAM_STRESS_SEED overrides it) fixes every graph and every
** exit. Schedules still vary, so the scenario has exactly one correct
** outcome whatever the interleaving:
**  - Everything is set up and acknowledged before anything exits: workers
**    register names, link (one side, both sides at once, twice, or link
**    then unlink), monitor their partners and answer {ready}; watchers
**    monitor (by pid or by name) and answer {wready}; every worker answers
**    a ping (so each has handled the link and monitor signals queued
**    before it); only then does 'go' go out, to every actor at once.
**  - The oracle works on clusters: union-find over the links whose two
**    ends can die and pass it on (not trapping exits, or trapping but
**    planned to die by its own action or a kill). A process trapping exits
**    that is not planned to die never dies and passes nothing on: it only
**    collects EXIT messages, so links through it join nothing. Each
**    cluster gets one death class, and every action planned inside it
**    (own exit at any call depth, exit_signal to self, exit_signal from a
**    killer process, a fault) ends in the *same* reason:
**      normal      return, exit(normal), exit_signal(self, normal) (X5);
**                  does not propagate: only the initiators die
**      {exit, C} / {shutdown, C}       (X6, P13)
**      {crash, C} / {crash, C, <<100-byte shared binary>>}
**      {segv, Addr} a write into page 0 in the process's own code
**                  (docs/faults.md), or that term sent by exit_signal
**      kill        exit(kill) by the process itself (X9: trappable)
**      killed      a killer's kill, exit_signal(self, kill) (X7),
**                  exit_signal(P, killed) (X10), exit(killed)
**    so a process reached by two waves, or by a wave before its own 'go',
**    dies of that one reason either way, and an exit_signal that finds its
**    target dead changes nothing. Survivors that trap exits also get exit
**    signals with other reasons (normal, killed, {sig, ...}) from killers
**    or from themselves (X3, X4, X10, X12); non-trapping ones get stray
**    'normal' signals, which they ignore (X5).
**
** Checked, per batch:
**  - The root (trapping exits) spawned every worker with a monitor and 40%
**    with a link: exactly one DOWN each (with its ref) and one EXIT per
**    link, EXIT first (O7), with the predicted reason; a survivor's only
**    once it is told to stop (then 'normal'). When the DOWN comes the pid
**    is dead, its name free and its exit hook has run once with the same
**    reason (P8); a message it sent just before its own exit came first
**    (O6).
**  - Eight watchers hold 2,000 monitors (some twice on one target, N5; by
**    name for named targets, N4) and demonitor 10% with flush during the
**    storm: exactly one DOWN per live monitor with the predicted reason
**    and object, none after a flush (N10, N12, N15), demonitor after a
**    consumed DOWN returns 0 (N14), of a living target 1 (N11).
**  - Every survivor monitors its link partners: it gets exactly one DOWN
**    per partner that died and, if it traps exits, exactly the predicted
**    EXIT messages (one per dead partner, one per exit_signal, from the
**    right pid: X4), nothing more, late ones included (looked for again
**    when it is stopped). Its own process_info then shows one link per
**    surviving partner however often linked and none to a dead one or an
**    unlinked one (L2, L7, L10), one monitor per surviving partner, and
**    its registered name.
**  - After the storm every process planned to die is dead (no process
**    outlives a linked crash unless it traps exits: L1, X6, X14) and every
**    other one alive; the root's own links and monitors are exactly the
**    survivors'.
**  - beam_process_count() is back to its start after every batch.
*/
#include "../harness/check.h"

#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#define BATCH      1000 /* workers alive at once */
#define NWATCH     8
#define NKILL      4
#define MAXDEG     16
#define MAXEXP     64
#define MAXEDGE    (6 * BATCH)
#define MAXXSIG    (4 * BATCH)
#define WMON       (2 * BATCH) /* watcher monitors per batch */
#define HSIZE      4096        /* pid -> index table, power of two */
#define MAXLOG     40          /* error lines printed */
#define TSAN_PROCS 5000

/* ---- Reasons ---- */

enum rkind {
  R_NORMAL,
  R_KILL,
  R_KILLED,
  R_EXIT,
  R_SHUT,
  R_CRASH,
  R_BIG,
  R_SEGV,
  R_SIG
};

typedef struct rsn {
  uint8_t kind;
  int32_t arg;
} rsn_t;

static beam_term_t mk_reason(rsn_t r) {
  switch (r.kind) {
  case R_NORMAL:
    return beam_atom("normal");
  case R_KILL:
    return beam_atom("kill");
  case R_KILLED:
    return beam_atom("killed");
  case R_EXIT:
    return beam_fmt("{exit, ~i}", (int64_t) r.arg);
  case R_SHUT:
    return beam_fmt("{shutdown, ~i}", (int64_t) r.arg);
  case R_CRASH:
    return beam_fmt("{crash, ~i}", (int64_t) r.arg);
  case R_BIG: {
    unsigned char b[100];
    for (size_t i = 0; i < sizeof b; i++)
      b[i] = (unsigned char) (r.arg * 31 + (int32_t) i);
    return beam_fmt("{crash, ~i, ~b}", (int64_t) r.arg, b, sizeof b);
  }
  case R_SEGV:
    return beam_fmt("{segv, ~i}", (int64_t) r.arg);
  default:
    return beam_fmt("{sig, ~i, [~i, <<\"x\">>]}", (int64_t) r.arg,
                    (int64_t) -r.arg);
  }
}

static int reason_is(beam_term_t t, rsn_t r) {
  return beam_equal(t, mk_reason(r));
}

/* ---- The plan: written by the root before a batch, read-only after ---- */

enum act { A_NONE, A_RETURN, A_EXIT, A_EXIT_DEEP, A_SIGSELF, A_SEGV };
enum cls { C_NONE, C_NORMAL, C_EXIT, C_CRASH, C_KILL, C_KILLED, C_SEGV };
/* Edges as planned, and the link calls a worker makes for them. */
enum eop { E_ONE, E_BOTH, E_TWICE, E_GHOST };
enum lop { L_LINK, L_TWICE, L_GHOST };

typedef struct xsig { /* an exit_signal a killer sends */
  int16_t target;
  uint8_t killer;
  rsn_t r;
} xsig_t;

typedef struct lopent {
  int16_t other;
  uint8_t op;
} lopent_t;

typedef struct wment {
  int16_t target;
  uint8_t flush, byname;
} wment_t;

typedef struct plan {
  int n, batch;
  beam_pid_t root, pids[BATCH], killers[NKILL];
  uint8_t trap[BATCH], act[BATCH], dies[BATCH], rootlink[BATCH], depth[BATCH],
      named[BATCH];
  uint8_t hooks[BATCH]; /* written by worker i's exit hook, nobody else */
  rsn_t act_r[BATCH], death[BATCH];
  int adj_off[BATCH + 1];
  int16_t adj[2 * MAXEDGE];
  int lop_off[BATCH + 1];
  lopent_t lop[2 * MAXEDGE];
  int nxs;
  xsig_t xs[MAXXSIG];
  int wm_off[NWATCH + 1];
  wment_t wm[WMON];
  /* Scratch for planning. */
  int16_t tmpadj[BATCH][MAXDEG];
  uint8_t deg[BATCH];
  int eu[MAXEDGE], ev[MAXEDGE];
  uint8_t eop[MAXEDGE];
  int ne;
  int uf[BATCH];
  uint8_t cclass[BATCH];
  rsn_t creason[BATCH];
  uint8_t chasinit[BATCH];
} plan_t;

static plan_t *P;
static uint64_t seed;
static atomic_long errors, downs_ok, exits_ok, faults;
static long deaths_by[R_SIG + 1]; /* storm deaths by reason kind */
static double tmult = 1.0;

static void bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void bad(const char *fmt, ...) {
  long e = atomic_fetch_add(&errors, 1);
  if (e >= MAXLOG)
    return;
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  TLOG("ERROR (seed %llu, batch %d): %s", (unsigned long long) seed,
       P ? P->batch : -1, buf);
}

static const char *show(beam_term_t t, char *buf, size_t n) {
  beam_print(buf, n, t);
  return buf;
}

/* ---- Random numbers (splitmix64) ---- */

static uint64_t rng_state;

static uint64_t rnd(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static int rint_(int n) { /* [0, n) */
  return (int) (rnd() % (uint64_t) n);
}

static int chance(int percent) {
  return rint_(100) < percent;
}

/* ---- Planning ---- */

static int uf_find(int x) {
  while (P->uf[x] != x) {
    P->uf[x] = P->uf[P->uf[x]];
    x = P->uf[x];
  }
  return x;
}

static int adjacent(int u, int v) {
  for (int k = 0; k < P->deg[u]; k++)
    if (P->tmpadj[u][k] == v)
      return 1;
  return 0;
}

static int add_edge(int u, int v, int op) {
  if (u == v || P->ne >= MAXEDGE || adjacent(u, v))
    return 0;
  if (op == E_GHOST) { /* one ghost per pair, never on a real link */
    for (int e = 0; e < P->ne; e++)
      if ((P->eu[e] == u && P->ev[e] == v) || (P->eu[e] == v && P->ev[e] == u))
        return 0;
  } else {
    if (P->deg[u] >= MAXDEG || P->deg[v] >= MAXDEG)
      return 0;
    P->tmpadj[u][P->deg[u]++] = (int16_t) v;
    P->tmpadj[v][P->deg[v]++] = (int16_t) u;
  }
  P->eu[P->ne] = u;
  P->ev[P->ne] = v;
  P->eop[P->ne] = (uint8_t) op;
  P->ne++;
  return 1;
}

static void add_xsig(int target, rsn_t r) {
  ASSERT_LT(P->nxs, MAXXSIG);
  P->xs[P->nxs++] = (xsig_t){(int16_t) target, (uint8_t) rint_(NKILL), r};
}

static rsn_t rs(int kind, int arg) {
  return (rsn_t){(uint8_t) kind, arg};
}

/* Roles before clustering. */
enum { ROLE_PASSIVE, ROLE_INIT, ROLE_RECEIVER };

static void plan_batch(int batch, int n) {
  plan_t *p = P;
  rng_state = seed ^ (0x5bd1e995ull * (uint64_t) (batch + 1));
  rnd();
  p->n = n;
  p->batch = batch;
  p->ne = 0;
  p->nxs = 0;
  uint8_t role[BATCH];
  for (int i = 0; i < n; i++) {
    p->deg[i] = 0;
    p->trap[i] = (uint8_t) chance(30);
    p->act[i] = A_NONE;
    p->dies[i] = 0;
    p->rootlink[i] = (uint8_t) chance(40);
    p->depth[i] = (uint8_t) rint_(40);
    p->named[i] = (uint8_t) chance(10);
    p->hooks[i] = 0;
    p->uf[i] = i;
    if (p->trap[i])
      role[i] = chance(25)   ? ROLE_INIT
                : chance(33) ? ROLE_RECEIVER
                             : ROLE_PASSIVE;
    else
      role[i] = chance(18) ? ROLE_INIT : ROLE_PASSIVE;
  }
  /* Can die and pass the death on through a link. */
#define CAPABLE(x) (!p->trap[x] || role[x] == ROLE_INIT)
  /* Links: mostly inside groups of 1-40 consecutive workers; across groups
  ** only to a trapping survivor (which joins no clusters). */
  for (int g0 = 0; g0 < n;) {
    int gs = 1 + rint_(40);
    if (g0 + gs > n)
      gs = n - g0;
    for (int i = g0 + 1; i < g0 + gs; i++) {
      int k = rint_(3);
      for (int e = 0; e < k; e++) {
        int j = g0 + rint_(i - g0);
        int r = rint_(100);
        if (r < 60)
          add_edge(i, j, E_ONE);
        else if (r < 75)
          add_edge(j, i, E_ONE);
        else if (r < 90)
          add_edge(i, j, E_BOTH); /* both sides link at once (L2) */
        else
          add_edge(i, j, E_TWICE); /* i links twice (L2) */
      }
    }
    g0 += gs;
  }
  for (int i = 0; i < n; i++) {
    if (chance(10)) { /* to a trapping survivor anywhere */
      for (int t = 0; t < 6; t++) {
        int j = rint_(n);
        if (p->trap[j] && role[j] != ROLE_INIT) {
          add_edge(i, j, chance(50) ? E_ONE : E_BOTH);
          break;
        }
      }
    }
  }
  for (int i = 0; i < n; i++)
    if (chance(5)) /* link then unlink: must have no effect (L8) */
      add_edge(i, rint_(n), E_GHOST);
  /* Clusters. */
  for (int e = 0; e < p->ne; e++) {
    int u = p->eu[e], v = p->ev[e];
    if (p->eop[e] != E_GHOST && CAPABLE(u) && CAPABLE(v))
      p->uf[uf_find(u)] = uf_find(v);
  }
  for (int i = 0; i < n; i++) {
    if (uf_find(i) != i)
      continue;
    int r = rint_(100), arg = batch * BATCH + i;
    uint8_t c = r < 10   ? C_NONE
                : r < 25 ? C_NORMAL
                : r < 43 ? C_EXIT
                : r < 60 ? C_CRASH
                : r < 65 ? C_SEGV
                : r < 75 ? C_KILL
                         : C_KILLED;
    p->cclass[i] = c;
    p->chasinit[i] = 0;
    switch (c) {
    case C_EXIT:
      p->creason[i] = rs(chance(50) ? R_EXIT : R_SHUT, arg);
      break;
    case C_CRASH:
      p->creason[i] = rs(chance(70) ? R_CRASH : R_BIG, arg);
      break;
    case C_SEGV: /* a write into page 0, at an address of the cluster's */
      p->creason[i] = rs(R_SEGV, 8 * (1 + i % 500));
      break;
    case C_KILL:
      p->creason[i] = rs(R_KILL, 0);
      break;
    case C_KILLED:
      p->creason[i] = rs(R_KILLED, 0);
      break;
    default:
      p->creason[i] = rs(R_NORMAL, 0);
      break;
    }
  }
  /* Actions. */
  for (int i = 0; i < n; i++) {
    int c = uf_find(i);
    uint8_t cl = p->cclass[c];
    rsn_t rc = p->creason[c];
    int trap = p->trap[i];
    if (role[i] == ROLE_RECEIVER) { /* trapping, survives */
      int k = 1 + rint_(2);
      for (int s = 0; s < k; s++) {
        int r = rint_(100);
        rsn_t x = r < 25   ? rs(R_NORMAL, 0)
                  : r < 45 ? rs(R_KILLED, 0) /* X10: ordinary reason */
                  : r < 60 ? rs(R_SHUT, -i - 1)
                           : rs(R_SIG, batch * BATCH + i);
        if (s == 0 && chance(30)) { /* X12: to itself, returns */
          p->act[i] = A_SIGSELF;
          p->act_r[i] = x;
        } else {
          add_xsig(i, x);
        }
      }
      continue;
    }
    if (role[i] != ROLE_INIT || cl == C_NONE)
      continue;
    p->chasinit[c] = 1;
    int r = rint_(100);
    switch (cl) {
    case C_NORMAL:
      if (r < 40)
        p->act[i] = A_RETURN;
      else if (r < 70 || trap)
        p->act[i] = A_EXIT;
      else
        p->act[i] = A_SIGSELF; /* X5: kills the caller when not trapping */
      p->act_r[i] = rs(R_NORMAL, 0);
      break;
    case C_EXIT:
    case C_CRASH:
      p->act_r[i] = rc;
      if (r < 35 || (trap && r < 70))
        p->act[i] = A_EXIT;
      else if (r < 70 || trap)
        p->act[i] = A_EXIT_DEEP;
      else if (r < 85)
        p->act[i] = A_SIGSELF;
      else
        add_xsig(i, rc); /* X6 */
      break;
    case C_SEGV: /* a real fault; or its reason sent by exit_signal */
      p->act_r[i] = rc;
      if (r < 85 || trap)
        p->act[i] = A_SEGV;
      else
        add_xsig(i, rc);
      break;
    case C_KILL: /* X9: exit(kill) is reason 'kill', trappable downstream */
      p->act[i] = r < 50 ? A_EXIT : A_EXIT_DEEP;
      p->act_r[i] = rc;
      break;
    case C_KILLED:
      if (r < 20) {
        p->act[i] = A_EXIT;
        p->act_r[i] = rs(R_KILLED, 0);
      } else if (r < 40) {
        p->act[i] = A_SIGSELF; /* X7: also when trapping */
        p->act_r[i] = rs(R_KILL, 0);
      } else if (r < 50 && !trap) {
        p->act[i] = A_SIGSELF;
        p->act_r[i] = rs(R_KILLED, 0);
      } else if (r < 60 && !trap) {
        add_xsig(i, rs(R_KILLED, 0)); /* X10 */
      } else {
        add_xsig(i, rs(R_KILL, 0)); /* X7 */
      }
      break;
    }
  }
  /* Stray 'normal' exit signals: ignored unless trapping (X5, X3). */
  for (int i = 0; i < n; i++)
    if (chance(5))
      add_xsig(i, rs(R_NORMAL, 0));
  /* The oracle: who dies in the storm, of what. */
  for (int i = 0; i < n; i++) {
    int c = uf_find(i);
    int initiator = role[i] == ROLE_INIT && p->cclass[c] != C_NONE;
    if (p->cclass[c] == C_NORMAL) {
      p->dies[i] = (uint8_t) initiator;
      p->death[i] = rs(R_NORMAL, 0);
    } else if (p->chasinit[c] && CAPABLE(i)) {
      p->dies[i] = 1;
      p->death[i] = p->creason[c];
    }
    /* A trapping initiator of a quiet cluster (C_NONE) has no action and
    ** survives; its cluster stays quiet, so joining it changed nothing. */
  }
#undef CAPABLE
  /* Self-check of the oracle: a death next to a non-trapping survivor
  ** must be normal; a non-trapping neighbour of an abnormal death dies of
  ** the same reason. */
  for (int e = 0; e < p->ne; e++) {
    if (p->eop[e] == E_GHOST)
      continue;
    for (int s = 0; s < 2; s++) {
      int u = s ? p->ev[e] : p->eu[e], v = s ? p->eu[e] : p->ev[e];
      if (!p->dies[u] || p->death[u].kind == R_NORMAL || p->trap[v])
        continue;
      ASSERT(p->dies[v]);
      ASSERT_EQ(p->death[v].kind, p->death[u].kind);
      ASSERT_EQ(p->death[v].arg, p->death[u].arg);
    }
  }
  for (int s = 0; s < p->nxs; s++) {
    int t = p->xs[s].target;
    if (!p->dies[t] && !p->trap[t])
      ASSERT_EQ(p->xs[s].r.kind, R_NORMAL);
    if (!p->dies[t])
      ASSERT_NE(p->xs[s].r.kind, R_KILL);
  }
  /* Final adjacency and link operations, CSR. */
  int off = 0;
  for (int i = 0; i < n; i++) {
    p->adj_off[i] = off;
    for (int k = 0; k < p->deg[i]; k++)
      p->adj[off++] = p->tmpadj[i][k];
  }
  p->adj_off[n] = off;
  int cnt[BATCH + 1];
  memset(cnt, 0, sizeof cnt);
  for (int e = 0; e < p->ne; e++) {
    cnt[p->eu[e]]++;
    if (p->eop[e] == E_BOTH)
      cnt[p->ev[e]]++;
  }
  off = 0;
  for (int i = 0; i < n; i++) {
    p->lop_off[i] = off;
    off += cnt[i];
    cnt[i] = p->lop_off[i];
  }
  p->lop_off[n] = off;
  for (int e = 0; e < p->ne; e++) {
    int u = p->eu[e], v = p->ev[e], op = p->eop[e];
    uint8_t l = op == E_TWICE ? L_TWICE : op == E_GHOST ? L_GHOST : L_LINK;
    p->lop[cnt[u]++] = (lopent_t){(int16_t) v, l};
    if (op == E_BOTH)
      p->lop[cnt[v]++] = (lopent_t){(int16_t) u, L_LINK};
  }
  /* Watchers: WMON monitors, drawn with replacement (N5), 10% flushed. */
  int per = WMON / NWATCH * n / BATCH;
  if (per < 1)
    per = 1;
  for (int w = 0; w < NWATCH; w++) {
    p->wm_off[w] = w * per;
    for (int k = 0; k < per; k++) {
      int t = rint_(n);
      p->wm[w * per + k] = (wment_t){(int16_t) t, (uint8_t) chance(10),
                                     (uint8_t) (p->named[t] && chance(50))};
    }
  }
  p->wm_off[NWATCH] = NWATCH * per;
}

/* ---- Workers ---- */

static beam_term_t name_of(int i) {
  char b[32];
  snprintf(b, sizeof b, "fs_worker_%d", i);
  return beam_atom(b);
}

/* The reason worker 'i' ends with: its storm death, else 'normal' when
** it is told to stop. */
static rsn_t final_reason(const plan_t *p, int i) {
  return p->dies[i] ? p->death[i] : rs(R_NORMAL, 0);
}

/* Runs in the dying worker whatever the reason, before links and monitors
** are told: the root checks it ran once when the DOWN comes. */
static void exit_hook(void *ctx, beam_term_t reason) {
  int i = (int) (intptr_t) ctx;
  P->hooks[i]++;
  if (!reason_is(reason, final_reason(P, i))) {
    char a[256];
    bad("worker %d: exit hook saw %s", i, show(reason, a, sizeof a));
  }
}

/* beam_exit from 'depth' frames down (P3: from any depth). */
__attribute__((noinline)) static int exit_deep(int depth, rsn_t r) {
  volatile char pad[48]; /* a real frame per level */
  pad[0] = (char) depth;
  if (depth > 0)
    return exit_deep(depth - 1, r) + pad[0];
  if (depth == 0)
    beam_exit(mk_reason(r));
  return 0;
}

/* A NULL-page write 'depth' frames down: the process's own fault, so it is
** that process's crash with reason {segv, Addr} (docs/faults.md). UBSan
** would report the bad pointer itself first, and TSan records the store
** before it faults (two processes faulting on one address look like a
** race): the function opts out of both. */
static volatile uintptr_t zero;

__attribute__((noinline, no_sanitize("undefined", "thread"))) static int
segv_deep(int depth, int64_t addr) {
  volatile char pad[48];
  pad[0] = (char) depth;
  if (depth > 0)
    return segv_deep(depth - 1, addr) + pad[0];
  *(volatile int *) (zero + (uintptr_t) addr) = 42;
  return 0;
}

typedef struct expect {
  uint8_t down; /* 1 DOWN, 0 EXIT */
  uint8_t seen;
  beam_pid_t from;
  rsn_t r;
} expect_t;

static int find_idx_in(const plan_t *p, int i, beam_pid_t pid) {
  for (int k = p->adj_off[i]; k < p->adj_off[i + 1]; k++)
    if (p->pids[p->adj[k]].raw == pid.raw)
      return p->adj[k];
  return -1;
}

/* A survivor checks its mailbox: exactly the predicted DOWNs and EXITs. */
static void survivor_report(int i) {
  const plan_t *p = P;
  expect_t ex[MAXEXP];
  int nex = 0;
  beam_pid_t self = beam_self();
  for (int k = p->adj_off[i]; k < p->adj_off[i + 1]; k++) {
    int j = p->adj[k];
    if (!p->dies[j])
      continue;
    ASSERT_LT(nex + 2, MAXEXP);
    ex[nex++] = (expect_t){1, 0, p->pids[j], p->death[j]};
    if (p->trap[i])
      ex[nex++] = (expect_t){0, 0, p->pids[j], p->death[j]};
  }
  if (p->trap[i]) {
    for (int s = 0; s < p->nxs; s++)
      if (p->xs[s].target == i) {
        ASSERT_LT(nex, MAXEXP);
        ex[nex++] = (expect_t){0, 0, p->killers[p->xs[s].killer], p->xs[s].r};
      }
    if (p->act[i] == A_SIGSELF)
      ex[nex++] = (expect_t){0, 0, self, p->act_r[i]};
  }
  int got = 0;
  int64_t deadline = beam_monotonic_ms() + (int64_t) (20000 * tmult);
  for (int draining = 0;;) {
    beam_term_t m, from, reason, ref;
    int64_t left = deadline - beam_monotonic_ms();
    if (got == nex)
      draining = 1;
    int rc = beam_receive_any(draining ? 0 : (left > 0 ? left : 0), &m);
    if (rc == BEAM_ETIMEDOUT) {
      if (!draining) {
        for (int e = 0; e < nex; e++)
          if (!ex[e].seen) {
            char a[64], b[128];
            bad("worker %d (trap %d) never got %s from %s reason %s", i,
                p->trap[i], ex[e].down ? "DOWN" : "EXIT",
                show(ex[e].from, a, sizeof a),
                show(mk_reason(ex[e].r), b, sizeof b));
          }
      }
      break;
    }
    ASSERT_OK(rc);
    int down;
    if (beam_match(m, "{'EXIT', F, R}", &from, &reason) == 1)
      down = 0;
    else if (beam_match(m, "{'DOWN', Ref, process, F, R}", &ref, &from,
                        &reason) == 1)
      down = 1;
    else {
      char a[256];
      bad("worker %d: unexpected message %s", i, show(m, a, sizeof a));
      continue;
    }
    int e = 0, dup = 0;
    for (; e < nex; e++)
      if (ex[e].down == down && ex[e].from.raw == from.raw &&
          reason_is(reason, ex[e].r)) {
        if (!ex[e].seen)
          break;
        dup = 1;
      }
    if (e == nex) {
      char a[256];
      bad("worker %d (trap %d, act %d): %s %s", i, p->trap[i], p->act[i],
          dup ? "duplicate" : "unexpected", show(m, a, sizeof a));
      continue;
    }
    ex[e].seen = 1;
    got++;
    atomic_fetch_add(down ? &downs_ok : &exits_ok, 1);
  }
  /* Its own view: one link per surviving partner (L2: however often
  ** linked; L7: none to a ghost) and to the root if spawn-linked; no link
  ** to a dead partner (L10); one monitor per surviving partner. */
  beam_process_info_t info;
  ASSERT_OK(beam_process_info(self, &info));
  int nlinks = p->rootlink[i], nmon = 0;
  for (int k = p->adj_off[i]; k < p->adj_off[i + 1]; k++)
    if (!p->dies[p->adj[k]])
      nlinks++, nmon++;
  if (beam_list_length(info.links) != nlinks ||
      beam_list_length(info.monitors) != nmon)
    bad("worker %d: %" PRId64 " links and %" PRId64 " monitors, expected %d "
        "and %d",
        i, beam_list_length(info.links), beam_list_length(info.monitors),
        nlinks, nmon);
  for (beam_term_t l = info.links; beam_is_list(l) && !beam_match(l, "[]");
       l = beam_tl(l)) {
    int j = find_idx_in(p, i, beam_hd(l));
    if (beam_hd(l).raw != p->root.raw && (j < 0 || p->dies[j])) {
      char a[64];
      bad("worker %d: linked to %s", i, show(beam_hd(l), a, sizeof a));
    }
  }
  if (p->named[i] && (beam_whereis(name_of(i)).raw != self.raw ||
                      !beam_equal(info.registered_name, name_of(i))))
    bad("worker %d: lost its name", i);
  ASSERT_OK(beam_send(p->root, beam_fmt("{reported, ~i}", (int64_t) i)));
}

/* On 'stop': anything from the storm arriving this late is a duplicate;
** only teardown traffic ('normal' from surviving partners) may be here. */
static void survivor_stop(int i) {
  const plan_t *p = P;
  beam_term_t m, from, ref;
  while (beam_receive_any(0, &m) == 0) {
    int ok = 0;
    if (beam_match(m, "{'EXIT', F, normal}", &from) == 1 ||
        beam_match(m, "{'DOWN', Ref, process, F, normal}", &ref, &from) == 1) {
      int j = find_idx_in(p, i, from);
      ok = j >= 0 && !p->dies[j];
    }
    if (!ok) {
      char a[256];
      bad("worker %d: late %s", i, show(m, a, sizeof a));
    }
  }
  ASSERT_OK(beam_send(p->root, beam_fmt("{bye, ~i}", (int64_t) i)));
}

static void worker(beam_term_t arg) {
  int64_t i64;
  ASSERT_OK(beam_get_int(arg, &i64));
  int i = (int) i64;
  const plan_t *p = P;
  int trap = p->trap[i];
  if (trap)
    ASSERT_EQ(beam_trap_exit(1), 0);
  ASSERT_OK(beam_on_exit(exit_hook, (void *) (intptr_t) i));
  ASSERT_EQ(beam_receive(BEAM_INFINITY, "setup", NULL), 0);
  if (p->named[i]) {
    int rc = beam_register(name_of(i), beam_self());
    if (rc != 0) /* the last holder's name went before its DOWN (P8a) */
      bad("worker %d: register -> %s", i, beam_err_name(rc));
  }
  for (int k = p->lop_off[i]; k < p->lop_off[i + 1]; k++) {
    beam_pid_t o = p->pids[p->lop[k].other];
    int rc = beam_link(o);
    if (rc != 0)
      bad("worker %d: link -> %s", i, beam_err_name(rc));
    if (p->lop[k].op == L_TWICE && (rc = beam_link(o)) != 0) /* L2 */
      bad("worker %d: second link -> %s", i, beam_err_name(rc));
    if (p->lop[k].op == L_GHOST)
      ASSERT_OK(beam_unlink(o)); /* L7 */
  }
  for (int k = p->adj_off[i]; k < p->adj_off[i + 1]; k++)
    if (!beam_is_ref(beam_monitor(p->pids[p->adj[k]])))
      bad("worker %d: monitor failed", i);
  ASSERT_OK(beam_send(p->root, beam_fmt("{ready, ~i}", (int64_t) i)));
  for (;;) {
    switch (beam_receive(BEAM_INFINITY, "ping", "go", "report", "stop", NULL)) {
    case 0:
      ASSERT_OK(beam_send(p->root, beam_fmt("{pong, ~i}", (int64_t) i)));
      break;
    case 1:
      if (p->act[i] != A_SIGSELF || !trap || p->act_r[i].kind == R_KILL)
        ASSERT_OK(beam_send(p->root, beam_fmt("{last, ~i}", (int64_t) i)));
      switch (p->act[i]) {
      case A_RETURN:
        return;
      case A_EXIT:
        beam_exit(mk_reason(p->act_r[i]));
      case A_EXIT_DEEP:
        (void) exit_deep(p->depth[i], p->act_r[i]);
        break;
      case A_SEGV:
        atomic_fetch_add(&faults, 1);
        (void) segv_deep(p->depth[i], p->act_r[i].arg);
        bad("worker %d: survived a write to address %d", i, p->act_r[i].arg);
        break;
      case A_SIGSELF: {
        int rc = beam_exit_signal(beam_self(), mk_reason(p->act_r[i]));
        /* X11, X5, X7: only a trapping caller with no kill comes back. */
        if (!trap || p->act_r[i].kind == R_KILL)
          bad("worker %d: exit_signal(self) returned %d", i, rc);
        else if (rc != 0)
          bad("worker %d: exit_signal(self) -> %s", i, beam_err_name(rc));
        break;
      }
      default:
        bad("worker %d: go without an action", i);
      }
      break;
    case 2:
      survivor_report(i);
      break;
    case 3:
      survivor_stop(i);
      return;
    default:
      bad("worker %d: receive failed", i);
      return;
    }
  }
}

/* ---- Killers: exit signals from other processes (and schedulers) ---- */

static void killer(beam_term_t arg) {
  int64_t k;
  ASSERT_OK(beam_get_int(arg, &k));
  const plan_t *p = P;
  ASSERT_EQ(beam_receive(BEAM_INFINITY, "go", NULL), 0);
  beam_mark_t mark = beam_arena_mark();
  int sent = 0;
  for (int s = 0; s < p->nxs; s++) {
    if (p->xs[s].killer != k)
      continue;
    int rc = beam_exit_signal(p->pids[p->xs[s].target], mk_reason(p->xs[s].r));
    if (rc != 0)
      bad("killer %d: exit_signal -> %s", (int) k, beam_err_name(rc));
    beam_arena_release(mark);
    if (++sent % 8 == 0)
      beam_yield();
  }
  ASSERT_OK(beam_send(p->root, beam_fmt("{kdone, ~i}", k)));
}

/* ---- Watchers: many monitors, some flushed during the storm ---- */

typedef struct wslot {
  beam_term_t ref;
  int16_t target;
  uint8_t flush, byname, seen, flushed;
} wslot_t;

static void watcher(beam_term_t arg) {
  int64_t w;
  ASSERT_OK(beam_get_int(arg, &w));
  const plan_t *p = P;
  beam_pid_t root = p->root;
  int lo = p->wm_off[w], n = p->wm_off[w + 1] - lo;
  wslot_t *s = calloc((size_t) n + 1, sizeof *s);
  int hsize = 1;
  while (hsize < 2 * n)
    hsize <<= 1;
  int *h = malloc((size_t) hsize * sizeof *h);
  ASSERT(s && h);
  for (int k = 0; k < hsize; k++)
    h[k] = -1;
  /* Expected reasons, copied now: the plan is not read after {wdone}. */
  rsn_t *want = malloc((size_t) (n + 1) * sizeof *want);
  uint8_t *dies = malloc((size_t) n + 1);
  ASSERT(want && dies);
  for (int k = 0; k < n; k++) {
    int t = p->wm[lo + k].target;
    s[k].target = (int16_t) t;
    s[k].flush = p->wm[lo + k].flush;
    s[k].byname = p->wm[lo + k].byname;
    dies[k] = p->dies[t];
    want[k] = final_reason(p, t);
    /* N4: by name, the DOWN names {Name, Node}. */
    s[k].ref = beam_monitor(s[k].byname ? name_of(t) : p->pids[t]);
    ASSERT_TRUE(beam_is_ref(s[k].ref));
    int b = (int) (beam_hash(s[k].ref) & (uint64_t) (hsize - 1));
    while (h[b] >= 0)
      b = (b + 1) & (hsize - 1);
    h[b] = k;
  }
  ASSERT_OK(beam_send(root, beam_fmt("{wready, ~i}", w)));
  int go = 0, fin = 0, next_flush = 0, settled = 0, reported = 0;
  int64_t deadline = 0;
  beam_mark_t mark = beam_arena_mark();
  for (;;) {
    if (go && next_flush < n) { /* one demonitor between two receives */
      while (next_flush < n && !s[next_flush].flush)
        next_flush++;
      if (next_flush < n) {
        wslot_t *x = &s[next_flush++];
        if (x->seen) { /* N14: after the DOWN was consumed */
          int rc = beam_demonitor(x->ref, BEAM_DEMONITOR_INFO);
          if (rc != 0)
            bad("watcher %d: demonitor(info) after DOWN -> %d", (int) w, rc);
        } else { /* N10-N12, N15 */
          int rc = beam_demonitor(x->ref,
                                  BEAM_DEMONITOR_FLUSH | BEAM_DEMONITOR_INFO);
          if (rc < 0 || rc > 1 || (!dies[x - s] && rc != 1))
            bad("watcher %d: demonitor(flush, info) on worker %d (dies %d)"
                " -> %d",
                (int) w, x->target, dies[x - s], rc);
          x->flushed = 1;
          settled++;
        }
        continue;
      }
    }
    if (go && next_flush >= n && !reported) {
      reported = 1;
      ASSERT_OK(beam_send(root, beam_fmt("{wflushed, ~i}", w)));
    }
    if (fin && settled == n)
      break;
    int64_t left = fin ? deadline - beam_monotonic_ms() : BEAM_INFINITY;
    beam_term_t m, ref, pid, reason;
    int rc = beam_receive_any(fin ? (left > 0 ? left : 0) : BEAM_INFINITY, &m);
    if (rc == BEAM_ETIMEDOUT) {
      for (int k = 0, shown = 0; k < n && shown < 5; k++)
        if (!s[k].seen && !s[k].flushed) {
          bad("watcher %d: no DOWN for worker %d", (int) w, s[k].target);
          shown++;
        }
      break;
    }
    ASSERT_OK(rc);
    if (beam_is(m, "go")) {
      go = 1;
    } else if (beam_is(m, "finish")) {
      fin = 1;
      deadline = beam_monotonic_ms() + (int64_t) (20000 * tmult);
    } else if (beam_match(m, "{'DOWN', Ref, process, Pid, R}", &ref, &pid,
                          &reason) == 1) {
      int b = (int) (beam_hash(ref) & (uint64_t) (hsize - 1)), k;
      while ((k = h[b]) >= 0 && !beam_equal(s[k].ref, ref))
        b = (b + 1) & (hsize - 1);
      char a[256];
      if (k < 0)
        bad("watcher %d: DOWN with an unknown ref: %s", (int) w,
            show(m, a, sizeof a));
      else if (s[k].flushed)
        bad("watcher %d: DOWN after demonitor(flush): %s", (int) w,
            show(m, a, sizeof a));
      else if (s[k].seen)
        bad("watcher %d: second DOWN: %s", (int) w, show(m, a, sizeof a));
      else if (!reason_is(reason, want[k]) ||
               (s[k].byname ? beam_match(pid, "{~t, nonode@nohost}",
                                         name_of(s[k].target)) != 1
                            : pid.raw != p->pids[s[k].target].raw))
        bad("watcher %d: worker %d: %s", (int) w, s[k].target,
            show(m, a, sizeof a));
      else {
        s[k].seen = 1;
        settled++;
        atomic_fetch_add(&downs_ok, 1);
      }
    } else {
      char a[256];
      bad("watcher %d: unexpected %s", (int) w, show(m, a, sizeof a));
    }
    beam_arena_release(mark);
  }
  beam_term_t m;
  while (beam_receive_any(0, &m) == 0) {
    char a[256];
    bad("watcher %d: late %s", (int) w, show(m, a, sizeof a));
  }
  free(s);
  free(h);
  free(want);
  free(dies);
  ASSERT_OK(beam_send(root, beam_fmt("{wdone, ~i}", w)));
}

/* ---- The root: drives a batch and checks its own DOWNs and EXITs ---- */

typedef struct rstate {
  int64_t h[HSIZE]; /* pid raw -> index + 1, open addressing */
  uint64_t hk[HSIZE];
  beam_term_t ref[BATCH];
  uint8_t down[BATCH], exit_[BATCH], stopped[BATCH], last[BATCH];
  int ready, pong, reported, bye, wready, wflushed, wdone, kdone;
  int downs, exits, storm_downs;
} rstate_t;

static size_t hslot(uint64_t k) {
  return (size_t) ((k * 0x9e3779b97f4a7c15ull) >> 52) & (HSIZE - 1);
}

static void hput(rstate_t *st, beam_pid_t pid, int i) {
  size_t b = hslot(pid.raw);
  while (st->h[b])
    b = (b + 1) & (HSIZE - 1);
  st->h[b] = i + 1;
  st->hk[b] = pid.raw;
}

static int hget(const rstate_t *st, beam_pid_t pid) {
  for (size_t b = hslot(pid.raw); st->h[b]; b = (b + 1) & (HSIZE - 1))
    if (st->hk[b] == pid.raw)
      return (int) st->h[b] - 1;
  return -1;
}

#define FAILF(...)                                                             \
  do {                                                                         \
    TLOG("failure_stress: seed %llu (rerun with BEAM_STRESS_SEED=%llu), "      \
         "batch %d",                                                           \
         (unsigned long long) seed, (unsigned long long) seed, P->batch);      \
    BEAM__FAIL(__VA_ARGS__);                                                   \
  } while (0)

static void root_handle(rstate_t *st, beam_term_t m) {
  const plan_t *p = P;
  beam_term_t a, b, c;
  char s[256];
  if (beam_match(m, "{'DOWN', Ref, process, Pid, R}", &a, &b, &c) == 1) {
    int i = hget(st, b);
    if (i < 0) {
      bad("root: DOWN from a stranger %s", show(m, s, sizeof s));
      return;
    }
    rsn_t want = final_reason(p, i);
    if (st->down[i]++)
      bad("root: second DOWN for worker %d: %s", i, show(m, s, sizeof s));
    else if (!p->dies[i] && !st->stopped[i])
      bad("root: survivor %d (trap %d) died: %s", i, p->trap[i],
          show(m, s, sizeof s));
    else if (!beam_equal(a, st->ref[i]) || !reason_is(c, want))
      bad("root: worker %d (trap %d, act %d): %s", i, p->trap[i], p->act[i],
          show(m, s, sizeof s));
    else {
      atomic_fetch_add(&downs_ok, 1);
      /* P8: dead, name free and hooks run before anyone hears of it. */
      if (beam_is_alive(b) != 0)
        bad("root: worker %d alive after its DOWN", i);
      if (p->named[i] && !beam_is(beam_whereis(name_of(i)), "undefined"))
        bad("root: worker %d's name still taken after its DOWN", i);
      if (p->hooks[i] != 1)
        bad("root: worker %d's exit hook ran %d times", i, p->hooks[i]);
      /* A trapping initiator cannot be killed first: it said goodbye. */
      if (p->dies[i] && p->trap[i] && p->act[i] != A_NONE && !st->last[i])
        bad("root: worker %d's DOWN came before its last message (O6)", i);
    }
    st->downs++;
    if (p->dies[i]) {
      st->storm_downs++;
      deaths_by[p->death[i].kind]++;
    }
  } else if (beam_match(m, "{'EXIT', Pid, R}", &b, &c) == 1) {
    int i = hget(st, b);
    if (i < 0 || !p->rootlink[i]) {
      bad("root: EXIT from a stranger %s", show(m, s, sizeof s));
      return;
    }
    rsn_t want = final_reason(p, i);
    if (st->exit_[i]++)
      bad("root: second EXIT for worker %d: %s", i, show(m, s, sizeof s));
    else if (st->down[i])
      bad("root: worker %d: DOWN before EXIT", i); /* README: EXIT first */
    else if (!reason_is(c, want))
      bad("root: worker %d: %s", i, show(m, s, sizeof s));
    else
      atomic_fetch_add(&exits_ok, 1);
    st->exits++;
  } else if (beam_match(m, "{last, I}", &a) == 1) {
    int64_t i = -1;
    if (beam_get_int(a, &i) != 0 || i < 0 || i >= p->n)
      FAILF("root: bad %s", show(m, s, sizeof s));
    if (st->last[i]++ || st->down[i]) /* O6: messages before the DOWN */
      bad("root: worker %" PRId64 "'s last message after its DOWN", i);
  } else if (beam_match(m, "{ready, _}") == 1) {
    st->ready++;
  } else if (beam_match(m, "{pong, _}") == 1) {
    st->pong++;
  } else if (beam_match(m, "{reported, _}") == 1) {
    st->reported++;
  } else if (beam_match(m, "{bye, _}") == 1) {
    st->bye++;
  } else if (beam_match(m, "{wready, _}") == 1) {
    st->wready++;
  } else if (beam_match(m, "{wflushed, _}") == 1) {
    st->wflushed++;
  } else if (beam_match(m, "{wdone, _}") == 1) {
    st->wdone++;
  } else if (beam_match(m, "{kdone, _}") == 1) {
    st->kdone++;
  } else {
    bad("root: unexpected %s", show(m, s, sizeof s));
  }
}

/* Handle messages until 'cond' holds; fail after the phase's time. */
#define WAIT_UNTIL(st, cond, what)                                             \
  do {                                                                         \
    int64_t dl_ = beam_monotonic_ms() + (int64_t) (30000 * tmult);             \
    while (!(cond)) {                                                          \
      int64_t left_ = dl_ - beam_monotonic_ms();                               \
      beam_term_t m_;                                                          \
      beam_mark_t mk_ = beam_arena_mark();                                     \
      int rc_ = left_ > 0 ? beam_receive_any(left_, &m_) : BEAM_ETIMEDOUT;     \
      if (rc_ == BEAM_ETIMEDOUT) {                                             \
        root_missing(st);                                                      \
        FAILF("timed out waiting for %s", what);                               \
      }                                                                        \
      ASSERT_OK(rc_);                                                          \
      root_handle(st, m_);                                                     \
      beam_arena_release(mk_);                                                 \
    }                                                                          \
    if (atomic_load(&errors))                                                  \
      FAILF("%ld errors (see above) by the end of %s", atomic_load(&errors),   \
            what);                                                             \
  } while (0)

static void root_missing(const rstate_t *st) {
  const plan_t *p = P;
  TLOG("ready %d pong %d reported %d bye %d wready %d wflushed %d wdone %d "
       "kdone %d downs %d exits %d storm_downs %d",
       st->ready, st->pong, st->reported, st->bye, st->wready, st->wflushed,
       st->wdone, st->kdone, st->downs, st->exits, st->storm_downs);
  for (int i = 0, shown = 0; i < p->n && shown < 10; i++)
    if (p->dies[i] && !st->down[i]) {
      char a[128];
      TLOG("  worker %d (trap %d, act %d) should have died of %s; alive %d", i,
           p->trap[i], p->act[i], show(mk_reason(p->death[i]), a, sizeof a),
           beam_is_alive(p->pids[i]));
      shown++;
    }
}

static int total_procs;
/* beam_run returns 0 however the root ended: a root killed through one of
** its links (it traps exits, so only a runtime bug can) must not pass. */
static int completed;
static double elapsed_ms;
static long n_dying, n_trap_surv, n_links, n_xsig;

static void shuffle(beam_pid_t *a, int n) {
  for (int i = n - 1; i > 0; i--) {
    int j = rint_(i + 1);
    beam_pid_t t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

static void run_batch(rstate_t *st, int batch, int n, size_t base) {
  plan_t *p = P;
  plan_batch(batch, n);
  memset(st, 0, sizeof *st);
  beam_mark_t mark = beam_arena_mark();
  beam_pid_t self = beam_self();
  p->root = self;
  int nsurv = 0, ndie = 0, nlinked = 0;
  for (int i = 0; i < n; i++) {
    beam_spawn_opts_t o = {.flags = BEAM_SPAWN_MONITOR |
                                    (p->rootlink[i] ? BEAM_SPAWN_LINK : 0),
                           .monitor_ref = &st->ref[i]};
    ASSERT_OK(beam_spawn_opt(worker, beam_int(i), &o, &p->pids[i]));
    hput(st, p->pids[i], i);
    nsurv += !p->dies[i];
    ndie += p->dies[i];
    nlinked += p->rootlink[i];
    n_trap_surv += !p->dies[i] && p->trap[i];
  }
  n_dying += ndie;
  n_links += p->adj_off[n] / 2;
  n_xsig += p->nxs;
  for (int k = 0; k < NKILL; k++)
    ASSERT_OK(beam_spawn(killer, beam_int(k), &p->killers[k]));
  beam_pid_t watchers[NWATCH];
  /* The plan is complete (every pid known): release the setup. */
  for (int i = 0; i < n; i++)
    ASSERT_OK(beam_send(p->pids[i], beam_atom("setup")));
  WAIT_UNTIL(st, st->ready == n, "setup");
  for (int w = 0; w < NWATCH; w++) /* after the names are registered */
    ASSERT_OK(beam_spawn(watcher, beam_int(w), &watchers[w]));
  WAIT_UNTIL(st, st->wready == NWATCH, "watchers' monitors");
  /* Every worker handles what was queued before this ping. */
  for (int i = 0; i < n; i++)
    ASSERT_OK(beam_send(p->pids[i], beam_atom("ping")));
  WAIT_UNTIL(st, st->pong == n, "pings");
  if (st->downs || st->exits)
    FAILF("a worker ended before 'go'");
  /* The storm: 'go' to every actor at once, in a random order. */
  beam_pid_t gos[BATCH + NKILL + NWATCH];
  int ngo = 0;
  for (int i = 0; i < n; i++)
    if (p->act[i] != A_NONE)
      gos[ngo++] = p->pids[i];
  for (int k = 0; k < NKILL; k++)
    gos[ngo++] = p->killers[k];
  for (int w = 0; w < NWATCH; w++)
    gos[ngo++] = watchers[w];
  shuffle(gos, ngo);
  for (int g = 0; g < ngo; g++)
    ASSERT_OK(beam_send(gos[g], beam_atom("go")));
  WAIT_UNTIL(st,
             st->storm_downs == ndie && st->kdone == NKILL &&
                 st->wflushed == NWATCH,
             "the storm's deaths");
  /* No process outlives a linked crash unless it traps exits; survivors
  ** are alive. */
  for (int i = 0; i < n; i++)
    if (beam_is_alive(p->pids[i]) != !p->dies[i])
      bad("worker %d (trap %d, act %d, dies %d): is_alive %d", i, p->trap[i],
          p->act[i], p->dies[i], beam_is_alive(p->pids[i]));
  beam_process_info_t info;
  ASSERT_OK(beam_process_info(self, &info));
  int rl = 0;
  for (int i = 0; i < n; i++)
    rl += p->rootlink[i] && !p->dies[i];
  if (beam_list_length(info.links) != rl ||
      beam_list_length(info.monitors) != nsurv)
    bad("root: %" PRId64 " links, %" PRId64 " monitors; expected %d, %d",
        beam_list_length(info.links), beam_list_length(info.monitors), rl,
        nsurv);
  for (int i = 0; i < n; i++)
    if (!p->dies[i])
      ASSERT_OK(beam_send(p->pids[i], beam_atom("report")));
  WAIT_UNTIL(st, st->reported == nsurv, "survivor reports");
  for (int i = 0; i < n; i++)
    if (!p->dies[i]) {
      st->stopped[i] = 1;
      ASSERT_OK(beam_send(p->pids[i], beam_atom("stop")));
    }
  WAIT_UNTIL(st, st->bye == nsurv && st->downs == n && st->exits == nlinked,
             "survivors' ends");
  for (int w = 0; w < NWATCH; w++)
    ASSERT_OK(beam_send(watchers[w], beam_atom("finish")));
  WAIT_UNTIL(st, st->wdone == NWATCH, "watchers");
  for (int i = 0; i < n; i++) {
    ASSERT_EQ(st->down[i], 1);
    ASSERT_EQ(st->exit_[i], p->rootlink[i]);
    ASSERT_EQ(p->hooks[i], 1);
  }
  beam_term_t m;
  if (beam_receive_any(0, &m) == 0) {
    char a[256];
    FAILF("root: left over: %s", show(m, a, sizeof a));
  }
  beam_arena_release(mark);
  /* Killers and watchers end right after their last message. */
  int64_t dl = beam_monotonic_ms() + (int64_t) (10000 * tmult);
  while (beam_process_count() != base && beam_monotonic_ms() < dl)
    beam_sleep(1);
  if (beam_process_count() != base)
    FAILF("process_count %zu, expected %zu", beam_process_count(), base);
}

static void stress_main(beam_term_t arg) {
  (void) arg;
  ASSERT_EQ(beam_trap_exit(1), 0);
  size_t base = beam_process_count();
  rstate_t *st = malloc(sizeof *st);
  ASSERT(st != NULL);
  int batches = (total_procs + BATCH - 1) / BATCH;
  int64_t t0 = beam_monotonic_ms();
  for (int b = 0; b < batches; b++) {
    int n = total_procs - b * BATCH;
    run_batch(st, b, n > BATCH ? BATCH : n, base);
  }
  elapsed_ms = (double) (beam_monotonic_ms() - t0);
  free(st);
  ASSERT_EQ(beam_process_count(), base);
  completed = 1;
}

BEAM_TEST_T(failure_stress_L2_L8_N5_N15_X3_to_X14_random_graphs, 120) {
  const char *s = getenv("BEAM_STRESS_SEED");
  if (s && *s) {
    seed = strtoull(s, NULL, 0);
  } else {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    seed = ((uint64_t) ts.tv_sec * 1000000007ull) ^ (uint64_t) ts.tv_nsec ^
           ((uint64_t) getpid() << 32);
  }
  const char *m = getenv("BEAM_TEST_TIMEOUT_MULTIPLIER");
  if (m && atof(m) > 0)
    tmult = atof(m);
  total_procs = (int) (100000 * beam_test_scale());
#ifdef __SANITIZE_THREAD__
  /* TSan: a spawn costs ~0.5 ms (a fiber each): 5,000 take ~10 s. */
  if (total_procs > TSAN_PROCS)
    total_procs = TSAN_PROCS;
#endif
  const char *np = getenv("BEAM_STRESS_PROCS");
  if (np && atoi(np) > 0)
    total_procs = atoi(np);
  if (total_procs < 1)
    total_procs = 1;
  TLOG("failure_stress: seed %llu (BEAM_STRESS_SEED overrides), %d processes",
       (unsigned long long) seed, total_procs);
  P = calloc(1, sizeof *P);
  ASSERT(P != NULL);
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(stress_main, beam_nil(), &cfg));
  if (!completed)
    BEAM__FAIL("the root process ended early (seed %llu, rerun with "
               "BEAM_STRESS_SEED=%llu)",
               (unsigned long long) seed, (unsigned long long) seed);
  TLOG("%d workers in %.0f ms: %ld died in storms, %ld trapping survivors, "
       "%ld links, %ld exit signals; verified %ld DOWN and %ld EXIT "
       "messages",
       total_procs, elapsed_ms, n_dying, n_trap_surv, n_links, n_xsig,
       atomic_load(&downs_ok), atomic_load(&exits_ok));
  TLOG("storm deaths: normal %ld, kill %ld, killed %ld, exit %ld, shutdown "
       "%ld, crash %ld, crash+binary %ld, segv %ld (%ld faults raised)",
       deaths_by[R_NORMAL], deaths_by[R_KILL], deaths_by[R_KILLED],
       deaths_by[R_EXIT], deaths_by[R_SHUT], deaths_by[R_CRASH],
       deaths_by[R_BIG], deaths_by[R_SEGV], atomic_load(&faults));
  ASSERT_EQ(atomic_load(&errors), 0);
  free(P);
  P = NULL;
#ifdef __SANITIZE_ADDRESS__
  ASSERT_EQ(__lsan_do_recoverable_leak_check(), 0);
#endif
}
