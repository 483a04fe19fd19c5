/* SPDX-License-Identifier: MIT */
/* idle_test.c: idle processes give their memory back (issue 11, item 3).
** A process that waits for long has its stack saved and its pages
** released; it must wake for everything a waiting process wakes for (a
** message, a signal, its timeout) with every word of its stack as it was,
** at the same addresses. beam_hibernate discards the stack and restarts
** the process in a function of its state when a message comes. beam_memory
** counts both. */
#include "../harness/check.h"

#include <string.h>

/* The tests freeze after 100 ms of waiting (beam_config_t.idle_stack_ms;
** idle.c: 100-200 ms), so FROZEN_MS is long enough for any; one test
** keeps the default (500-600 ms). */
#define IDLE_MS 100
#define FROZEN_MS 450
#define DEFAULT_FROZEN_MS 900

static int64_t int_of(beam_term_t t) {
  int64_t v = -1;
  ASSERT_OK(beam_get_int(t, &v));
  return v;
}

static beam_memory_t memory(void) {
  beam_memory_t m;
  ASSERT_OK(beam_memory(&m));
  return m;
}

static void forever_waiter(beam_term_t arg) {
  (void) arg;
  beam_receive(BEAM_INFINITY, "never", NULL);
}

/* ---- A frozen stack comes back word for word ---- */

static uint64_t sum_of(const volatile uint64_t *v, int n) {
  uint64_t s = 0;
  for (int i = 0; i < n; i++)
    s = s * 31 + v[i]; /* order matters: a word moved is caught too */
  return s;
}

static void deep_waiter(beam_term_t arg) {
  beam_pid_t parent = beam_tuple_get(arg, 0);
  /* Words of all kinds on the stack across the wait, zeros among them,
  ** and a pointer into the stack itself (what a receive's '&from' is). */
  volatile uint64_t words[64];
  for (int i = 0; i < 64; i++)
    words[i] = i % 3 == 0 ? 0 : UINT64_C(0x9e3779b97f4a7c15) * (uint64_t) i;
  volatile uint64_t *self_ptr = &words[17];
  uint64_t before = sum_of(words, 64);
  ASSERT_OK(beam_send(parent, beam_tuple(2, beam_atom("ready"), beam_self())));
  beam_term_t n;
  ASSERT_EQ(beam_receive(BEAM_INFINITY, "{go, N}", &n, NULL), 0);
  ASSERT_EQ(sum_of(words, 64), before);
  ASSERT(self_ptr == &words[17]);
  ASSERT_EQ(*self_ptr, UINT64_C(0x9e3779b97f4a7c15) * 17);
  ASSERT_OK(beam_send(parent, beam_tuple(2, beam_atom("intact"), n)));
}

static void frozen_main(beam_term_t arg) {
  size_t idle0 = memory().idle_processes;
  beam_pid_t w;
  ASSERT_OK(beam_spawn(deep_waiter, beam_tuple(1, beam_self()), &w));
  ASSERT_OK(beam_receive(BEAM_INFINITY, "{ready, _}", NULL));
  ASSERT_OK(beam_sleep(int_of(arg)));
  beam_memory_t m = memory();
  TLOG("idle processes %zu, saved stacks %zu bytes", m.idle_processes,
       m.stacks_saved);
  ASSERT_GE(m.idle_processes, idle0 + 1);
  ASSERT_GT(m.stacks_saved, 0);
  ASSERT_OK(beam_send(w, beam_tuple(2, beam_atom("go"), beam_int(7))));
  beam_term_t n;
  ASSERT_EQ(beam_receive(5000, "{intact, N}", &n, NULL), 0);
  ASSERT_TERM_EQ(n, beam_int(7));
}

BEAM_TEST_T(idle_frozen_stack_comes_back_intact, 60) {
  beam_config_t cfg = {.schedulers = 2, .idle_stack_ms = IDLE_MS};
  ASSERT_RAN(beam_run(frozen_main, beam_int(FROZEN_MS), &cfg));
}

BEAM_TEST_T(idle_frozen_after_the_default_wait, 60) {
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(frozen_main, beam_int(DEFAULT_FROZEN_MS), &cfg));
}

static void never_main(beam_term_t arg) {
  (void) arg;
  size_t idle0 = memory().idle_processes;
  beam_pid_t w;
  ASSERT_OK(beam_spawn(forever_waiter, beam_nil(), &w));
  ASSERT_OK(beam_sleep(FROZEN_MS));
  ASSERT_EQ(memory().idle_processes, idle0);
  ASSERT_OK(beam_exit_signal(w, beam_atom("kill")));
}

BEAM_TEST_T(idle_stack_ms_infinity_never_freezes, 60) {
  beam_config_t bad = {.idle_stack_ms = -2};
  ASSERT_ERR(beam_run(never_main, beam_nil(), &bad), BEAM_EINVAL);
  beam_config_t cfg = {.schedulers = 2, .idle_stack_ms = BEAM_INFINITY};
  ASSERT_RAN(beam_run(never_main, beam_nil(), &cfg));
}

/* ---- Everything that wakes a waiting process wakes a frozen one ---- */

static void timed_waiter(beam_term_t arg) {
  beam_pid_t parent = beam_tuple_get(arg, 0);
  int64_t t0 = beam_monotonic_ms();
  ASSERT_ERR(beam_receive(FROZEN_MS + 300, "never", NULL), BEAM_ETIMEDOUT);
  int64_t waited = beam_monotonic_ms() - t0;
  ASSERT_GE(waited, FROZEN_MS + 300);
  ASSERT_OK(beam_send(parent, beam_tuple(2, beam_atom("timed_out"),
                                         beam_int(waited))));
}

static void sleeper(beam_term_t arg) {
  beam_pid_t parent = beam_tuple_get(arg, 0);
  ASSERT_OK(beam_sleep(FROZEN_MS + 300));
  ASSERT_OK(beam_send(parent, beam_atom("slept")));
}


static void wake_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t t, s, k;
  ASSERT_OK(beam_spawn(timed_waiter, beam_tuple(1, beam_self()), &t));
  ASSERT_OK(beam_spawn(sleeper, beam_tuple(1, beam_self()), &s));
  ASSERT_OK(beam_spawn(forever_waiter, beam_nil(), &k));
  beam_term_t mon = beam_monitor(k);
  ASSERT_OK(beam_sleep(FROZEN_MS));
  ASSERT_GE(memory().idle_processes, 3);
  /* A signal: kill ends the frozen one, and the monitor says so. */
  ASSERT_OK(beam_exit_signal(k, beam_atom("kill")));
  beam_term_t reason;
  ASSERT_EQ(beam_receive(5000, "{'DOWN', ~t, process, _, R}", mon, &reason,
                         NULL),
            0);
  ASSERT_TERM_EQ(reason, beam_atom("killed"));
  /* Its own deadline, in receive and in sleep. */
  beam_term_t waited;
  ASSERT_EQ(beam_receive(5000, "{timed_out, W}", &waited, NULL), 0);
  TLOG("timed out after %" PRId64 " ms", int_of(waited));
  ASSERT_OK(beam_receive(5000, "slept", NULL));
}

BEAM_TEST_T(idle_frozen_process_wakes_for_signal_and_deadline, 60) {
  beam_config_t cfg = {.schedulers = 2, .idle_stack_ms = IDLE_MS};
  ASSERT_RAN(beam_run(wake_main, beam_nil(), &cfg));
}

/* ---- Many at once, and all gone afterwards ---- */

static void counter(beam_term_t arg) {
  beam_pid_t parent = beam_tuple_get(arg, 0);
  beam_term_t n;
  while (beam_receive(BEAM_INFINITY, "{add, N}", &n, NULL) == 0) {
    beam_mark_t mk = beam_arena_mark();
    ASSERT_OK(beam_send(parent, beam_tuple(2, beam_atom("added"), n)));
    beam_arena_release(mk);
  }
}

static void many_main(beam_term_t arg) {
  (void) arg;
#ifdef __SANITIZE_THREAD__
  enum { N = 1000 }; /* TSan: a fiber per process */
#else
  enum { N = 20000 };
#endif
  beam_memory_t m0 = memory();
  beam_pid_t *pids = malloc(N * sizeof *pids);
  ASSERT(pids != NULL);
  for (int i = 0; i < N; i++)
    ASSERT_OK(beam_spawn(counter, beam_tuple(1, beam_self()), &pids[i]));
  ASSERT_OK(beam_sleep(FROZEN_MS));
  beam_memory_t m1 = memory();
  TLOG("%d processes: %zu idle, saved stacks %zu B each, total %zu B each",
       N, m1.idle_processes - m0.idle_processes,
       (m1.stacks_saved - m0.stacks_saved) / N,
       (m1.total - m0.total) / N);
  ASSERT_GE(m1.idle_processes, m0.idle_processes + N);
  ASSERT_EQ(m1.process_count, m0.process_count + N);
  /* Each wakes twice: once from frozen, once more after freezing again. */
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < N; i++)
      ASSERT_OK(beam_send(pids[i], beam_tuple(2, beam_atom("add"),
                                              beam_int(i))));
    int64_t sum = 0;
    for (int i = 0; i < N; i++) {
      beam_term_t n;
      ASSERT_EQ(beam_receive(10000, "{added, N}", &n, NULL), 0);
      sum += int_of(n);
    }
    ASSERT_EQ(sum, (int64_t) N * (N - 1) / 2);
    if (round == 0)
      ASSERT_OK(beam_sleep(FROZEN_MS));
  }
  for (int i = 0; i < N; i++)
    ASSERT_OK(beam_exit_signal(pids[i], beam_atom("kill")));
  while (beam_process_count() != m0.process_count)
    ASSERT_OK(beam_sleep(1));
  beam_memory_t m2 = memory();
  ASSERT_EQ(m2.idle_processes, m0.idle_processes);
  ASSERT_EQ(m2.stacks_saved, m0.stacks_saved);
  free(pids);
}

BEAM_TEST_T(idle_many_frozen_then_woken_then_gone, 120) {
  beam_config_t cfg = {.schedulers = 2, .idle_stack_ms = IDLE_MS};
  ASSERT_RAN(beam_run(many_main, beam_nil(), &cfg));
}

/* ---- beam_hibernate ---- */

static void hibernating(beam_term_t state);

/* Each wake: take one message, count it in the state, hibernate again. */
static void hibernating(beam_term_t state) {
  beam_pid_t parent = beam_tuple_get(state, 0);
  int64_t count = int_of(beam_tuple_get(state, 1));
  beam_term_t blob = beam_tuple_get(state, 2);
  beam_term_t msg;
  ASSERT_EQ(beam_receive_any(0, &msg), 0); /* a message woke it */
  if (beam_is(msg, "stop")) {
    ASSERT_OK(beam_send(parent, beam_tuple(3, beam_atom("count"),
                                           beam_int(count), blob)));
    return;
  }
  /* Garbage that hibernation must throw away. */
  for (int i = 0; i < 100; i++)
    (void) beam_tuple(2, beam_int(i), beam_string("garbage"));
  beam_hibernate(hibernating, beam_tuple(3, parent, beam_int(count + 1), blob));
}

static void hibernate_start(beam_term_t arg) {
  beam_hibernate(hibernating, beam_tuple(3, beam_tuple_get(arg, 0),
                                         beam_int(0),
                                         beam_tuple_get(arg, 1)));
}

static void hibernate_main(beam_term_t arg) {
  (void) arg;
  char bytes[300];
  memset(bytes, 'h', sizeof bytes);
  beam_term_t blob = beam_list(2, beam_binary(bytes, sizeof bytes),
                               beam_string("state"));
  beam_pid_t h;
  size_t idle0 = memory().idle_processes;
  ASSERT_OK(beam_spawn(hibernate_start, beam_tuple(2, beam_self(), blob), &h));
  /* Signals do not end hibernation: process_info, a monitor, a link. */
  ASSERT_OK(beam_sleep(50));
  ASSERT_GE(memory().idle_processes, idle0 + 1); /* its stack is gone */
  beam_process_info_t info;
  ASSERT_OK(beam_process_info(h, &info));
  ASSERT_LT(info.heap_bytes, 4096); /* the state only */
  beam_term_t mon = beam_monitor(h);
  ASSERT_OK(beam_link(h));
  ASSERT_OK(beam_unlink(h));
  enum { WAKES = 300 };
  for (int i = 0; i < WAKES; i++) {
    ASSERT_OK(beam_send(h, beam_atom("tick")));
    if (i % 50 == 0)
      ASSERT_OK(beam_sleep(1)); /* let some wakes find an empty queue */
  }
  ASSERT_OK(beam_send(h, beam_atom("stop")));
  beam_term_t count, back;
  ASSERT_EQ(beam_receive(10000, "{count, C, B}", &count, &back, NULL), 0);
  ASSERT_TERM_EQ(count, beam_int(WAKES)); /* one call of fn per message */
  ASSERT_TERM_EQ(back, blob);
  beam_term_t reason;
  ASSERT_EQ(beam_receive(5000, "{'DOWN', ~t, process, _, R}", mon, &reason,
                         NULL),
            0);
  ASSERT_TERM_EQ(reason, beam_atom("normal"));
}

BEAM_TEST_T(hibernate_wakes_per_message_with_its_state, 60) {
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(hibernate_main, beam_nil(), &cfg));
}

static void queued_wake(beam_term_t parent) {
  ASSERT_OK(beam_send(parent, beam_atom("woke")));
}

static void hibernate_queued(beam_term_t parent) {
  ASSERT_OK(beam_send(beam_self(), beam_atom("already_here")));
  beam_hibernate(queued_wake, parent); /* returns at once: a message waits */
}

static void null_fn(beam_term_t arg) {
  (void) arg;
  beam_hibernate(NULL, beam_nil());
}

static void hibernate_edges_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  ASSERT_OK(beam_spawn(hibernate_queued, beam_self(), &p));
  ASSERT_OK(beam_receive(5000, "woke", NULL));
  beam_term_t ref;
  ASSERT_OK(beam_spawn_monitor(null_fn, beam_nil(), &p, &ref));
  beam_term_t reason;
  ASSERT_EQ(beam_receive(5000, "{'DOWN', ~t, process, _, R}", ref, &reason,
                         NULL),
            0);
  ASSERT_TERM_EQ(reason, beam_atom("badarg"));
}

BEAM_TEST_T(hibernate_queued_message_and_bad_function, 60) {
  ASSERT_RAN(beam_run(hibernate_edges_main, beam_nil(), NULL));
}

/* ---- beam_memory ---- */

static void holder(beam_term_t arg) {
  (void) arg;
  beam_term_t big = beam_nil();
  for (int i = 0; i < 20000; i++)
    big = beam_cons(beam_tuple(2, beam_int(i), beam_int(-i)), big);
  char *bytes = malloc(100000);
  ASSERT(bytes != NULL);
  memset(bytes, 'x', 100000);
  beam_term_t bin = beam_binary(bytes, 100000);
  free(bytes);
  ASSERT_OK(beam_receive(BEAM_INFINITY, "stop", NULL));
  ASSERT(beam_is_list(big) && beam_is_binary(bin));
}

static void memory_main(beam_term_t arg) {
  (void) arg;
  ASSERT_ERR(beam_memory(NULL), BEAM_EINVAL);
  beam_memory_t m0 = memory();
  ASSERT_EQ(m0.total, m0.processes + m0.binaries + m0.atoms);
  ASSERT_EQ(m0.processes, m0.descriptors + m0.heaps + m0.stacks);
  beam_pid_t h;
  ASSERT_OK(beam_spawn(holder, beam_nil(), &h));
  ASSERT_OK(beam_sleep(50));
  beam_memory_t m1 = memory();
  TLOG("holder: heaps +%zu, binaries +%zu", m1.heaps - m0.heaps,
       m1.binaries - m0.binaries);
  ASSERT_GE(m1.heaps, m0.heaps + 20000 * 5 * 8); /* cons + 2-tuple */
  ASSERT_GE(m1.binaries, m0.binaries + 100000);
  ASSERT_EQ(m1.process_count, m0.process_count + 1);
  beam_term_t mon = beam_monitor(h);
  ASSERT_OK(beam_send(h, beam_atom("stop")));
  ASSERT_OK(beam_receive(5000, "{'DOWN', ~t, process, _, _}", mon, NULL));
  while (beam_process_count() != m0.process_count)
    ASSERT_OK(beam_sleep(1));
  beam_memory_t m2 = memory();
  ASSERT_LT(m2.heaps, m0.heaps + 20000 * 5 * 8);
  ASSERT_EQ(m2.binaries, m0.binaries);
  size_t atoms0 = m2.atoms;
  char name[32];
  for (int i = 0; i < 1000; i++) {
    snprintf(name, sizeof name, "idle_test_atom_%d", i);
    (void) beam_atom(name);
  }
  ASSERT_GT(memory().atoms, atoms0 + 1000 * 16);
}

BEAM_TEST_T(memory_counts_heaps_binaries_atoms, 60) {
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(memory_main, beam_nil(), &cfg));
}

/* ---- Regressions found in review ---- */

static void wake_reporter(beam_term_t parent) {
  beam_term_t m;
  ASSERT_OK(beam_receive_any(0, &m));
  ASSERT_OK(beam_send(parent, beam_atom("woke")));
}

/* A process listed by an earlier wait, then hibernated: the idle pass
** must not "freeze" its discarded stack (it restored zeros and jumped to
** address 0). */
static void waits_then_hibernates(beam_term_t parent) {
  ASSERT_OK(beam_receive(BEAM_INFINITY, "go", NULL));
  beam_hibernate(wake_reporter, parent);
}

static void listed_then_hibernated_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t w;
  ASSERT_OK(beam_spawn(waits_then_hibernates, beam_self(), &w));
  ASSERT_OK(beam_sleep(20));
  ASSERT_OK(beam_send(w, beam_atom("go")));
  ASSERT_OK(beam_sleep(FROZEN_MS)); /* passes have looked at it since */
  ASSERT_OK(beam_send(w, beam_atom("tick")));
  ASSERT_OK(beam_receive(5000, "woke", NULL));
}

BEAM_TEST_T(idle_a_listed_process_that_hibernates_wakes_in_its_function, 60) {
  beam_config_t cfg = {.schedulers = 2, .idle_stack_ms = IDLE_MS};
  ASSERT_RAN(beam_run(listed_then_hibernated_main, beam_nil(), &cfg));
}

/* A hibernation whose stack release waits in a batch of a scheduler that
** then runs a plain C loop still wakes at once (on a spare). */
static void hibernates(beam_term_t parent) {
  beam_hibernate(wake_reporter, parent);
}

static void spins(beam_term_t arg) {
  int64_t t0 = beam_monotonic_ms(), ms = 0;
  beam_get_int(arg, &ms);
  while (beam_monotonic_ms() - t0 < ms) /* no yield: the scheduler is stuck */
    ;
}

static void stuck_batch_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t h, l;
  ASSERT_OK(beam_spawn(hibernates, beam_self(), &h));
  ASSERT_OK(beam_spawn(spins, beam_int(1500), &l));
  ASSERT_OK(beam_sleep(300)); /* a spare runs us meanwhile */
  int64_t t0 = beam_monotonic_ms();
  ASSERT_OK(beam_send(h, beam_atom("wake")));
  ASSERT_OK(beam_receive(1000, "woke", NULL)); /* before the loop ends */
  TLOG("woke after %" PRId64 " ms", beam_monotonic_ms() - t0);
  ASSERT_OK(beam_exit_signal(l, beam_atom("kill")));
}

BEAM_TEST_T(hibernate_wakes_while_its_scheduler_is_stuck, 60) {
  beam_config_t cfg = {.schedulers = 1};
  ASSERT_RAN(beam_run(stuck_batch_main, beam_nil(), &cfg));
}

/* The idle clock restarts with each run. */
BEAM_TEST_T(idle_freezes_in_a_second_run_too, 60) {
  beam_config_t cfg = {.schedulers = 2, .idle_stack_ms = IDLE_MS};
  ASSERT_RAN(beam_run(frozen_main, beam_int(FROZEN_MS), &cfg));
  ASSERT_RAN(beam_run(frozen_main, beam_int(FROZEN_MS), &cfg));
}

/* A timeout of years does not wrap around into an early freeze. */
BEAM_TEST_T(idle_stack_ms_of_years_does_not_wrap, 60) {
  beam_config_t cfg = {.schedulers = 2, .idle_stack_ms = 429496729600};
  ASSERT_RAN(beam_run(never_main, beam_nil(), &cfg));
  cfg.idle_stack_ms = INT64_MAX;
  ASSERT_RAN(beam_run(never_main, beam_nil(), &cfg));
}
