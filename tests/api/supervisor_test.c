/* SPDX-License-Identifier: MIT */
/*
** supervisor_test.c: Supervisor and DynamicSupervisor (include/cbeam/otp.h),
** one test per rule of docs/semantics.md §12, named by its id (S1-S22).
**
** The children are one test GenServer, 'worker', that traps exits and tells
** the root of each start and stop: "start b", "stop b boom". The root
** traps exits too, so that a supervisor giving up does not take it along,
** and reads those events in order: the order of starts and stops is most of
** what the rules say.
*/
#include "../harness/check.h"

#include <stdatomic.h>
#include <string.h>

#define RUN(main_fn) RUN_TO_END((main_fn), 2)

static beam_pid_t logger;    /* the root: where workers tell of events */
static atomic_int starts;    /* worker starts, for S17 */
static int fail_after = 1000; /* starts beyond this many fail (S17) */

static int64_t int_of(beam_term_t t) {
  int64_t v = -1;
  beam_get_int(t, &v);
  return v;
}

/* ---- The worker: arg {Id, Mode} ---- */

static void tell(const char *what, beam_term_t id, beam_term_t reason) {
  char i[64], r[128] = "", text[256];
  beam_print(i, sizeof i, id);
  if (!beam_equal(reason, beam_nil()))
    beam_print(r, sizeof r, reason);
  snprintf(text, sizeof text, "%s %s%s%s", what, i, *r ? " " : "", r);
  beam_send(logger, beam_fmt("{ev, ~s}", text));
}

static beam_term_t w_init(beam_term_t arg) {
  beam_term_t id = beam_tuple_get(arg, 0), mode = beam_tuple_get(arg, 1), x;
  if (atomic_fetch_add(&starts, 1) >= fail_after)
    return beam_fmt("{stop, nope}");
  if (beam_is(mode, "fail"))
    return beam_fmt("{stop, nope}");
  if (beam_is(mode, "ignore"))
    return beam_atom("ignore");
  if (beam_match(mode, "{sleep_init, Ms}", &x) == 1)
    beam_sleep(int_of(x));
  if (!beam_is(mode, "notrap"))
    beam_trap_exit(1);
  tell("start", id, beam_nil());
  return beam_fmt("{ok, ~t}", arg);
}

static beam_term_t w_call(beam_term_t req, beam_term_t from, beam_term_t s) {
  (void) from;
  return beam_fmt("{reply, ~t, ~t}", req, s);
}

/* {crash, R}: stop with R. */
static beam_term_t w_cast(beam_term_t req, beam_term_t s) {
  beam_term_t r;
  if (beam_match(req, "{crash, R}", &r) == 1)
    return beam_fmt("{stop, ~t, ~t}", r, s);
  return beam_fmt("{noreply, ~t}", s);
}

static void w_terminate(beam_term_t reason, beam_term_t s) {
  beam_term_t x;
  if (beam_match(beam_tuple_get(s, 1), "{slow_stop, Ms}", &x) == 1)
    beam_sleep(int_of(x));
  tell("stop", beam_tuple_get(s, 0), reason);
}

static const beam_gen_server_t worker = {.init = w_init,
                                         .handle_call = w_call,
                                         .handle_cast = w_cast,
                                         .terminate = w_terminate};

/* A child's start: arg {Id, Mode}; Mode {name, N} registers it as N. */
static beam_term_t w_start(beam_term_t arg) {
  char name[64];
  beam_term_t n;
  beam_gen_server_opts_t o = {0};
  if (beam_match(beam_tuple_get(arg, 1), "{name, N}", &n) == 1 &&
      beam_print(name, sizeof name, n) > 0)
    o.name = name;
  return beam_gen_server_start_link(&worker, arg, &o);
}

static beam_child_spec_t spec(const char *id, const char *mode, int restart) {
  return (beam_child_spec_t){.id = beam_atom(id),
                             .start = w_start,
                             .arg = beam_fmt("{~a, ~t}", id,
                                             beam_fmt(mode ? mode : "ok")),
                             .restart = restart};
}

/* ---- The root's side ---- */

static void setup(void) {
  logger = beam_self();
  atomic_store(&starts, 0);
  fail_after = 1000;
  beam_trap_exit(1);
}

/* The next 'n' events, comma-separated; "timeout" if one does not come. */
static void expect(const char *want) {
  char got[1024] = "";
  size_t n = 1, depth = 0; /* commas outside {} and [] part events */
  for (const char *p = want; *p; p++) {
    depth += *p == '{' || *p == '[';
    depth -= *p == '}' || *p == ']';
    n += *p == ',' && depth == 0;
  }
  for (size_t i = 0; i < n; i++) {
    beam_term_t e;
    char text[256];
    if (beam_receive(3000, "{ev, E}", &e, NULL) != 0)
      snprintf(text, sizeof text, "timeout");
    else {
      size_t len = 0;
      const char *d = beam_binary_data(e, &len);
      snprintf(text, sizeof text, "%.*s", (int) len, d ? d : "?");
    }
    if (i)
      strcat(got, ",");
    strncat(got, text, sizeof got - strlen(got) - 1);
  }
  ASSERT_STR_EQ(got, want);
}

/* No further event within 'ms'. */
static void expect_quiet(int64_t ms) {
  beam_term_t e;
  ASSERT_ERR(beam_receive(ms, "{ev, E}", &e, NULL), BEAM_ETIMEDOUT);
}

static beam_pid_t start_ok(const beam_child_spec_t *c, size_t n,
                           const beam_supervisor_opts_t *o) {
  beam_term_t r = beam_supervisor_start_link(c, n, o), pid;
  if (beam_match(r, "{ok, P}", &pid) != 1)
    ASSERT_PRINTS(r, "{ok,<sup>}");
  return pid;
}

/* The pid of child 'id' in which_children, or 'undefined'... */
static beam_term_t pid_of(beam_pid_t sup, const char *id) {
  for (beam_term_t l = beam_supervisor_which_children(sup); beam_is_list(l) &&
       !beam_equal(l, beam_nil()); l = beam_tl(l)) {
    beam_term_t c = beam_hd(l);
    if (beam_is(beam_tuple_get(c, 0), id))
      return beam_tuple_get(c, 1);
  }
  return beam_atom("absent");
}

static void crash(beam_pid_t sup, const char *id, const char *reason) {
  ASSERT_OK(beam_gen_server_cast(pid_of(sup, id),
                                 beam_fmt("{crash, ~t}", beam_fmt(reason))));
}

static void expect_exit(beam_pid_t pid, const char *reason) {
  beam_term_t r;
  ASSERT_OK(beam_receive(5000, "{'EXIT', ~t, R}", pid, &r, NULL));
  ASSERT_PRINTS(r, reason);
}

static void stop_sup(beam_pid_t sup) {
  ASSERT_OK(beam_supervisor_stop(sup, beam_atom("normal"), BEAM_INFINITY));
  expect_exit(sup, "normal");
}

#define ABC(mode_b, restart)                                                   \
  { spec("a", NULL, BEAM_PERMANENT), spec("b", mode_b, restart),               \
    spec("c", NULL, BEAM_PERMANENT) }

/* ---- S1-S6: specs and startup ---- */

static void s1_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_child_spec_t bad[] = {spec("a", NULL, 0), spec("a", NULL, 0),
                             spec("a", NULL, 0), spec("a", NULL, 0)};
  bad[0].start = NULL;
  bad[1].restart = 7;
  bad[2].shutdown_ms = -5;
  bad[3].type = 9;
  for (int i = 0; i < 4; i++)
    ASSERT_EQ(beam_term_error(beam_supervisor_start_link(&bad[i], 1, NULL)),
              BEAM_EINVAL);
  ASSERT_EQ(beam_term_error(beam_supervisor_start_link(
                bad, 1, &(beam_supervisor_opts_t){.strategy = 5})),
            BEAM_EINVAL);
  /* Defaults: a worker waits up to 5 s for its terminate. */
  beam_child_spec_t c[] = {spec("a", "{slow_stop, 300}", 0)};
  beam_pid_t sup = start_ok(c, 1, NULL);
  expect("start a");
  ASSERT_PRINTS(beam_supervisor_count_children(sup),
                "#{active => 1,specs => 1,supervisors => 0,workers => 1}");
  ASSERT_PRINTS(beam_supervisor_terminate_child(sup, beam_atom("a")), "ok");
  expect("stop a shutdown"); /* not killed after 300 ms */
  stop_sup(sup);
  reached = 1;
}

BEAM_TEST_T(S1_child_spec_fields_and_defaults, 30) {
  RUN(s1_main);
}

static void s2_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_child_spec_t c[] = {spec("a", "{sleep_init, 50}", 0),
                           spec("b", "{sleep_init, 10}", 0), spec("c", NULL, 0)};
  beam_pid_t sup = start_ok(c, 3, NULL);
  expect("start a,start b,start c"); /* all before start_link returned */
  beam_process_info_t info;
  ASSERT_OK(beam_process_info(beam_self(), &info));
  ASSERT_EQ(info.message_queue_len, 0); /* nothing else came */
  stop_sup(sup);
  expect("stop c shutdown,stop b shutdown,stop a shutdown");
  reached = 1;
}

BEAM_TEST_T(S2_children_start_in_order_one_at_a_time, 30) {
  RUN(s2_main);
}

/* A non-trapping caller of a failing start_link. */
static void s3_starter(beam_term_t arg) {
  (void) arg;
  beam_child_spec_t c[] = ABC("fail", BEAM_PERMANENT);
  beam_supervisor_start_link(c, 3, NULL);
  beam_receive(BEAM_INFINITY, "never", NULL); /* killed by the link before this */
}

static void s3_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_child_spec_t c[] = ABC("fail", BEAM_PERMANENT);
  ASSERT_PRINTS(beam_supervisor_start_link(c, 3, NULL),
                "{error,{shutdown,{failed_to_start_child,b,nope}}}");
  expect("start a,stop a shutdown"); /* c never started */
  expect_quiet(50);
  beam_term_t why;
  beam_pid_t p;
  beam_term_t ref;
  beam_spawn_opts_t o = {.flags = BEAM_SPAWN_MONITOR, .monitor_ref = &ref};
  ASSERT_OK(beam_spawn_opt(s3_starter, beam_nil(), &o, &p));
  ASSERT_OK(beam_receive(5000, "{'DOWN', ~t, process, _, R}", ref, &why, NULL));
  ASSERT_PRINTS(why, "{shutdown,{failed_to_start_child,b,nope}}");
  reached = 1;
}

BEAM_TEST_T(S3_failed_start_stops_started_and_kills_caller, 30) {
  RUN(s3_main);
}

static void s4_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_child_spec_t c[] = {spec("a", NULL, 0), spec("b", "ignore", 0),
                           spec("t", "ignore", BEAM_TEMPORARY)};
  beam_pid_t sup = start_ok(c, 3, NULL);
  expect("start a");
  beam_term_t w = beam_supervisor_which_children(sup);
  ASSERT_EQ(beam_list_length(w), 2); /* the temporary one is dropped */
  ASSERT_PRINTS(beam_tl(w), "[{b,undefined,worker,[]}]");
  stop_sup(sup);
  reached = 1;
}

BEAM_TEST_T(S4_ignore_keeps_spec_temporary_dropped, 30) {
  RUN(s4_main);
}

static void s5_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_child_spec_t c[] = {spec("a", NULL, 0), spec("b", NULL, 0),
                           spec("a", NULL, 0)};
  ASSERT_PRINTS(beam_supervisor_start_link(c, 3, NULL),
                "{error,{start_spec,{duplicate_child_name,a}}}");
  expect_quiet(50); /* nothing was started */
  reached = 1;
}

BEAM_TEST_T(S5_duplicate_ids_refused, 30) {
  RUN(s5_main);
}

/* S6 and S15: with the defaults, 3 quick crashes are restarted and the
** 4th shuts the supervisor down. */
static void s6_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_child_spec_t c[] = {spec("a", NULL, 0)};
  beam_pid_t sup = start_ok(c, 1, NULL);
  expect("start a");
  for (int i = 0; i < 3; i++) {
    crash(sup, "a", "boom");
    expect("stop a boom,start a");
  }
  crash(sup, "a", "boom");
  expect("stop a boom");
  expect_exit(sup, "shutdown");
  expect_quiet(50);
  reached = 1;
}

BEAM_TEST_T(S6_default_intensity_is_3_in_5s, 30) {
  RUN(s6_main);
}

/* ---- S7-S10: strategies ---- */

static void s7_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_child_spec_t c[] = ABC(NULL, BEAM_PERMANENT);
  beam_pid_t sup = start_ok(c, 3, NULL);
  expect("start a,start b,start c");
  beam_term_t a = pid_of(sup, "a"), b = pid_of(sup, "b"), cc = pid_of(sup, "c");
  crash(sup, "b", "boom");
  expect("stop b boom,start b");
  ASSERT_TERM_EQ(pid_of(sup, "a"), a);
  ASSERT_TERM_EQ(pid_of(sup, "c"), cc);
  ASSERT_FALSE(beam_equal(pid_of(sup, "b"), b));
  stop_sup(sup);
  reached = 1;
}

BEAM_TEST_T(S7_one_for_one, 30) {
  RUN(s7_main);
}

static void s8_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_child_spec_t c[] = ABC(NULL, BEAM_PERMANENT);
  beam_pid_t sup =
      start_ok(c, 3, &(beam_supervisor_opts_t){.strategy = BEAM_ONE_FOR_ALL});
  expect("start a,start b,start c");
  crash(sup, "b", "boom");
  expect("stop b boom,stop c shutdown,stop a shutdown,start a,start b,"
         "start c");
  stop_sup(sup);
  reached = 1;
}

BEAM_TEST_T(S8_one_for_all, 30) {
  RUN(s8_main);
}

static void s9_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_child_spec_t c[] = ABC(NULL, BEAM_PERMANENT);
  beam_pid_t sup =
      start_ok(c, 3, &(beam_supervisor_opts_t){.strategy = BEAM_REST_FOR_ONE});
  expect("start a,start b,start c");
  beam_term_t a = pid_of(sup, "a");
  crash(sup, "b", "boom");
  expect("stop b boom,stop c shutdown,start b,start c");
  ASSERT_TERM_EQ(pid_of(sup, "a"), a);
  crash(sup, "c", "boom"); /* the last: as one_for_one */
  expect("stop c boom,start c");
  expect_quiet(50);
  stop_sup(sup);
  reached = 1;
}

BEAM_TEST_T(S9_rest_for_one, 30) {
  RUN(s9_main);
}

static void s10_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_child_spec_t c[] = {spec("a", "{name, s10_named}", 0)};
  beam_pid_t sup = start_ok(c, 1, NULL);
  expect("start a");
  beam_term_t old = beam_whereis(beam_atom("s10_named"));
  ASSERT_TERM_EQ(old, pid_of(sup, "a"));
  crash(sup, "a", "boom");
  expect("stop a boom,start a");
  beam_term_t now = beam_whereis(beam_atom("s10_named"));
  ASSERT_TRUE(beam_is_pid(now));
  ASSERT_FALSE(beam_equal(now, old));
  ASSERT_TERM_EQ(now, pid_of(sup, "a"));
  stop_sup(sup);
  reached = 1;
}

BEAM_TEST_T(S10_restart_new_pid_name_registered_again, 30) {
  RUN(s10_main);
}

/* ---- S11-S14: restart types ---- */

static void s11_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_child_spec_t c[] = {spec("a", NULL, BEAM_PERMANENT)};
  beam_pid_t sup = start_ok(c, 1, NULL);
  expect("start a");
  crash(sup, "a", "normal");
  expect("stop a normal,start a");
  stop_sup(sup);
  reached = 1;
}

BEAM_TEST_T(S11_permanent_restarted_after_normal, 30) {
  RUN(s11_main);
}

static beam_term_t restarted(beam_pid_t sup, const char *id) {
  beam_term_t pid;
  ASSERT_EQ(beam_match(beam_supervisor_restart_child(sup, beam_atom(id)),
                       "{ok, P}", &pid),
            1);
  return pid;
}

static void s12_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_child_spec_t c[] = {spec("a", NULL, BEAM_TRANSIENT)};
  beam_pid_t sup =
      start_ok(c, 1, &(beam_supervisor_opts_t){.max_restarts = 10});
  expect("start a");
  const char *quiet[] = {"normal", "shutdown", "{shutdown, why}"};
  const char *shown[] = {"normal", "shutdown", "{shutdown,why}"};
  for (int i = 0; i < 3; i++) {
    char want[64];
    crash(sup, "a", quiet[i]);
    snprintf(want, sizeof want, "stop a %s", shown[i]);
    expect(want);
    expect_quiet(30); /* not restarted */
    ASSERT_PRINTS(beam_supervisor_which_children(sup),
                  "[{a,undefined,worker,[]}]");
    restarted(sup, "a");
    expect("start a");
  }
  crash(sup, "a", "boom");
  expect("stop a boom,start a");
  ASSERT_OK(beam_exit_signal(pid_of(sup, "a"), beam_atom("kill")));
  expect("start a"); /* killed: no terminate, but a restart */
  stop_sup(sup);
  reached = 1;
}

BEAM_TEST_T(S12_transient_restarted_only_after_abnormal, 30) {
  RUN(s12_main);
}

static void s13_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_child_spec_t c[] = {spec("a", NULL, BEAM_TEMPORARY)};
  beam_pid_t sup = start_ok(c, 1, NULL);
  expect("start a");
  crash(sup, "a", "boom");
  expect("stop a boom");
  expect_quiet(30);
  ASSERT_PRINTS(beam_supervisor_which_children(sup), "[]");
  stop_sup(sup);
  reached = 1;
}

BEAM_TEST_T(S13_temporary_never_restarted_and_removed, 30) {
  RUN(s13_main);
}

static void s14_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_supervisor_opts_t all = {.strategy = BEAM_ONE_FOR_ALL};
  /* A temporary b crashing, a transient b ending normally: nobody else is
  ** touched. */
  beam_child_spec_t c1[] = ABC(NULL, BEAM_TEMPORARY);
  beam_pid_t sup = start_ok(c1, 3, &all);
  expect("start a,start b,start c");
  crash(sup, "b", "boom");
  expect("stop b boom");
  expect_quiet(30);
  stop_sup(sup);
  expect("stop c shutdown,stop a shutdown");
  beam_child_spec_t c2[] = ABC(NULL, BEAM_TRANSIENT);
  sup = start_ok(c2, 3, &all);
  expect("start a,start b,start c");
  crash(sup, "b", "normal");
  expect("stop b normal");
  expect_quiet(30);
  stop_sup(sup);
  expect("stop c shutdown,stop a shutdown");
  /* A temporary sibling stopped by a group restart is gone. */
  beam_child_spec_t c3[] = {spec("a", NULL, 0), spec("b", NULL, BEAM_TEMPORARY),
                            spec("c", NULL, 0)};
  sup = start_ok(c3, 3, &all);
  expect("start a,start b,start c");
  crash(sup, "c", "boom");
  expect("stop c boom,stop b shutdown,stop a shutdown,start a,start c");
  ASSERT_EQ(beam_list_length(beam_supervisor_which_children(sup)), 2);
  ASSERT_PRINTS(pid_of(sup, "b"), "absent");
  stop_sup(sup);
  reached = 1;
}

BEAM_TEST_T(S14_group_restarts_and_non_restarted_children, 30) {
  RUN(s14_main);
}

/* ---- S15-S17: intensity ---- */

static void s15_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_child_spec_t c[] = ABC(NULL, BEAM_PERMANENT);
  beam_pid_t sup =
      start_ok(c, 3, &(beam_supervisor_opts_t){.max_restarts = 1});
  expect("start a,start b,start c");
  crash(sup, "b", "boom");
  expect("stop b boom,start b");
  crash(sup, "b", "boom");
  expect("stop b boom,stop c shutdown,stop a shutdown");
  expect_exit(sup, "shutdown");
  /* max_restarts: 0 (a negative value here): the first crash. */
  sup = start_ok(c, 3, &(beam_supervisor_opts_t){.max_restarts = -1});
  expect("start a,start b,start c");
  crash(sup, "a", "boom");
  expect("stop a boom,stop c shutdown,stop b shutdown");
  expect_exit(sup, "shutdown");
  reached = 1;
}

BEAM_TEST_T(S15_intensity_exceeded_stops_all_and_exits_shutdown, 30) {
  RUN(s15_main);
}

static void s16_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_child_spec_t c[] = {spec("a", NULL, 0)};
  beam_pid_t sup = start_ok(
      c, 1, &(beam_supervisor_opts_t){.max_restarts = 1, .max_seconds = 1});
  expect("start a");
  /* Just after a whole second, so 1.1 s later is the next second: within
  ** the inclusive window, however the clock falls. */
  ASSERT_OK(beam_sleep(1000 - beam_monotonic_ms() % 1000 + 20));
  crash(sup, "a", "boom");
  expect("stop a boom,start a");
  ASSERT_OK(beam_sleep(1100));
  crash(sup, "a", "boom");
  expect("stop a boom");
  expect_exit(sup, "shutdown");
  reached = 1;
}

BEAM_TEST_T(S16_window_is_whole_seconds_inclusive, 30) {
  RUN(s16_main);
}

static void s17_main(beam_term_t arg) {
  (void) arg;
  setup();
  fail_after = 1; /* the first start works, every later one fails */
  beam_child_spec_t c[] = {spec("a", NULL, 0)};
  beam_pid_t sup = start_ok(c, 1, NULL);
  expect("start a");
  crash(sup, "a", "boom");
  expect("stop a boom");
  expect_exit(sup, "shutdown");
  ASSERT_EQ(atomic_load(&starts), 4); /* 1 start + 3 failed restarts */
  reached = 1;
}

BEAM_TEST_T(S17_failed_restarts_are_retried_and_counted, 30) {
  RUN(s17_main);
}

/* ---- S18-S20: shutdown ---- */

static void s18_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_child_spec_t c[] = {spec("brutal", NULL, 0),
                           spec("slow", "{slow_stop, 1000}", 0),
                           spec("forever", "{slow_stop, 200}", 0)};
  c[0].shutdown_ms = BEAM_BRUTAL_KILL;
  c[1].shutdown_ms = 100;
  c[2].shutdown_ms = BEAM_INFINITY;
  beam_pid_t sup = start_ok(c, 3, NULL);
  expect("start brutal,start slow,start forever");
  beam_term_t ref = beam_monitor(pid_of(sup, "brutal")), why;
  ASSERT_PRINTS(beam_supervisor_terminate_child(sup, beam_atom("brutal")), "ok");
  ASSERT_OK(beam_receive(1000, "{'DOWN', ~t, process, _, R}", ref, &why, NULL));
  ASSERT_PRINTS(why, "killed");
  expect_quiet(30); /* its terminate did not run */
  ref = beam_monitor(pid_of(sup, "slow"));
  int64_t t0 = beam_monotonic_ms();
  ASSERT_PRINTS(beam_supervisor_terminate_child(sup, beam_atom("slow")), "ok");
  ASSERT_LT(beam_monotonic_ms() - t0, 900); /* killed, not waited for */
  ASSERT_OK(beam_receive(1000, "{'DOWN', ~t, process, _, R}", ref, &why, NULL));
  ASSERT_PRINTS(why, "killed");
  ASSERT_PRINTS(beam_supervisor_terminate_child(sup, beam_atom("forever")),
                "ok");
  expect("stop forever shutdown"); /* already queued: waited for */
  ASSERT_PRINTS(beam_supervisor_count_children(sup),
                "#{active => 0,specs => 3,supervisors => 0,workers => 3}");
  stop_sup(sup);
  expect_quiet(30);
  reached = 1;
}

BEAM_TEST_T(S18_shutdown_brutal_timeout_infinity, 30) {
  RUN(s18_main);
}

/* A parent that starts a supervisor and waits to be stopped. */
static void s19_parent(beam_term_t arg) {
  (void) arg;
  beam_child_spec_t c[] = ABC(NULL, BEAM_PERMANENT);
  beam_term_t r = beam_supervisor_start_link(c, 3, NULL);
  beam_send(logger, beam_fmt("{sup, ~t}", beam_tuple_get(r, 1)));
  beam_receive(BEAM_INFINITY, "never", NULL);
}

static void s19_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_child_spec_t c[] = ABC(NULL, BEAM_PERMANENT);
  beam_pid_t sup = start_ok(c, 3, NULL);
  expect("start a,start b,start c");
  stop_sup(sup);
  expect("stop c shutdown,stop b shutdown,stop a shutdown");
  /* Its parent's exit: the same order, then it exits with that reason. */
  beam_pid_t parent;
  ASSERT_OK(beam_spawn(s19_parent, beam_nil(), &parent));
  ASSERT_OK(beam_receive(5000, "{sup, S}", &sup, NULL));
  expect("start a,start b,start c");
  beam_term_t ref = beam_monitor(sup), why;
  ASSERT_OK(beam_exit_signal(parent, beam_atom("shutdown")));
  expect("stop c shutdown,stop b shutdown,stop a shutdown");
  ASSERT_OK(beam_receive(5000, "{'DOWN', ~t, process, _, R}", ref, &why, NULL));
  ASSERT_PRINTS(why, "shutdown");
  reached = 1;
}

BEAM_TEST_T(S19_whole_supervisor_stops_children_last_to_first, 30) {
  RUN(s19_main);
}

static void s20_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_child_spec_t c[] = {spec("t", NULL, 0), spec("n", "notrap", 0)};
  beam_pid_t sup = start_ok(c, 2, NULL);
  expect("start t,start n");
  beam_term_t ref = beam_monitor(pid_of(sup, "n")), why;
  stop_sup(sup);
  ASSERT_OK(beam_receive(1000, "{'DOWN', ~t, process, _, R}", ref, &why, NULL));
  ASSERT_PRINTS(why, "shutdown"); /* not trapping: died of it */
  expect("stop t shutdown");      /* trapping: saw it in terminate */
  reached = 1;
}

BEAM_TEST_T(S20_children_see_shutdown, 30) {
  RUN(s20_main);
}

/* ---- S21-S22: dynamic operations ---- */

static void s21_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_pid_t sup = start_ok(NULL, 0, NULL);
  beam_child_spec_t a = spec("a", NULL, 0), ig = spec("i", "ignore", 0);
  beam_term_t pid;
  ASSERT_EQ(beam_match(beam_supervisor_start_child(sup, &a), "{ok, P}", &pid),
            1);
  expect("start a");
  beam_term_t again = beam_supervisor_start_child(sup, &a), p2;
  ASSERT_EQ(beam_match(again, "{error, {already_started, P}}", &p2), 1);
  ASSERT_TERM_EQ(p2, pid);
  ASSERT_PRINTS(beam_supervisor_start_child(sup, &ig), "{ok,undefined}");
  ASSERT_PRINTS(beam_supervisor_delete_child(sup, beam_atom("a")),
                "{error,running}");
  ASSERT_PRINTS(beam_supervisor_terminate_child(sup, beam_atom("a")), "ok");
  expect("stop a shutdown");
  expect_quiet(30); /* not a crash: not restarted */
  ASSERT_PRINTS(beam_supervisor_terminate_child(sup, beam_atom("a")), "ok");
  ASSERT_PRINTS(beam_supervisor_start_child(sup, &a), "{error,already_present}");
  ASSERT_PRINTS(beam_supervisor_count_children(sup),
                "#{active => 0,specs => 2,supervisors => 0,workers => 2}");
  ASSERT_PRINTS(beam_supervisor_which_children(sup),
                "[{a,undefined,worker,[]},{i,undefined,worker,[]}]");
  beam_term_t p3 = restarted(sup, "a");
  expect("start a");
  ASSERT_FALSE(beam_equal(p3, pid));
  ASSERT_PRINTS(beam_supervisor_restart_child(sup, beam_atom("a")),
                "{error,running}");
  ASSERT_PRINTS(beam_supervisor_restart_child(sup, beam_atom("zz")),
                "{error,not_found}");
  ASSERT_PRINTS(beam_supervisor_terminate_child(sup, beam_atom("zz")),
                "{error,not_found}");
  ASSERT_PRINTS(beam_supervisor_delete_child(sup, beam_atom("i")), "ok");
  ASSERT_PRINTS(beam_supervisor_delete_child(sup, beam_atom("i")),
                "{error,not_found}");
  beam_child_spec_t f = spec("f", "fail", 0);
  ASSERT_PRINTS(beam_supervisor_start_child(sup, &f), "{error,nope}");
  ASSERT_EQ(beam_term_error(beam_supervisor_start_child(sup, NULL)),
            BEAM_EINVAL);
  stop_sup(sup);
  expect("stop a shutdown");
  reached = 1;
}

BEAM_TEST_T(S21_dynamic_operations, 30) {
  RUN(s21_main);
}

static void s22_main(beam_term_t arg) {
  (void) arg;
  setup();
  beam_term_t r =
      beam_dynamic_supervisor_start_link(&(beam_supervisor_opts_t){
          .max_children = 3, .name = "s22_dyn"}),
      sup;
  ASSERT_EQ(beam_match(r, "{ok, S}", &sup), 1);
  beam_term_t name = beam_atom("s22_dyn"), pids[3];
  for (int i = 0; i < 3; i++) {
    beam_child_spec_t c = spec(i == 0 ? "a" : i == 1 ? "b" : "c", NULL, 0);
    ASSERT_EQ(beam_match(beam_dynamic_supervisor_start_child(name, &c),
                         "{ok, P}", &pids[i]),
              1);
  }
  expect("start a,start b,start c");
  beam_child_spec_t d = spec("d", NULL, 0), ig = spec("i", "ignore", 0);
  ASSERT_PRINTS(beam_dynamic_supervisor_start_child(name, &d),
                "{error,max_children}");
  ASSERT_OK(beam_gen_server_cast(pids[1], beam_fmt("{crash, boom}")));
  expect("stop b boom,start b");
  ASSERT_PRINTS(beam_supervisor_count_children(sup),
                "#{active => 3,specs => 3,supervisors => 0,workers => 3}");
  ASSERT_PRINTS(beam_supervisor_terminate_child(sup, pids[0]), "ok");
  expect("stop a shutdown");
  ASSERT_PRINTS(beam_supervisor_terminate_child(sup, pids[0]),
                "{error,not_found}");
  ASSERT_PRINTS(beam_dynamic_supervisor_start_child(name, &ig), "ignore");
  ASSERT_EQ(beam_list_length(beam_supervisor_which_children(sup)), 2);
  ASSERT_PRINTS(beam_supervisor_restart_child(sup, beam_atom("b")),
                "{error,not_found}");
  ASSERT_PRINTS(pid_of(sup, "b"), "absent"); /* ids are not kept */
  stop_sup(sup); /* the two at once, in either order */
  char got[2][64];
  for (int i = 0; i < 2; i++) {
    beam_term_t e;
    size_t len = 0;
    ASSERT_OK(beam_receive(3000, "{ev, E}", &e, NULL));
    const char *t = beam_binary_data(e, &len);
    snprintf(got[i], sizeof got[i], "%.*s", (int) len, t);
  }
  ASSERT_TRUE((!strcmp(got[0], "stop b shutdown") &&
               !strcmp(got[1], "stop c shutdown")) ||
              (!strcmp(got[1], "stop b shutdown") &&
               !strcmp(got[0], "stop c shutdown")));
  reached = 1;
}

BEAM_TEST_T(S22_dynamic_supervisor_max_children, 30) {
  RUN(s22_main);
}
