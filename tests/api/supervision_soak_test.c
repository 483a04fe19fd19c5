/* SPDX-License-Identifier: MIT */
/*
** supervision_soak_test.c: a supervision tree under random crashes
** (issue 12). Three levels: a root supervisor, ten supervisors under it
** (one_for_one, rest_for_one, one_for_all in turn, and a fragile tenth),
** and a thousand named GenServer workers, a hundred under each.
**
** For a few seconds (60 in `make stress`) an injector crashes random
** workers of the first nine, by a crash inside the worker or a kill from
** outside, while clients call random workers by name. Then:
** - every call got its own worker's answer or one of the errors the rules
**   allow while a worker restarts: no such process (the name is free
**   between death and restart), or the worker's exit reason (boom, killed,
**   shutdown from a group restart); never a timeout or a wrong answer;
** - the tree heals: all thousand names registered, every supervisor has
**   its hundred children running;
** - each strategy restarts what it should (S7-S9), checked on a crash
**   after the soak;
** - the fragile supervisor (2 restarts allowed) gives up on the third
**   crash and the root starts it again (S15);
** - stopping the root leaves no process and no heap behind.
*/
#include "../harness/check.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define RUN(main_fn) RUN_TO_END((main_fn), 2)

enum { MIDS = 10, PER_MID = 100, WORKERS = MIDS * PER_MID, CLIENTS = 4 };
enum { FRAGILE = MIDS - 1 };

#ifdef BEAM_STRESS
#define SOAK_MS 60000
#else
#define SOAK_MS 3000
#endif

static int64_t int_of(beam_term_t t) {
  int64_t v = -1;
  beam_get_int(t, &v);
  return v;
}

static beam_term_t worker_name(int64_t i) {
  char name[32];
  snprintf(name, sizeof name, "soak_w%lld", (long long) i);
  return beam_atom(name);
}

static beam_term_t mid_name(int64_t m) {
  char name[32];
  snprintf(name, sizeof name, "soak_mid%lld", (long long) m);
  return beam_atom(name);
}

/* ---- Workers: state {Index, Calls} ---- */

static beam_term_t w_init(beam_term_t i) {
  return beam_fmt("{ok, {~t, 0}}", i);
}

static beam_term_t w_call(beam_term_t req, beam_term_t from, beam_term_t s) {
  (void) req;
  (void) from;
  beam_term_t i = beam_tuple_get(s, 0);
  return beam_fmt("{reply, ~t, {~t, ~i}}", i, i,
                  int_of(beam_tuple_get(s, 1)) + 1);
}

static beam_term_t w_cast(beam_term_t req, beam_term_t s) {
  (void) req; /* crash */
  return beam_fmt("{stop, boom, ~t}", s);
}

static const beam_gen_server_t worker = {
    .init = w_init, .handle_call = w_call, .handle_cast = w_cast};

static beam_term_t start_worker(beam_term_t i) {
  char name[32];
  snprintf(name, sizeof name, "soak_w%lld", (long long) int_of(i));
  return beam_gen_server_start_link(&worker, i,
                                    &(beam_gen_server_opts_t){.name = name});
}

/* ---- Supervisors ---- */

static beam_term_t start_mid(beam_term_t m) {
  int64_t mid = int_of(m);
  beam_child_spec_t *specs = calloc(PER_MID, sizeof *specs);
  if (specs == NULL)
    return beam_fmt("{error, enomem}");
  for (int k = 0; k < PER_MID; k++)
    specs[k] = (beam_child_spec_t){.id = beam_int(k),
                                   .start = start_worker,
                                   .arg = beam_int(mid * PER_MID + k)};
  char name[32];
  snprintf(name, sizeof name, "soak_mid%lld", (long long) mid);
  beam_supervisor_opts_t o = {.strategy = (int) (mid % 3),
                              .max_restarts = 1000000,
                              .max_seconds = 1,
                              .name = name};
  if (mid == FRAGILE)
    o = (beam_supervisor_opts_t){
        .max_restarts = 2, .max_seconds = 3600, .name = name};
  beam_term_t r = beam_supervisor_start_link(specs, PER_MID, &o);
  free(specs);
  return r;
}

static beam_term_t start_root(void) {
  beam_child_spec_t specs[MIDS];
  for (int m = 0; m < MIDS; m++)
    specs[m] = (beam_child_spec_t){.id = beam_int(m),
                                   .start = start_mid,
                                   .arg = beam_int(m),
                                   .type = BEAM_SUPERVISOR};
  beam_supervisor_opts_t o = {.max_restarts = 1000000, .max_seconds = 1};
  return beam_supervisor_start_link(specs, MIDS, &o);
}

/* ---- Load ---- */

static uint64_t next_rand(uint64_t *x) {
  *x = *x * 6364136223846793005ull + 1442695040888963407ull;
  return *x >> 33;
}

/* arg {Root, Seed, DeadlineMs}: crash random workers of the robust nine
** until the deadline, then tell the root how many. */
static void injector(beam_term_t arg) {
  beam_pid_t root = beam_tuple_get(arg, 0);
  uint64_t x = (uint64_t) int_of(beam_tuple_get(arg, 1));
  int64_t deadline = int_of(beam_tuple_get(arg, 2)), crashes = 0;
  int64_t pause = (int64_t) (2 / beam_test_scale());
  while (beam_monotonic_ms() < deadline) {
    beam_term_t name = worker_name((int64_t) (next_rand(&x) % (FRAGILE * PER_MID)));
    beam_pid_t pid = beam_whereis(name);
    if (beam_is_pid(pid)) {
      if (next_rand(&x) % 2)
        beam_gen_server_cast(pid, beam_atom("crash"));
      else
        beam_exit_signal(pid, beam_atom("kill"));
      crashes++;
    }
    beam_sleep(pause);
  }
  beam_send(root, beam_fmt("{injected, ~i}", crashes));
}

/* arg {Root, Seed, DeadlineMs}: call random workers by name; tell the root
** {calls, Ok, NoProc, Exited, Bad}. */
static void client(beam_term_t arg) {
  beam_pid_t root = beam_tuple_get(arg, 0);
  uint64_t x = (uint64_t) int_of(beam_tuple_get(arg, 1));
  int64_t deadline = int_of(beam_tuple_get(arg, 2));
  int64_t ok = 0, noproc = 0, exited = 0, bad = 0;
  while (beam_monotonic_ms() < deadline) {
    int64_t i = (int64_t) (next_rand(&x) % WORKERS);
    beam_term_t reply;
    int rc = beam_gen_server_call_result(worker_name(i), beam_atom("get"),
                                         5000, &reply);
    if (rc == 0 && int_of(reply) == i)
      ok++;
    else if (rc == BEAM_ENOPROC)
      noproc++;
    else if (rc == BEAM_EEXITED &&
             (beam_is(reply, "boom") || beam_is(reply, "killed") ||
              beam_is(reply, "shutdown")))
      exited++;
    else
      bad++;
  }
  beam_send(root, beam_fmt("{calls, ~i, ~i, ~i, ~i}", ok, noproc, exited, bad));
}

/* ---- Checks ---- */

static bool mid_healthy(int64_t m) {
  beam_pid_t sup = beam_whereis(mid_name(m));
  if (!beam_is_pid(sup))
    return false;
  beam_term_t counts = beam_supervisor_count_children(sup), active;
  if (beam_map_get(counts, beam_atom("active"), &active) != 1 ||
      int_of(active) != PER_MID)
    return false;
  for (int k = 0; k < PER_MID; k++)
    if (!beam_is_pid(beam_whereis(worker_name(m * PER_MID + k))))
      return false;
  return true;
}

static void await_healthy(void) {
  int64_t until = beam_monotonic_ms() + 20000;
  for (int64_t m = 0; m < MIDS; m++) {
    while (!mid_healthy(m)) {
      ASSERT_LT(beam_monotonic_ms(), until);
      beam_sleep(10);
    }
  }
}

/* The pids of mid 'm''s workers, by position, into 'out'. */
static void snapshot(int64_t m, beam_term_t *out) {
  for (int k = 0; k < PER_MID; k++)
    out[k] = beam_whereis(worker_name(m * PER_MID + k));
}

/* Crash worker 50 of mid 'm' and check what its strategy restarted. */
static void check_strategy(int64_t m) {
  beam_term_t before[PER_MID], after[PER_MID];
  snapshot(m, before);
  ASSERT_OK(beam_gen_server_cast(before[50], beam_atom("crash")));
  int64_t until = beam_monotonic_ms() + 10000;
  do {
    ASSERT_LT(beam_monotonic_ms(), until);
    beam_sleep(5);
    snapshot(m, after);
  } while (!beam_is_pid(after[50]) || beam_equal(after[50], before[50]) ||
           !mid_healthy(m));
  for (int k = 0; k < PER_MID; k++) {
    bool moved = !beam_equal(before[k], after[k]);
    bool should = m % 3 == BEAM_ONE_FOR_ONE    ? k == 50
                  : m % 3 == BEAM_REST_FOR_ONE ? k >= 50
                                               : true;
    if (moved != should)
      TLOG("mid %lld strategy %lld: worker %d moved=%d", (long long) m,
           (long long) (m % 3), k, moved);
    ASSERT_EQ(moved, should);
  }
}

/* Crash fragile's first worker and wait for it to come back, or for the
** fragile supervisor itself to be replaced. */
static void crash_fragile(beam_pid_t sup_before, bool expect_new_sup) {
  beam_term_t w = beam_whereis(worker_name(FRAGILE * PER_MID));
  ASSERT_OK(beam_gen_server_cast(w, beam_atom("crash")));
  int64_t until = beam_monotonic_ms() + 10000;
  for (;;) {
    ASSERT_LT(beam_monotonic_ms(), until);
    beam_sleep(5);
    beam_pid_t sup = beam_whereis(mid_name(FRAGILE));
    beam_term_t now = beam_whereis(worker_name(FRAGILE * PER_MID));
    if (!beam_is_pid(sup) || !beam_is_pid(now) || beam_equal(now, w) ||
        !mid_healthy(FRAGILE))
      continue;
    ASSERT_EQ(!beam_equal(sup, sup_before), expect_new_sup);
    return;
  }
}

static void soak_main(beam_term_t arg) {
  (void) arg;
  beam_trap_exit(1);
  size_t procs_before = beam_process_count();
  beam_term_t r = start_root(), root;
  ASSERT_EQ(beam_match(r, "{ok, P}", &root), 1);
  await_healthy();
  ASSERT_EQ(beam_process_count(), procs_before + 1 + MIDS + WORKERS);

  int64_t deadline = beam_monotonic_ms() + SOAK_MS;
  beam_pid_t p;
  ASSERT_OK(beam_spawn(injector, beam_fmt("{~t, 12345, ~i}", beam_self(),
                                          deadline),
                       &p));
  for (int c = 0; c < CLIENTS; c++)
    ASSERT_OK(beam_spawn(client,
                         beam_fmt("{~t, ~i, ~i}", beam_self(),
                                  (int64_t) (c + 1) * 7919, deadline),
                         &p));
  beam_term_t n;
  ASSERT_OK(beam_receive(SOAK_MS + 30000, "{injected, N}", &n, NULL));
  int64_t crashes = int_of(n), ok = 0, noproc = 0, exited = 0, bad = 0;
  for (int c = 0; c < CLIENTS; c++) {
    beam_term_t a, b, e, x;
    ASSERT_OK(beam_receive(30000, "{calls, A, B, E, X}", &a, &b, &e, &x, NULL));
    ok += int_of(a);
    noproc += int_of(b);
    exited += int_of(e);
    bad += int_of(x);
  }
  TLOG("soak %d ms: %lld crashes; calls: %lld ok, %lld noproc, %lld exited, "
       "%lld bad",
       SOAK_MS, (long long) crashes, (long long) ok, (long long) noproc,
       (long long) exited, (long long) bad);
  ASSERT_GT(crashes, 0);
  ASSERT_GT(ok, 0);
  ASSERT_EQ(bad, 0);

  await_healthy();
  for (int64_t m = 0; m < 3; m++)
    check_strategy(m);

  beam_pid_t fragile = beam_whereis(mid_name(FRAGILE));
  crash_fragile(fragile, false);
  crash_fragile(fragile, false);
  crash_fragile(fragile, true); /* the third: it gives up, root restarts it */
  await_healthy();

  beam_memory_t before_stop;
  ASSERT_OK(beam_memory(&before_stop));
  ASSERT_OK(beam_supervisor_stop(root, beam_atom("normal"), BEAM_INFINITY));
  ASSERT_OK(beam_receive(5000, "{'EXIT', ~t, normal}", root, NULL));
  int64_t until = beam_monotonic_ms() + 5000;
  while (beam_process_count() != procs_before) {
    ASSERT_LT(beam_monotonic_ms(), until);
    beam_sleep(10);
  }
  for (int64_t i = 0; i < WORKERS; i += 97)
    ASSERT_FALSE(beam_is_pid(beam_whereis(worker_name(i))));
  beam_memory_t after;
  ASSERT_OK(beam_memory(&after));
  ASSERT_EQ(after.process_count, procs_before);
  ASSERT_LT(after.heaps, before_stop.heaps); /* the tree's heaps went */
  reached = 1;
}

BEAM_TEST_T(supervision_soak_tree_of_1000_workers, 300) {
  beam_set_crash_reporter(NULL, NULL); /* thousands of GenServer reports */
  RUN(soak_main);
  beam_set_crash_reporter(NULL, NULL);
}
