/* SPDX-License-Identifier: MIT */
/*
** failure_test.c: links (L), monitors (N), the registry (R), process rules
** (P5-P8), ordering (O4, O6), process_info (I), exit hooks and crash
** reports. Each test is named by the rules of docs/semantics.md it checks.
*/
#include "../harness/check.h"

static void sleeper(beam_term_t arg) {
  (void) arg;
  beam_receive(BEAM_INFINITY, "stop", NULL);
}

static void exits_with(beam_term_t reason) {
  beam_exit(reason);
}

static beam_term_t down_reason(beam_term_t ref) {
  beam_term_t r = beam_atom("none");
  beam_receive(2000, "{'DOWN', ~t, process, _, R}", ref, &r, NULL);
  return r;
}

/* ---- P ---- */

static void linker(beam_term_t arg) {
  beam_pid_t c;
  ASSERT_OK(beam_spawn_link(exits_with, arg, &c));
  beam_sleep(5000); /* killed by the link long before */
}

static void p_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  beam_term_t ref;
  /* P2: returning is 'normal'. P6: the DOWN comes even for an instant
  ** death. */
  ASSERT_OK(beam_spawn_monitor(sleeper, beam_nil(), &p, &ref));
  ASSERT_OK(beam_send(p, beam_atom("stop")));
  ASSERT_TERM_EQ(down_reason(ref), beam_atom("normal"));
  ASSERT_OK(beam_spawn_monitor(exits_with, beam_atom("early"), &p, &ref));
  ASSERT_TERM_EQ(down_reason(ref), beam_atom("early"));
  /* P5: spawn_link is atomic: the parent dies of the child's reason. */
  ASSERT_OK(beam_spawn_monitor(linker, beam_atom("early"), &p, &ref));
  ASSERT_TERM_EQ(down_reason(ref), beam_atom("early"));
  /* P7: right after exit_signal(P, kill), is_alive(P) is false. */
  for (int i = 0; i < 200; i++) {
    ASSERT_OK(beam_spawn(sleeper, beam_nil(), &p));
    ASSERT_OK(beam_exit_signal(p, beam_atom("kill")));
    ASSERT_EQ(beam_is_alive(p), 0);
    beam_process_info_t info;
    ASSERT_EQ(beam_process_info(p, &info), BEAM_ENOPROC); /* I1 */
  }
  /* P8a / R8: the name is gone by the time the DOWN is seen. */
  ASSERT_OK(beam_spawn_monitor(sleeper, beam_nil(), &p, &ref));
  ASSERT_OK(beam_register(beam_atom("p8"), p));
  ASSERT_OK(beam_exit_signal(p, beam_atom("boom")));
  ASSERT_TERM_EQ(down_reason(ref), beam_atom("boom"));
  ASSERT_TERM_EQ(beam_whereis(beam_atom("p8")), beam_atom("undefined"));
  ASSERT_OK(beam_register(beam_atom("p8"), beam_self()));
  ASSERT_OK(beam_unregister(beam_atom("p8")));
}

BEAM_TEST_T(P2_P5_P6_P7_P8_processes, 30) {
  ASSERT_RAN(beam_run(p_main, beam_nil(), NULL));
}

/* ---- L ---- */

static void l_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t a, dead;
  beam_term_t ref, m, from;
  beam_process_info_t info;
  ASSERT_OK(beam_spawn_monitor(sleeper, beam_nil(), &dead, &ref));
  ASSERT_OK(beam_send(dead, beam_atom("stop")));
  down_reason(ref);
  /* L3, L6, L4: self is a no-op; a non-pid is EINVAL; dead -> ENOPROC
  ** when not trapping, and no message. */
  ASSERT_OK(beam_link(beam_self()));
  ASSERT_EQ(beam_link(beam_atom("name")), BEAM_EINVAL);
  ASSERT_EQ(beam_link(dead), BEAM_ENOPROC);
  ASSERT_EQ(beam_receive_any(50, &m), BEAM_ETIMEDOUT);
  /* L5: trapping: 0 and EXIT(P, noproc). */
  ASSERT_EQ(beam_trap_exit(1), 0); /* X2 */
  ASSERT_OK(beam_link(dead));
  ASSERT_EQ(beam_receive(100, "{'EXIT', ~t, noproc}", dead, NULL), 0);
  /* L1, L2: linking twice gives one link and one EXIT. */
  ASSERT_OK(beam_spawn(sleeper, beam_nil(), &a));
  ASSERT_OK(beam_link(a));
  ASSERT_OK(beam_link(a));
  ASSERT_OK(beam_process_info(a, &info));
  ASSERT_EQ(beam_list_length(info.links), 1);
  ASSERT_TERM_EQ(beam_hd(info.links), beam_self());
  ASSERT_OK(beam_exit_signal(a, beam_atom("boom")));
  ASSERT_EQ(beam_receive(1000, "{'EXIT', From, boom}", &from, NULL), 0);
  ASSERT_TERM_EQ(from, a);
  ASSERT_EQ(beam_receive(100, "{'EXIT', _, _}", NULL), BEAM_ETIMEDOUT);
  /* L10: the link is gone from the survivor. */
  ASSERT_OK(beam_process_info(beam_self(), &info));
  ASSERT_EQ(beam_list_length(info.links), 0);
  /* L7, L8: unlink always 0; afterwards the partner's end has no effect. */
  ASSERT_OK(beam_unlink(dead));
  ASSERT_OK(beam_spawn_link(sleeper, beam_nil(), &a));
  ASSERT_OK(beam_unlink(a));
  ASSERT_OK(beam_exit_signal(a, beam_atom("boom")));
  ASSERT_EQ(beam_receive(100, "{'EXIT', _, _}", NULL), BEAM_ETIMEDOUT);
  /* L9: unlink leaves an EXIT already in the mailbox. */
  ASSERT_OK(beam_spawn_link(exits_with, beam_atom("bye"), &a));
  beam_sleep(50);
  ASSERT_OK(beam_unlink(a));
  ASSERT_EQ(beam_receive(0, "{'EXIT', ~t, bye}", a, NULL), 0);
  /* L12: exit_signal(P, normal) from a linked partner: nothing, link kept. */
  beam_trap_exit(0);
  ASSERT_OK(beam_spawn_link(sleeper, beam_nil(), &a));
  ASSERT_OK(beam_exit_signal(a, beam_atom("normal")));
  beam_sleep(20);
  ASSERT_EQ(beam_is_alive(a), 1);
  ASSERT_OK(beam_process_info(a, &info));
  ASSERT_EQ(beam_list_length(info.links), 1);
  /* L11: a partner ending 'normal' never kills. */
  ASSERT_OK(beam_send(a, beam_atom("stop")));
  beam_sleep(20);
  ASSERT_EQ(beam_is_alive(beam_self()), 1);
}

BEAM_TEST_T(L1_to_L12_links, 30) {
  ASSERT_RAN(beam_run(l_main, beam_nil(), NULL));
}

/* ---- N ---- */

static void n_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t a, dead;
  beam_term_t ref, r2, obj, m;
  beam_process_info_t info;
  /* N1, N2, N5: two monitors, two DOWNs, also for 'normal'. */
  ASSERT_OK(beam_spawn(sleeper, beam_nil(), &a));
  ref = beam_monitor(a);
  r2 = beam_monitor(a);
  ASSERT_TRUE(beam_is_ref(ref) && !beam_equal(ref, r2));
  ASSERT_OK(beam_process_info(a, &info));
  ASSERT_EQ(beam_list_length(info.monitored_by), 2);
  ASSERT_OK(beam_process_info(beam_self(), &info));
  ASSERT_EQ(beam_list_length(info.monitors), 2);
  ASSERT_OK(beam_send(a, beam_atom("stop")));
  ASSERT_TERM_EQ(down_reason(ref), beam_atom("normal"));
  ASSERT_TERM_EQ(down_reason(r2), beam_atom("normal"));
  dead = a;
  /* N3: a dead pid: noproc. N8: a non-pid, non-atom: EINVAL. */
  ref = beam_monitor(dead);
  ASSERT_TERM_EQ(down_reason(ref), beam_atom("noproc"));
  ASSERT_EQ(beam_term_error(beam_monitor(beam_int(3))), BEAM_EINVAL);
  /* N4: by name: {Name, Node}; unregistered: noproc at once. */
  ASSERT_OK(beam_spawn(sleeper, beam_nil(), &a));
  ASSERT_OK(beam_register(beam_atom("n4"), a));
  ref = beam_monitor(beam_atom("n4"));
  ASSERT_OK(beam_exit_signal(a, beam_atom("boom")));
  ASSERT_EQ(beam_receive(1000, "{'DOWN', ~t, process, O, boom}", ref, &obj,
                         NULL),
            0);
  ASSERT_TERM_EQ(obj, beam_fmt("{n4, nonode@nohost}"));
  ref = beam_monitor(beam_atom("n4"));
  ASSERT_EQ(beam_receive(0, "{'DOWN', ~t, process, {n4, _}, noproc}", ref,
                         NULL),
            0);
  /* N6: self: a ref, nothing else. */
  ref = beam_monitor(beam_self());
  ASSERT_TRUE(beam_is_ref(ref));
  ASSERT_OK(beam_process_info(beam_self(), &info));
  ASSERT_EQ(beam_list_length(info.monitors), 0);
  /* N7 (with X7): killed. */
  ASSERT_OK(beam_spawn_monitor(sleeper, beam_nil(), &a, &ref));
  ASSERT_OK(beam_exit_signal(a, beam_atom("kill")));
  ASSERT_TERM_EQ(down_reason(ref), beam_atom("killed"));
  /* N9: demonitor leaves a queued DOWN; N10 flush removes it. */
  ASSERT_OK(beam_spawn_monitor(exits_with, beam_atom("x"), &a, &ref));
  beam_sleep(50);
  ASSERT_EQ(beam_demonitor(ref, 0), 1);
  ASSERT_EQ(beam_receive(0, "{'DOWN', ~t, _, _, _}", ref, NULL), 0);
  ASSERT_OK(beam_spawn_monitor(exits_with, beam_atom("x"), &a, &ref));
  beam_sleep(50);
  /* N12: fired: flush+info -> 0 and the DOWN removed. */
  ASSERT_EQ(beam_demonitor(ref, BEAM_DEMONITOR_FLUSH | BEAM_DEMONITOR_INFO),
            0);
  ASSERT_EQ(beam_receive(0, "{'DOWN', ~t, _, _, _}", ref, NULL),
            BEAM_ETIMEDOUT);
  /* N11, N15: active -> 1, then no DOWN ever; twice -> 0. */
  ASSERT_OK(beam_spawn_monitor(sleeper, beam_nil(), &a, &ref));
  ASSERT_EQ(beam_demonitor(ref, BEAM_DEMONITOR_INFO), 1);
  ASSERT_EQ(beam_demonitor(ref, BEAM_DEMONITOR_INFO), 0);
  ASSERT_EQ(beam_demonitor(ref, 0), 1);
  ASSERT_OK(beam_exit_signal(a, beam_atom("kill")));
  ASSERT_EQ(beam_receive(100, "{'DOWN', ~t, _, _, _}", ref, NULL),
            BEAM_ETIMEDOUT);
  /* N13: a foreign ref: harmless. */
  ASSERT_EQ(beam_demonitor(beam_make_ref(), 0), 1);
  ASSERT_EQ(beam_demonitor(beam_make_ref(), BEAM_DEMONITOR_INFO), 0);
  ASSERT_EQ(beam_demonitor(beam_atom("x"), 0), BEAM_EINVAL);
  /* X15: a monitor never kills the monitoring process. */
  ASSERT_EQ(beam_receive_any(0, &m), BEAM_ETIMEDOUT);
}

BEAM_TEST_T(N1_to_N15_monitors, 30) {
  ASSERT_RAN(beam_run(n_main, beam_nil(), NULL));
}

/* ---- R, M3-M5 ---- */

static void r_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t a, b, dead;
  beam_term_t ref, m;
  ASSERT_OK(beam_spawn(sleeper, beam_nil(), &a));
  ASSERT_OK(beam_spawn(sleeper, beam_nil(), &b));
  ASSERT_OK(beam_spawn_monitor(exits_with, beam_atom("normal"), &dead, &ref));
  down_reason(ref);
  ASSERT_OK(beam_register(beam_atom("ra"), a)); /* R1 */
  ASSERT_TERM_EQ(beam_whereis(beam_atom("ra")), a);
  ASSERT_TRUE(beam_match(beam_registered(), "[ra]"));
  ASSERT_EQ(beam_register(beam_atom("ra"), b), BEAM_EBADARG); /* R2 */
  ASSERT_EQ(beam_register(beam_atom("ra"), a), BEAM_EBADARG);
  ASSERT_EQ(beam_register(beam_atom("rb"), a), BEAM_EBADARG); /* R3 */
  ASSERT_EQ(beam_register(beam_atom("rb"), dead), BEAM_EBADARG); /* R4 */
  ASSERT_EQ(beam_register(beam_atom("undefined"), b), BEAM_EBADARG); /* R5 */
  ASSERT_EQ(beam_register(beam_int(1), b), BEAM_EBADARG);
  ASSERT_TERM_EQ(beam_whereis(beam_atom("nobody")),
                 beam_atom("undefined")); /* R6 */
  beam_process_info_t info;
  ASSERT_OK(beam_process_info(a, &info));
  ASSERT_TERM_EQ(info.registered_name, beam_atom("ra")); /* R11 */
  ASSERT_OK(beam_process_info(b, &info));
  ASSERT_TERM_EQ(info.registered_name, beam_nil());
  /* R9: send by name resolves at send time. M4: {Name, Node}. */
  ASSERT_OK(beam_register(beam_atom("me"), beam_self()));
  ASSERT_OK(beam_send(beam_atom("me"), beam_atom("hi")));
  ASSERT_OK(beam_send(beam_fmt("{me, nonode@nohost}"), beam_atom("hi2")));
  ASSERT_EQ(beam_receive(0, "hi", NULL), 0);
  ASSERT_EQ(beam_receive(0, "hi2", NULL), 0);
  ASSERT_OK(beam_unregister(beam_atom("me")));
  ASSERT_EQ(beam_send(beam_atom("me"), beam_atom("x")), BEAM_EBADARG); /* M3 */
  ASSERT_OK(beam_send(beam_fmt("{me, nonode@nohost}"), beam_atom("x")));
  ASSERT_EQ(beam_send(beam_int(5), beam_atom("x")), BEAM_EINVAL); /* M5 */
  /* R7: anyone may unregister any name; the holder keeps running. */
  ASSERT_OK(beam_unregister(beam_atom("ra")));
  ASSERT_EQ(beam_unregister(beam_atom("ra")), BEAM_EBADARG);
  ASSERT_EQ(beam_is_alive(a), 1);
  ASSERT_OK(beam_register(beam_atom("ra"), b));
  ASSERT_EQ(beam_receive_any(0, &m), BEAM_ETIMEDOUT);
}

BEAM_TEST_T(R1_to_R11_registry_and_M3_M4_M5_send_by_name, 30) {
  ASSERT_RAN(beam_run(r_main, beam_nil(), NULL));
}

/* ---- O4, O6, I4 ---- */

static void sends_then_exits(beam_term_t to) {
  for (int i = 0; i < 1000; i++)
    ASSERT_OK(beam_send(to, beam_fmt("{m, ~i}", (int64_t) i)));
  beam_exit(beam_atom("done"));
}

static void o_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t a;
  beam_term_t ref;
  beam_trap_exit(1);
  /* O6: every message before the EXIT and the DOWN (both), on 2
  ** schedulers. */
  for (int round = 0; round < 20; round++) {
    ASSERT_OK(beam_spawn_opt(sends_then_exits, beam_self(),
                             &(beam_spawn_opts_t){
                                 .flags = BEAM_SPAWN_LINK | BEAM_SPAWN_MONITOR,
                                 .monitor_ref = &ref},
                             &a));
    for (int64_t i = 0; i < 1000; i++) {
      beam_term_t m;
      ASSERT_OK(beam_receive_any(2000, &m));
      ASSERT_TERM_EQ(m, beam_fmt("{m, ~i}", i));
    }
    /* O7: our fixed order is EXIT, then DOWN. */
    ASSERT_EQ(beam_receive(2000, "{'EXIT', ~t, done}", a, NULL), 0);
    ASSERT_EQ(beam_receive(1000, "{'DOWN', ~t, process, _, done}", ref, NULL),
              0);
  }
  /* I4: a process blocked in receive reports 'waiting'; self 'running'. */
  ASSERT_OK(beam_spawn(sleeper, beam_nil(), &a));
  beam_sleep(10);
  beam_process_info_t info;
  ASSERT_OK(beam_process_info(a, &info));
  ASSERT_TERM_EQ(info.status, beam_atom("waiting"));
  ASSERT_TRUE(info.initial_function != NULL); /* a static fn has no symbol */
  ASSERT_OK(beam_process_info(beam_self(), &info));
  ASSERT_TERM_EQ(info.status, beam_atom("running"));
  ASSERT_EQ(info.trap_exit, 1);
  ASSERT_GT(info.stack_bytes, 0);
}

BEAM_TEST_T(O4_O6_order_and_I2_I4_process_info, 60) {
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(o_main, beam_nil(), &cfg));
}

/* ---- Exit hooks, crash reports ---- */

static void hook(void *ctx, beam_term_t reason) {
  beam_pid_t to = *(beam_pid_t *) ctx;
  beam_send(to, beam_fmt("{hook, ~t}", reason));
}

static void hooked(beam_term_t root) {
  static beam_pid_t roots[1];
  roots[0] = root;
  ASSERT_OK(beam_on_exit(hook, &roots[0]));
  ASSERT_OK(beam_on_exit(hook, &roots[0]));
  ASSERT_OK(beam_on_exit_remove(hook, &roots[0]));
  ASSERT_EQ(beam_on_exit_remove(hook, NULL), BEAM_ENOENT);
  beam_receive(BEAM_INFINITY, "never", NULL);
}

static int reports;
static char last_report[512];

static void count_reports(void *ctx, const beam_crash_t *c) {
  (void) ctx;
  reports++;
  snprintf(last_report, sizeof last_report, "%s", c->text);
}

static void hooks_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t a;
  beam_term_t ref;
  /* A hook runs whatever the reason, even an untrappable kill. */
  ASSERT_OK(beam_spawn_monitor(hooked, beam_self(), &a, &ref));
  beam_sleep(20);
  ASSERT_OK(beam_exit_signal(a, beam_atom("kill")));
  ASSERT_EQ(beam_receive(1000, "{hook, killed}", NULL), 0);
  ASSERT_EQ(beam_receive(100, "{hook, _}", NULL), BEAM_ETIMEDOUT);
  down_reason(ref);
  /* Reports: an unwatched abnormal self-exit, not a watched one, not a
  ** kill, not 'shutdown'. */
  beam_set_crash_reporter(count_reports, NULL);
  ASSERT_OK(beam_spawn(exits_with, beam_atom("boom"), &a));
  ASSERT_OK(beam_spawn(exits_with, beam_atom("shutdown"), &a));
  ASSERT_OK(beam_spawn_monitor(exits_with, beam_atom("boom"), &a, &ref));
  down_reason(ref);
  beam_sleep(50);
  ASSERT_EQ(reports, 1);
  ASSERT_TRUE(strstr(last_report, "boom") != NULL);
  beam_set_crash_reporter(NULL, NULL);
  ASSERT_OK(beam_spawn(exits_with, beam_atom("boom"), &a));
  beam_sleep(20);
  ASSERT_EQ(reports, 1);
}

BEAM_TEST_T(exit_hooks_and_crash_reports, 30) {
  beam_config_t cfg = {.schedulers = 1};
  ASSERT_RAN(beam_run(hooks_main, beam_nil(), &cfg));
}
