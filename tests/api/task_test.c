/* SPDX-License-Identifier: MIT */
/*
** task_test.c: Task (include/cbeam/otp.h), one test per rule of
** docs/semantics.md §10 that it covers, named by its id (T1-T14). Where a
** rule has the caller exit, the caller is a process of its own and the
** test's root watches it with a monitor. Each root sets 'reached' last,
** so a root that died of a signal it should have survived fails.
*/
#include "../harness/check.h"


#define RUN(main_fn) RUN_TO_END((main_fn), 2)

/* ---- Task functions ---- */

static beam_term_t returns_arg(beam_term_t arg) {
  return arg;
}

/* Waits for 'go', then returns its argument. */
static beam_term_t waits_for_go(beam_term_t arg) {
  beam_receive(BEAM_INFINITY, "go", NULL);
  return arg;
}

/* Sleeps 'arg' ms, then returns it. */
static beam_term_t sleeps(beam_term_t arg) {
  int64_t ms = 0;
  beam_get_int(arg, &ms);
  beam_sleep(ms);
  return arg;
}

static beam_term_t crashes(beam_term_t reason) {
  beam_exit(reason);
}

static beam_term_t traps_then_sleeps(beam_term_t arg) {
  beam_trap_exit(1);
  return sleeps(arg);
}

/* ---- Helpers ---- */

static beam_term_t down_reason(beam_term_t ref, int64_t ms) {
  beam_term_t r;
  if (beam_receive(ms, "{'DOWN', ~t, process, _, R}", ref, &r, NULL) != 0)
    return beam_atom("no_down");
  return r;
}

static int64_t int_of(beam_term_t t) {
  int64_t v = -1;
  ASSERT_OK(beam_get_int(t, &v));
  return v;
}

/* The task as a term, to hand to another process. */
static beam_term_t task_term(const beam_task_t *t) {
  return beam_tuple(4, t->pid, t->ref, t->alias, t->owner);
}

static beam_task_t task_of(beam_term_t t) {
  beam_task_t k = {beam_tuple_get(t, 0), beam_tuple_get(t, 1),
                   beam_tuple_get(t, 2), beam_tuple_get(t, 3)};
  return k;
}

static int has_pid(beam_term_t list, beam_pid_t pid) {
  for (; beam_is_list(list) && !beam_equal(list, beam_nil());
       list = beam_tl(list)) {
    beam_term_t e = beam_hd(list);
    if (beam_equal(e, pid) ||
        (beam_is_tuple(e) && beam_equal(beam_tuple_get(e, 1), pid)))
      return 1;
  }
  return 0;
}

/* {Reason, {'Elixir.Task', Fun, [Task, Timeout]}} with these parts. */
static void assert_task_exit(beam_term_t r, beam_term_t reason,
                             const char *fun, int64_t timeout) {
  beam_term_t why, f, args;
  ASSERT_EQ(beam_match(r, "{R, {'Elixir.Task', F, A}}", &why, &f, &args), 1);
  ASSERT_TERM_EQ(why, reason);
  ASSERT_TRUE(beam_is(f, fun));
  ASSERT_TERM_EQ(beam_hd(beam_tl(args)), beam_int(timeout));
}

/* ---- T1 ---- */

static void t1_main(beam_term_t arg) {
  (void) arg;
  beam_task_t t;
  ASSERT_OK(beam_task_async(waits_for_go, beam_int(42), &t));
  beam_process_info_t info;
  ASSERT_OK(beam_process_info(beam_self(), &info));
  ASSERT_TRUE(has_pid(info.links, t.pid));    /* linked */
  ASSERT_TRUE(has_pid(info.monitors, t.pid)); /* and monitored */
  ASSERT_TRUE(beam_equal(t.owner, beam_self()));
  ASSERT_OK(beam_send(t.pid, beam_atom("go")));
  /* The raw messages: the reply, then the DOWN with normal. */
  beam_term_t m;
  ASSERT_OK(beam_receive_any(5000, &m));
  ASSERT_TERM_EQ(m, beam_tuple(2, t.alias, beam_int(42)));
  ASSERT_TERM_EQ(down_reason(t.ref, 5000), beam_atom("normal"));
  reached = 1;
}

BEAM_TEST_T(T1_async_links_monitors_and_replies_then_exits_normal, 30) {
  RUN(t1_main);
}

/* ---- T2 ---- */

static void not_owner(beam_term_t arg) {
  beam_task_t t = task_of(beam_tuple_get(arg, 0));
  beam_pid_t parent = beam_tuple_get(arg, 1);
  beam_term_t r = beam_task_await(&t, 100);
  ASSERT_TRUE(beam_is_error(r));
  ASSERT_EQ(beam_term_error(r), BEAM_ENOTOWNER);
  ASSERT_EQ(beam_task_await_result(&t, 100, NULL), BEAM_ENOTOWNER);
  ASSERT_TRUE(beam_is_error(beam_task_yield(&t, 0)));
  ASSERT_TRUE(beam_is_error(beam_task_shutdown(&t, 0)));
  ASSERT_OK(beam_send(parent, beam_atom("checked")));
}

static void t2_main(beam_term_t arg) {
  (void) arg;
  beam_task_t t;
  ASSERT_OK(beam_task_async(waits_for_go, beam_atom("v"), &t));
  beam_pid_t other;
  ASSERT_OK(beam_spawn(not_owner, beam_tuple(2, task_term(&t), beam_self()),
                       &other));
  ASSERT_OK(beam_receive(5000, "checked", NULL));
  ASSERT_OK(beam_send(t.pid, beam_atom("go")));
  ASSERT_TERM_EQ(beam_task_await(&t, 5000), beam_atom("v"));
  /* Neither the reply nor the DOWN is left behind. */
  ASSERT_OK(beam_sleep(50));
  ASSERT_EQ(beam_mailbox_len(), 0);
  reached = 1;
}

BEAM_TEST_T(T2_await_returns_the_value_and_leaves_nothing_owner_only, 30) {
  RUN(t2_main);
}

/* ---- T3, T4 ---- */

static void awaits_too_short(beam_term_t parent) {
  beam_task_t t;
  ASSERT_OK(beam_task_async(sleeps, beam_int(2000), &t));
  ASSERT_OK(beam_send(parent, beam_tuple(2, beam_atom("task"), t.pid)));
  beam_task_await(&t, 100);
  ASSERT(0); /* not reached: await exits */
}

static void t3_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t caller;
  beam_term_t ref;
  ASSERT_OK(beam_spawn_monitor(awaits_too_short, beam_self(), &caller, &ref));
  beam_pid_t task;
  ASSERT_EQ(beam_receive(5000, "{task, P}", &task, NULL), 0);
  beam_term_t tref = beam_monitor(task);
  beam_term_t r = down_reason(ref, 5000);
  assert_task_exit(r, beam_atom("timeout"), "await", 100);
  /* Through the link, the non-trapping task dies of the same reason. */
  ASSERT_TERM_EQ(down_reason(tref, 5000), r);

  /* Caught (the code-returning form): the task keeps running, and its
  ** late result is dropped (T4). */
  beam_task_t t;
  ASSERT_OK(beam_task_async(sleeps, beam_int(150), &t));
  ASSERT_EQ(beam_task_await_result(&t, 20, NULL), BEAM_ETIMEDOUT);
  ASSERT_EQ(beam_is_alive(t.pid), 1);
  ASSERT_OK(beam_sleep(300)); /* it has finished and replied by now */
  ASSERT_EQ(beam_is_alive(t.pid), 0);
  ASSERT_EQ(beam_mailbox_len(), 0);
  reached = 1;
}

BEAM_TEST_T(T3_await_timeout_exits_the_caller_task_keeps_running, 30) {
  RUN(t3_main);
}

static void t4_main(beam_term_t arg) {
  (void) arg;
  /* Late results after a timeout, a yield that gave up and a shutdown. */
  beam_task_t a, b;
  ASSERT_OK(beam_task_async(sleeps, beam_int(100), &a));
  ASSERT_OK(beam_task_async(sleeps, beam_int(100), &b));
  ASSERT_EQ(beam_task_await_result(&a, 10, NULL), BEAM_ETIMEDOUT);
  ASSERT_EQ(beam_task_await_result(&b, 10, NULL), BEAM_ETIMEDOUT);
  ASSERT_OK(beam_sleep(300));
  ASSERT_EQ(beam_mailbox_len(), 0); /* both replies were dropped */
  reached = 1;
}

BEAM_TEST_T(T4_late_replies_are_dropped, 30) {
  RUN(t4_main);
}

/* ---- T5, T6 ---- */

static void owner_of_crasher(beam_term_t reason) {
  beam_task_t t;
  ASSERT_OK(beam_task_async(crashes, reason, &t));
  /* Not in await: the link kills it anyway. */
  beam_receive(BEAM_INFINITY, "never", NULL);
}

static void trapping_awaiter(beam_term_t reason) {
  beam_trap_exit(1);
  beam_task_t t;
  ASSERT_OK(beam_task_async(crashes, reason, &t));
  beam_task_await(&t, 5000);
}

static void t5_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  beam_term_t ref;
  ASSERT_OK(beam_spawn_monitor(owner_of_crasher, beam_atom("boom"), &p, &ref));
  ASSERT_TERM_EQ(down_reason(ref, 5000), beam_atom("boom"));
  /* A trapping owner gets the EXIT, and await exits {R, {Task, ...}},
  ** with R in full. */
  beam_term_t full = beam_tuple(2, beam_atom("badarith"), beam_list(0));
  ASSERT_OK(beam_spawn_monitor(trapping_awaiter, full, &p, &ref));
  assert_task_exit(down_reason(ref, 5000), full, "await", 5000);
  /* The code-returning form gives the reason. */
  beam_trap_exit(1);
  beam_task_t t;
  ASSERT_OK(beam_task_async(crashes, beam_atom("bad"), &t));
  beam_term_t why;
  ASSERT_EQ(beam_task_await_result(&t, 5000, &why), BEAM_EEXITED);
  ASSERT_TERM_EQ(why, beam_atom("bad"));
  ASSERT_EQ(beam_receive(5000, "{'EXIT', ~t, bad}", t.pid, NULL), 0);
  reached = 1;
}

BEAM_TEST_T(T5_a_crashing_task_takes_its_owner_or_is_reported, 30) {
  RUN(t5_main);
}

static void awaits_normal_exiter(beam_term_t arg) {
  (void) arg;
  beam_task_t t;
  ASSERT_OK(beam_task_async(crashes, beam_atom("normal"), &t));
  beam_task_await(&t, 5000);
}

static void t6_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  beam_term_t ref;
  ASSERT_OK(beam_spawn_monitor(awaits_normal_exiter, beam_nil(), &p, &ref));
  assert_task_exit(down_reason(ref, 5000), beam_atom("normal"), "await",
                   5000);
  reached = 1;
}

BEAM_TEST_T(T6_a_task_exiting_normal_without_reply_exits_await, 30) {
  RUN(t6_main);
}

/* ---- T7, T8, T14 ---- */

static void t7_main(beam_term_t arg) {
  (void) arg;
  beam_task_t t;
  ASSERT_OK(beam_task_async(returns_arg, beam_int(1), &t));
  ASSERT_TERM_EQ(beam_task_await(&t, BEAM_INFINITY), beam_int(1)); /* T14 */
  ASSERT_EQ(beam_task_await_result(&t, 100, NULL), BEAM_ETIMEDOUT);
  reached = 1;
}

BEAM_TEST_T(T7_a_second_await_times_out, 30) {
  RUN(t7_main);
}

BEAM_TEST_T(T14_await_infinity, 30) {
  RUN(t7_main);
}

static void t8_main(beam_term_t arg) {
  (void) arg;
  beam_task_t t;
  ASSERT_OK(beam_task_async(sleeps, beam_int(100), &t));
  ASSERT_TRUE(beam_is(beam_task_yield(&t, 10), "nil"));
  ASSERT_EQ(beam_is_alive(t.pid), 1);
  ASSERT_TERM_EQ(beam_task_yield(&t, 5000),
                 beam_tuple(2, beam_atom("ok"), beam_int(100)));
  beam_trap_exit(1);
  ASSERT_OK(beam_task_async(crashes, beam_atom("boom"), &t));
  ASSERT_TERM_EQ(beam_task_yield(&t, 5000),
                 beam_tuple(2, beam_atom("exit"), beam_atom("boom")));
  reached = 1;
}

BEAM_TEST_T(T8_yield_nil_then_ok_or_exit, 30) {
  RUN(t8_main);
}

/* ---- T9 ---- */

static void t9_main(beam_term_t arg) {
  (void) arg;
  beam_term_t nil = beam_atom("nil");
  beam_task_t t;
  /* Running: stopped by the shutdown. */
  ASSERT_OK(beam_task_async(waits_for_go, beam_int(1), &t));
  ASSERT_TERM_EQ(beam_task_shutdown(&t, 1000), nil);
  ASSERT_EQ(beam_is_alive(t.pid), 0);
  beam_process_info_t info;
  ASSERT_OK(beam_process_info(beam_self(), &info));
  ASSERT_FALSE(has_pid(info.links, t.pid));
  /* Brutal. */
  ASSERT_OK(beam_task_async(waits_for_go, beam_int(1), &t));
  ASSERT_TERM_EQ(beam_task_shutdown(&t, BEAM_BRUTAL_KILL), nil);
  /* Done already: its result. */
  ASSERT_OK(beam_task_async(returns_arg, beam_int(7), &t));
  ASSERT_OK(beam_sleep(50));
  ASSERT_TERM_EQ(beam_task_shutdown(&t, 1000),
                 beam_tuple(2, beam_atom("ok"), beam_int(7)));
  /* Crashed already (the owner traps, so it lives): {exit, R}. */
  beam_trap_exit(1);
  ASSERT_OK(beam_task_async(crashes, beam_atom("boom"), &t));
  ASSERT_OK(beam_sleep(50));
  ASSERT_TERM_EQ(beam_task_shutdown(&t, 1000),
                 beam_tuple(2, beam_atom("exit"), beam_atom("boom")));
  /* A trapping task outlives the timeout and is killed: {exit, killed}. */
  ASSERT_OK(beam_task_async(traps_then_sleeps, beam_int(5000), &t));
  ASSERT_OK(beam_sleep(20));
  int64_t t0 = beam_monotonic_ms();
  ASSERT_TERM_EQ(beam_task_shutdown(&t, 100),
                 beam_tuple(2, beam_atom("exit"), beam_atom("killed")));
  ASSERT_GE(beam_monotonic_ms() - t0, 100);
  ASSERT_ERR(beam_term_error(beam_task_shutdown(&t, -5)), BEAM_EINVAL);
  reached = 1;
}

BEAM_TEST_T(T9_shutdown_results, 30) {
  RUN(t9_main);
}

/* ---- T10, T11 ---- */

static void crashing_owner(beam_term_t parent) {
  beam_task_t t;
  ASSERT_OK(beam_task_async(waits_for_go, beam_int(1), &t));
  ASSERT_OK(beam_send(parent, beam_tuple(2, beam_atom("task"), t.pid)));
  beam_receive(BEAM_INFINITY, "die", NULL);
  beam_exit(beam_atom("caller_crash"));
}

static void normal_owner(beam_term_t parent) {
  beam_task_t t;
  ASSERT_OK(beam_task_async(waits_for_go, beam_int(1), &t));
  ASSERT_OK(beam_send(parent, beam_tuple(2, beam_atom("task"), t.pid)));
}

static void t10_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t owner, task;
  ASSERT_OK(beam_spawn(crashing_owner, beam_self(), &owner));
  ASSERT_EQ(beam_receive(5000, "{task, P}", &task, NULL), 0);
  beam_term_t ref = beam_monitor(task);
  ASSERT_OK(beam_send(owner, beam_atom("die")));
  ASSERT_TERM_EQ(down_reason(ref, 5000), beam_atom("caller_crash"));
  ASSERT_OK(beam_spawn(normal_owner, beam_self(), &owner));
  ASSERT_EQ(beam_receive(5000, "{task, P}", &task, NULL), 0);
  ASSERT_OK(beam_sleep(50));
  ASSERT_EQ(beam_is_alive(owner), 0);
  ASSERT_EQ(beam_is_alive(task), 1); /* an owner's normal end leaves it */
  ASSERT_OK(beam_send(task, beam_atom("go")));
  reached = 1;
}

BEAM_TEST_T(T10_owner_death_reaches_the_task_unless_normal, 30) {
  RUN(t10_main);
}

static void start_link_owner(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  ASSERT_OK(beam_task_start_link(crashes, beam_atom("boom"), &p));
  beam_receive(BEAM_INFINITY, "never", NULL);
}

static void t11_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  ASSERT_OK(beam_task_start(crashes, beam_atom("boom"), &p));
  ASSERT_OK(beam_task_start(returns_arg, beam_int(5), &p));
  ASSERT_OK(beam_sleep(50));
  ASSERT_EQ(beam_mailbox_len(), 0); /* no reply, no DOWN, no EXIT */
  beam_process_info_t info;
  ASSERT_OK(beam_process_info(beam_self(), &info));
  ASSERT_TRUE(beam_equal(info.links, beam_nil()));
  beam_term_t ref;
  ASSERT_OK(beam_spawn_monitor(start_link_owner, beam_nil(), &p, &ref));
  ASSERT_TERM_EQ(down_reason(ref, 5000), beam_atom("boom"));
  ASSERT_ERR(beam_task_start(NULL, beam_nil(), &p), BEAM_EINVAL);
  ASSERT_ERR(beam_task_start(returns_arg, beam_nil(), NULL), BEAM_EINVAL);
  beam_task_t t;
  ASSERT_ERR(beam_task_async(NULL, beam_nil(), &t), BEAM_EINVAL);
  ASSERT_ERR(beam_task_async(returns_arg, beam_nil(), NULL), BEAM_EINVAL);
  reached = 1;
}

BEAM_TEST_T(T11_start_has_no_link_start_link_has_one, 30) {
  RUN(t11_main);
}

/* ---- T12, T13 ---- */

static void await_many_too_short(beam_term_t arg) {
  (void) arg;
  beam_task_t ts[2];
  ASSERT_OK(beam_task_async(sleeps, beam_int(10), &ts[0]));
  ASSERT_OK(beam_task_async(sleeps, beam_int(2000), &ts[1]));
  beam_task_await_many(ts, 2, 100);
}

static void t12_main(beam_term_t arg) {
  (void) arg;
  beam_task_t ts[4];
  int64_t ms[4] = {120, 10, 80, 40}; /* they finish out of order */
  for (int i = 0; i < 4; i++)
    ASSERT_OK(beam_task_async(sleeps, beam_int(ms[i]), &ts[i]));
  beam_term_t l = beam_task_await_many(ts, 4, 5000);
  ASSERT_TERM_EQ(l, beam_list(4, beam_int(120), beam_int(10), beam_int(80),
                              beam_int(40)));
  ASSERT_OK(beam_sleep(20));
  ASSERT_EQ(beam_mailbox_len(), 0);
  ASSERT_TERM_EQ(beam_task_await_many(ts, 0, 100), beam_nil());
  beam_pid_t p;
  beam_term_t ref;
  ASSERT_OK(beam_spawn_monitor(await_many_too_short, beam_nil(), &p, &ref));
  beam_term_t why, f, args;
  ASSERT_EQ(beam_match(down_reason(ref, 5000), "{R, {'Elixir.Task', F, A}}",
                       &why, &f, &args),
            1);
  ASSERT_TRUE(beam_is(why, "timeout"));
  ASSERT_TRUE(beam_is(f, "await_many"));
  ASSERT_EQ(int_of(beam_hd(beam_tl(args))), 100);
  reached = 1;
}

BEAM_TEST_T(T12_await_many_in_input_order_one_timeout, 30) {
  RUN(t12_main);
}

static void t13_main(beam_term_t arg) {
  (void) arg;
  beam_trap_exit(1);
  beam_task_t ts[3];
  ASSERT_OK(beam_task_async(returns_arg, beam_int(1), &ts[0]));
  ASSERT_OK(beam_task_async(sleeps, beam_int(2000), &ts[1]));
  ASSERT_OK(beam_task_async(crashes, beam_atom("bad"), &ts[2]));
  beam_term_t l = beam_task_yield_many(ts, 3, 200);
  ASSERT_TERM_EQ(l, beam_list(3, beam_tuple(2, beam_atom("ok"), beam_int(1)),
                              beam_atom("nil"),
                              beam_tuple(2, beam_atom("exit"),
                                         beam_atom("bad"))));
  /* The one still running can still be had. */
  ASSERT_TRUE(beam_is(beam_task_shutdown(&ts[1], BEAM_BRUTAL_KILL), "nil"));
  reached = 1;
}

BEAM_TEST_T(T13_yield_many_one_entry_per_task, 30) {
  RUN(t13_main);
}

/* ---- A task function that collects its heap still gets its result home
** (the reply's alias is kept off the heap meanwhile) ---- */

static beam_term_t collects(beam_term_t arg) {
  for (int i = 0; i < 10000; i++)
    (void) beam_tuple(2, beam_int(i), arg); /* garbage */
  beam_term_t keep = beam_int(99);
  ASSERT_OK(beam_gc_roots((beam_term_t *[]){&keep}, 1, BEAM_GC_MAJOR));
  return keep;
}

static void collecting_main(beam_term_t arg) {
  (void) arg;
  beam_task_t t;
  ASSERT_OK(beam_task_async(collects, beam_fmt("{some, boxed, term}"), &t));
  ASSERT_TERM_EQ(beam_task_await(&t, 5000), beam_int(99));
  reached = 1;
}

BEAM_TEST_T(task_whose_function_collects_its_heap_still_replies, 30) {
  RUN(collecting_main);
}
