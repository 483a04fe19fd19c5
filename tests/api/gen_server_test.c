/* SPDX-License-Identifier: MIT */
/*
** gen_server_test.c: GenServer (include/cbeam/otp.h), one test per rule
** of docs/semantics.md §11 that it covers, named by its id (G1-G19). One
** test server, 'probe', whose requests say what its callbacks should do;
** its terminate reports to 'watcher'. Where a rule has the caller exit or
** die, the caller is a process of its own watched with a monitor.
*/
#include "../harness/check.h"

#include <stdatomic.h>

static beam_pid_t watcher; /* set by each root before it starts servers */

#define RUN(main_fn) RUN_TO_END((main_fn), 2)

static int64_t int_of(beam_term_t t) {
  int64_t v = -1;
  beam_get_int(t, &v);
  return v;
}

/* ---- The probe server ---- */

static beam_term_t p_init(beam_term_t arg) {
  beam_term_t x;
  if (beam_is(arg, "ignore"))
    return arg;
  if (beam_match(arg, "{stop, R}", &x) == 1)
    return arg;
  if (beam_match(arg, "{crash, R}", &x) == 1)
    beam_exit(x);
  if (beam_match(arg, "{sleep, Ms}", &x) == 1)
    beam_sleep(int_of(x));
  if (beam_match(arg, "{timeout, T}", &x) == 1)
    return beam_fmt("{ok, init, ~t}", x);
  if (beam_match(arg, "{continue, C}", &x) == 1) {
    beam_send(beam_self(), beam_atom("queued_first"));
    return beam_fmt("{ok, init, {continue, ~t}}", x);
  }
  if (beam_match(arg, "{whereis, N}", &x) == 1) /* G3: the name is ours */
    return beam_fmt("{stop, ~t}", beam_equal(beam_whereis(x), beam_self())
                                      ? beam_atom("saw_self")
                                      : beam_atom("not_yet"));
  if (beam_is(arg, "trap"))
    beam_trap_exit(1);
  if (beam_is(arg, "bad"))
    return beam_atom("nonsense");
  return beam_fmt("{ok, init}");
}

static beam_term_t p_call(beam_term_t req, beam_term_t from, beam_term_t s) {
  beam_term_t x;
  if (beam_is(req, "ping"))
    return beam_fmt("{reply, pong, ~t}", s);
  if (beam_is(req, "state"))
    return beam_fmt("{reply, ~t, ~t}", s, s);
  if (beam_is(req, "from"))
    return beam_fmt("{reply, ~t, ~t}", from, s);
  if (beam_is(req, "defer"))
    return beam_fmt("{noreply, {deferred, ~t}}", from);
  if (beam_match(req, "{sleep, Ms}", &x) == 1) {
    beam_sleep(int_of(x));
    return beam_fmt("{reply, slept, ~t}", s);
  }
  if (beam_match(req, "{stop_reply, R}", &x) == 1)
    return beam_fmt("{stop, ~t, bye, ~t}", x, s);
  if (beam_match(req, "{stop_noreply, R}", &x) == 1)
    return beam_fmt("{stop, ~t, ~t}", x, s);
  if (beam_match(req, "{crash, R}", &x) == 1)
    beam_exit(x);
  if (beam_match(req, "{timeout_reply, T}", &x) == 1)
    return beam_fmt("{reply, ok, waiting, ~t}", x);
  if (beam_is(req, "self")) /* a server calling itself */
    return beam_fmt("{reply, ~t, ~t}",
                    beam_gen_server_call(beam_self(), beam_atom("ping"), 100),
                    s);
  return beam_atom("not_a_result"); /* G11 */
}

static beam_term_t p_cast(beam_term_t req, beam_term_t s) {
  beam_term_t x, from;
  if (beam_match(req, "{set, V}", &x) == 1)
    return beam_fmt("{noreply, ~t}", x);
  if (beam_match(req, "{append, V}", &x) == 1)
    return beam_fmt("{noreply, ~t}", beam_cons(x, s));
  if (beam_match(req, "{answer, V}", &x) == 1 &&
      beam_match(s, "{deferred, F}", &from) == 1) {
    ASSERT_OK(beam_gen_server_reply(from, x)); /* G7 */
    return beam_fmt("{noreply, answered}");
  }
  if (beam_match(req, "{crash, R}", &x) == 1)
    beam_exit(x);
  return beam_fmt("{noreply, ~t}", s);
}

static beam_term_t p_info(beam_term_t msg, beam_term_t s) {
  if (beam_is_list(s)) /* the cast-order test's state */
    return beam_fmt("{noreply, ~t}", beam_cons(msg, s));
  return beam_fmt("{noreply, {info, ~t}}", msg);
}

static beam_term_t p_continue(beam_term_t c, beam_term_t s) {
  (void) s;
  return beam_fmt("{noreply, {continued, ~t, ~i}}", c,
                  (int) beam_mailbox_len());
}

static void p_terminate(beam_term_t reason, beam_term_t s) {
  if (beam_is_pid(watcher))
    beam_send(watcher, beam_fmt("{terminated, ~t, ~t}", reason, s));
}

static const beam_gen_server_t probe = {p_init, p_call, p_cast, p_info,
                                        p_continue, p_terminate, NULL};
static const beam_gen_server_t bare = {0}; /* every callback missing */

static beam_pid_t start_probe(beam_term_t arg) {
  beam_term_t pid;
  beam_term_t r = beam_gen_server_start_link(&probe, arg, NULL);
  ASSERT_EQ(beam_match(r, "{ok, P}", &pid), 1);
  return pid;
}

/* Unlinked: for servers a test makes crash. */
static beam_pid_t start_alone(beam_term_t arg) {
  beam_term_t pid;
  beam_term_t r = beam_gen_server_start(&probe, arg, NULL);
  ASSERT_EQ(beam_match(r, "{ok, P}", &pid), 1);
  return pid;
}

static beam_term_t down_of(beam_term_t ref) {
  beam_term_t r;
  if (beam_receive(5000, "{'DOWN', ~t, process, _, R}", ref, &r, NULL) != 0)
    return beam_atom("no_down");
  return r;
}

/* The reason a spawned 'fn(arg)' ended with. */
static beam_term_t ends_with(beam_fn_t fn, beam_term_t arg) {
  beam_pid_t p;
  beam_term_t ref;
  ASSERT_OK(beam_spawn_monitor(fn, arg, &p, &ref));
  return down_of(ref);
}

static beam_term_t terminated_within(int64_t ms) {
  beam_term_t r, s;
  if (beam_receive(ms, "{terminated, R, S}", &r, &s, NULL) != 0)
    return beam_atom("not_terminated");
  return beam_tuple(2, r, s);
}

static beam_term_t terminated(void) {
  return terminated_within(2000);
}

/* ---- G1, G2, G4 ---- */

static void starts_stopping(beam_term_t arg) {
  beam_gen_server_start_link(&probe, arg, NULL);
  beam_receive(BEAM_INFINITY, "never", NULL);
}

static void trapping_starter(beam_term_t parent) {
  beam_trap_exit(1);
  beam_term_t r = beam_gen_server_start_link(&probe,
                                             beam_fmt("{stop, boom}"), NULL);
  beam_term_t pid;
  ASSERT_EQ(beam_receive(5000, "{'EXIT', P, boom}", &pid, NULL), 0);
  beam_send(parent, r);
}

static void g1_main(beam_term_t arg) {
  (void) arg;
  watcher = beam_self();
  beam_pid_t s = start_probe(beam_atom("ok"));
  ASSERT_TERM_EQ(beam_gen_server_call(s, beam_atom("ping"), 5000),
                 beam_atom("pong"));
  /* {stop, R}: a non-trapping caller dies of R through the link. */
  ASSERT_TERM_EQ(ends_with(starts_stopping, beam_fmt("{stop, init_failed}")),
                 beam_atom("init_failed"));
  /* A trapping one gets {error, R}, then EXIT(pid, R). */
  beam_pid_t t;
  ASSERT_OK(beam_spawn(trapping_starter, beam_self(), &t));
  beam_term_t m;
  ASSERT_OK(beam_receive_any(5000, &m));
  ASSERT_TERM_EQ(m, beam_fmt("{error, boom}"));
  /* {stop, normal}: the caller survives; ignore; init crashing. */
  ASSERT_TERM_EQ(beam_gen_server_start_link(&probe, beam_fmt("{stop, normal}"),
                                            NULL),
                 beam_fmt("{error, normal}"));
  beam_trap_exit(1);
  ASSERT_TERM_EQ(beam_gen_server_start_link(&probe, beam_atom("ignore"), NULL),
                 beam_atom("ignore"));
  ASSERT_TERM_EQ(beam_gen_server_start_link(&probe, beam_fmt("{crash, oops}"),
                                            NULL),
                 beam_fmt("{error, oops}"));
  ASSERT_EQ(beam_receive(5000, "{'EXIT', _, normal}", NULL), 0); /* ignore */
  ASSERT_EQ(beam_receive(5000, "{'EXIT', _, oops}", NULL), 0);
  /* init too slow: {error, timeout}, killed, and no EXIT for us. */
  beam_gen_server_opts_t o = {.timeout_ms = 50};
  ASSERT_TERM_EQ(beam_gen_server_start_link(&probe, beam_fmt("{sleep, 2000}"),
                                            &o),
                 beam_fmt("{error, timeout}"));
  ASSERT_ERR(beam_receive(100, "{'EXIT', _, _}", NULL), BEAM_ETIMEDOUT);
  ASSERT_TRUE(beam_is_error(beam_gen_server_start_link(NULL, beam_nil(),
                                                       NULL)));
  reached = 1;
}

BEAM_TEST_T(G1_start_link_is_synchronous_with_init_outcomes, 30) {
  RUN(g1_main);
}

static void g2_main(beam_term_t arg) {
  (void) arg;
  ASSERT_TERM_EQ(beam_gen_server_start(&probe, beam_fmt("{stop, init_failed}"),
                                       NULL),
                 beam_fmt("{error, init_failed}"));
  ASSERT_OK(beam_sleep(20)); /* no link: we are still here */
  beam_term_t pid;
  ASSERT_EQ(beam_match(beam_gen_server_start(&probe, beam_atom("ok"), NULL),
                       "{ok, P}", &pid),
            1);
  beam_process_info_t info;
  ASSERT_OK(beam_process_info(beam_self(), &info));
  ASSERT_TRUE(beam_equal(info.links, beam_nil()));
  reached = 1;
}

BEAM_TEST_T(G2_start_unlinked_same_results, 30) {
  RUN(g2_main);
}

/* ---- G3 ---- */

static void g3_main(beam_term_t arg) {
  (void) arg;
  beam_gen_server_opts_t o = {.name = "g3_server"};
  beam_term_t first = beam_gen_server_start_link(&probe, beam_atom("ok"), &o);
  beam_term_t holder;
  ASSERT_EQ(beam_match(first, "{ok, P}", &holder), 1);
  ASSERT_TERM_EQ(beam_gen_server_start_link(&probe, beam_atom("ok"), &o),
                 beam_fmt("{error, {already_started, ~t}}", holder));
  ASSERT_TERM_EQ(beam_gen_server_call(beam_atom("g3_server"),
                                      beam_atom("ping"), 5000),
                 beam_atom("pong")); /* by name, the holder unchanged */
  /* The name is taken before init, and released when init fails. */
  beam_gen_server_opts_t o2 = {.name = "g3_other"};
  ASSERT_TERM_EQ(beam_gen_server_start(&probe,
                                       beam_fmt("{whereis, g3_other}"), &o2),
                 beam_fmt("{error, saw_self}"));
  ASSERT_TRUE(beam_is(beam_whereis(beam_atom("g3_other")), "undefined"));
  reached = 1;
}

BEAM_TEST_T(G3_named_start_already_started_and_name_before_init, 30) {
  RUN(g3_main);
}

/* ---- G5, G6 ---- */

static void calls(beam_term_t arg) {
  beam_gen_server_call(beam_tuple_get(arg, 0), beam_tuple_get(arg, 1),
                       int_of(beam_tuple_get(arg, 2)));
}

static beam_term_t call_exit(beam_term_t server, beam_term_t req,
                             int64_t ms) {
  return ends_with(calls, beam_tuple(3, server, req, beam_int(ms)));
}

static void g5_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t s = start_alone(beam_atom("ok"));
  beam_term_t dead = beam_tuple_get(
      beam_gen_server_start(&probe, beam_atom("ok"), NULL), 1);
  ASSERT_OK(beam_gen_server_stop(dead, beam_atom("normal"), 5000));
  ASSERT_TERM_EQ(call_exit(dead, beam_atom("ping"), 100),
                 beam_fmt("{noproc, {'Elixir.GenServer', call, [~t, ping, "
                          "100]}}",
                          dead));
  ASSERT_TERM_EQ(call_exit(beam_atom("nobody"), beam_atom("ping"), 100),
                 beam_fmt("{noproc, {'Elixir.GenServer', call, [nobody, ping, "
                          "100]}}"));
  ASSERT_TERM_EQ(call_exit(s, beam_fmt("{sleep, 300}"), 50),
                 beam_fmt("{timeout, {'Elixir.GenServer', call, [~t, {sleep, "
                          "300}, 50]}}",
                          s));
  /* The server ends before replying: its reason. */
  beam_term_t r = call_exit(s, beam_fmt("{crash, kaboom}"), 5000);
  ASSERT_TERM_EQ(beam_tuple_get(r, 0), beam_atom("kaboom"));
  /* Calling oneself: calling_self, at once; in a server, it crashes. */
  ASSERT_EQ(beam_gen_server_call_result(beam_self(), beam_atom("ping"), 100,
                                        NULL),
            BEAM_EBADARG);
  beam_pid_t s2 = start_alone(beam_atom("ok"));
  r = call_exit(s2, beam_atom("self"), 1000);
  ASSERT_TRUE(beam_is(beam_tuple_get(beam_tuple_get(r, 0), 0),
                      "calling_self"));
  ASSERT_ERR(beam_term_error(beam_gen_server_call(s, beam_atom("ping"), -3)),
             BEAM_EINVAL);
  reached = 1;
}

BEAM_TEST_T(G5_call_results_and_exits, 30) {
  RUN(g5_main);
}

static void g6_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t s = start_probe(beam_atom("ok"));
  ASSERT_EQ(beam_gen_server_call_result(s, beam_fmt("{sleep, 100}"), 10, NULL),
            BEAM_ETIMEDOUT);
  ASSERT_TERM_EQ(beam_gen_server_call(s, beam_atom("ping"), 5000),
                 beam_atom("pong")); /* it went on serving */
  ASSERT_OK(beam_sleep(50));
  ASSERT_EQ(beam_mailbox_len(), 0); /* the late reply was dropped */
  reached = 1;
}

BEAM_TEST_T(G6_call_timeout_leaves_the_server_and_drops_the_reply, 30) {
  RUN(g6_main);
}

/* ---- G7, G8 ---- */

static void g7_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t s = start_probe(beam_atom("ok"));
  beam_pid_t c;
  /* A caller whose reply comes from a later cast. */
  ASSERT_OK(beam_spawn(calls, beam_tuple(3, s, beam_atom("defer"),
                                         beam_int(5000)),
                       &c));
  beam_term_t ref = beam_monitor(c);
  ASSERT_OK(beam_sleep(30));
  ASSERT_OK(beam_gen_server_cast(s, beam_fmt("{answer, 42}")));
  ASSERT_TERM_EQ(down_of(ref), beam_atom("normal")); /* it got its reply */
  ASSERT_TERM_EQ(beam_gen_server_call(s, beam_atom("state"), 5000),
                 beam_atom("answered"));
  ASSERT_ERR(beam_gen_server_reply(beam_atom("x"), beam_nil()), BEAM_EBADARG);
  reached = 1;
}

BEAM_TEST_T(G7_noreply_then_reply_from_another_callback, 30) {
  RUN(g7_main);
}

static void g8_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t s = start_probe(beam_atom("ok"));
  beam_term_t from = beam_gen_server_call(s, beam_atom("from"), 5000);
  beam_term_t pid, tag;
  ASSERT_EQ(beam_match(from, "{P, T}", &pid, &tag), 1);
  ASSERT_TERM_EQ(pid, beam_self());
  reached = 1;
}

BEAM_TEST_T(G8_from_is_caller_and_tag, 30) {
  RUN(g8_main);
}

/* ---- G9, G10, G11 ---- */

static void g9_main(beam_term_t arg) {
  (void) arg;
  watcher = beam_self();
  beam_trap_exit(1);
  beam_pid_t s = start_probe(beam_atom("ok"));
  beam_term_t ref = beam_monitor(s);
  ASSERT_TERM_EQ(beam_gen_server_call(s, beam_fmt("{stop_reply, done}"), 5000),
                 beam_atom("bye"));
  /* terminate ran before the reply was sent: its report is queued. */
  ASSERT_GE(beam_mailbox_len(), 1);
  ASSERT_TERM_EQ(terminated(), beam_fmt("{done, init}"));
  ASSERT_TERM_EQ(down_of(ref), beam_atom("done"));
  reached = 1;
}

BEAM_TEST_T(G9_stop_with_reply_terminates_then_replies, 30) {
  RUN(g9_main);
}

static void g10_main(beam_term_t arg) {
  (void) arg;
  watcher = beam_self();
  beam_trap_exit(1);
  beam_pid_t s = start_probe(beam_atom("ok"));
  ASSERT_TERM_EQ(call_exit(s, beam_fmt("{stop_noreply, shutdown}"), 5000),
                 beam_fmt("{shutdown, {'Elixir.GenServer', call, [~t, "
                          "{stop_noreply, shutdown}, 5000]}}",
                          s));
  ASSERT_TERM_EQ(terminated(), beam_fmt("{shutdown, init}"));
  reached = 1;
}

BEAM_TEST_T(G10_stop_without_reply_exits_the_caller, 30) {
  RUN(g10_main);
}

static void g11_main(beam_term_t arg) {
  (void) arg;
  watcher = beam_self();
  beam_trap_exit(1);
  beam_pid_t s = start_probe(beam_atom("ok"));
  beam_term_t ref = beam_monitor(s);
  ASSERT_EQ(beam_gen_server_call_result(s, beam_atom("garbage"), 5000, NULL),
            BEAM_EEXITED);
  beam_term_t bad = beam_fmt("{bad_return_value, not_a_result}");
  ASSERT_TERM_EQ(down_of(ref), bad);
  ASSERT_TERM_EQ(terminated(), beam_tuple(2, bad, beam_atom("init")));
  ASSERT_TERM_EQ(beam_gen_server_start(&probe, beam_atom("bad"), NULL),
                 beam_fmt("{error, {bad_return_value, nonsense}}"));
  reached = 1;
}

BEAM_TEST_T(G11_a_bad_return_value_stops_the_server, 30) {
  RUN(g11_main);
}

/* ---- G12, G13, G14, G15 ---- */

static void g12_main(beam_term_t arg) {
  (void) arg;
  ASSERT_OK(beam_gen_server_cast(beam_atom("nobody"), beam_atom("x")));
  beam_term_t dead = beam_tuple_get(
      beam_gen_server_start(&probe, beam_atom("ok"), NULL), 1);
  ASSERT_OK(beam_gen_server_stop(dead, beam_atom("normal"), 5000));
  ASSERT_OK(beam_gen_server_cast(dead, beam_atom("x")));
  /* Casts and plain messages from one sender, in send order. */
  beam_pid_t s = start_probe(beam_atom("ok"));
  ASSERT_OK(beam_gen_server_cast(s, beam_fmt("{set, []}")));
  ASSERT_OK(beam_gen_server_cast(s, beam_fmt("{append, 1}")));
  ASSERT_OK(beam_send(s, beam_int(2)));
  ASSERT_OK(beam_gen_server_cast(s, beam_fmt("{append, 3}")));
  ASSERT_TERM_EQ(beam_gen_server_call(s, beam_atom("state"), 5000),
                 beam_fmt("[3, 2, 1]"));
  reached = 1;
}

BEAM_TEST_T(G12_cast_never_fails_and_keeps_order, 30) {
  RUN(g12_main);
}

static void g13_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t s = start_probe(beam_fmt("{timeout, 50}"));
  ASSERT_OK(beam_sleep(150));
  ASSERT_TERM_EQ(beam_gen_server_call(s, beam_atom("state"), 5000),
                 beam_fmt("{info, timeout}"));
  /* From a reply: a message that comes first cancels it. */
  ASSERT_TERM_EQ(beam_gen_server_call(s, beam_fmt("{timeout_reply, 100}"),
                                      5000),
                 beam_atom("ok"));
  ASSERT_OK(beam_send(s, beam_atom("first")));
  ASSERT_OK(beam_sleep(200));
  ASSERT_TERM_EQ(beam_gen_server_call(s, beam_atom("state"), 5000),
                 beam_fmt("{info, first}"));
  reached = 1;
}

BEAM_TEST_T(G13_timeout_when_no_message_comes, 30) {
  RUN(g13_main);
}

static void g14_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t s = start_probe(beam_fmt("{continue, go}"));
  /* handle_continue ran first, with the message init sent still queued;
  ** the queued message was handled after it. */
  ASSERT_TERM_EQ(beam_gen_server_call(s, beam_atom("state"), 5000),
                 beam_fmt("{info, queued_first}"));
  beam_pid_t s2 = start_probe(beam_fmt("{continue, go}"));
  (void) s2;
  reached = 1;
}

BEAM_TEST_T(G14_continue_runs_before_any_message, 30) {
  RUN(g14_main);
}

static void g15_main(beam_term_t arg) {
  (void) arg;
  beam_term_t r = beam_gen_server_start(&bare, beam_nil(), NULL);
  beam_pid_t s = beam_tuple_get(r, 1);
  ASSERT_OK(beam_send(s, beam_atom("unexpected"))); /* logged, goes on */
  ASSERT_OK(beam_sleep(20));
  ASSERT_EQ(beam_is_alive(s), 1);
  beam_term_t why;
  ASSERT_EQ(beam_gen_server_call_result(s, beam_atom("q"), 5000, &why),
            BEAM_EEXITED);
  ASSERT_TERM_EQ(why, beam_fmt("{bad_call, q}"));
  reached = 1;
}

BEAM_TEST_T(G15_default_callbacks, 30) {
  RUN(g15_main);
}

/* ---- G16, G17 ---- */

static void g16_main(beam_term_t arg) {
  (void) arg;
  watcher = beam_self();
  beam_trap_exit(1);
  beam_pid_t s = start_probe(beam_atom("ok"));
  ASSERT_OK(beam_gen_server_cast(s, beam_fmt("{crash, broken}")));
  ASSERT_TERM_EQ(terminated(), beam_fmt("{broken, init}"));
  reached = 1;
}

BEAM_TEST_T(G16_terminate_runs_when_a_callback_crashes, 30) {
  RUN(g16_main);
}

static void g17_main(beam_term_t arg) {
  (void) arg;
  watcher = beam_self();
  beam_trap_exit(1);
  beam_pid_t s = start_probe(beam_atom("trap"));
  beam_term_t ref = beam_monitor(s);
  ASSERT_OK(beam_exit_signal(s, beam_atom("kill")));
  ASSERT_TERM_EQ(down_of(ref), beam_atom("killed"));
  beam_pid_t s2 = start_probe(beam_atom("ok")); /* does not trap */
  ref = beam_monitor(s2);
  ASSERT_OK(beam_exit_signal(s2, beam_atom("bye")));
  ASSERT_TERM_EQ(down_of(ref), beam_atom("bye"));
  ASSERT_TERM_EQ(terminated_within(200), beam_atom("not_terminated"));
  reached = 1;
}

BEAM_TEST_T(G17_no_terminate_when_killed_by_a_signal, 30) {
  RUN(g17_main);
}

/* ---- G18, G19 ---- */

static void stops(beam_term_t server) {
  beam_gen_server_stop(server, beam_atom("normal"), 1000);
}

static void g18_main(beam_term_t arg) {
  (void) arg;
  watcher = beam_self();
  beam_trap_exit(1);
  beam_pid_t s = start_probe(beam_atom("ok"));
  ASSERT_OK(beam_gen_server_stop(s, beam_atom("done"), BEAM_INFINITY));
  ASSERT_EQ(beam_is_alive(s), 0);
  ASSERT_TERM_EQ(terminated(), beam_fmt("{done, init}"));
  ASSERT_TERM_EQ(ends_with(stops, s),
                 beam_fmt("{noproc, {'Elixir.GenServer', stop, [~t, normal, "
                          "1000]}}",
                          s));
  reached = 1;
}

BEAM_TEST_T(G18_stop_is_synchronous, 30) {
  RUN(g18_main);
}

static void parent_of_trapper(beam_term_t root) {
  beam_pid_t s = start_probe(beam_atom("trap"));
  beam_send(root, beam_tuple(2, beam_atom("server"), s));
  beam_receive(BEAM_INFINITY, "die", NULL);
  beam_exit(beam_atom("parent_gone"));
}

static void g19_main(beam_term_t arg) {
  (void) arg;
  watcher = beam_self();
  beam_pid_t parent, s;
  ASSERT_OK(beam_spawn(parent_of_trapper, beam_self(), &parent));
  ASSERT_EQ(beam_receive(5000, "{server, S}", &s, NULL), 0);
  /* A non-parent's exit signal is only a message to a trapping server. */
  ASSERT_OK(beam_exit_signal(s, beam_atom("not_you")));
  ASSERT_OK(beam_sleep(20));
  ASSERT_EQ(beam_is_alive(s), 1);
  beam_term_t ref = beam_monitor(s);
  ASSERT_OK(beam_send(parent, beam_atom("die")));
  ASSERT_TERM_EQ(terminated(),
                 beam_fmt("{parent_gone, {info, {'EXIT', ~t, not_you}}}",
                          beam_self()));
  ASSERT_TERM_EQ(down_of(ref), beam_atom("parent_gone"));
  reached = 1;
}

BEAM_TEST_T(G19_a_trapping_server_stops_when_its_parent_exits, 30) {
  RUN(g19_main);
}

/* ---- G21: Agent ---- */

static beam_term_t ten(beam_term_t arg) {
  (void) arg;
  return beam_int(10);
}

static beam_term_t add(beam_term_t s, beam_term_t n) {
  return beam_int(int_of(s) + int_of(n));
}

static beam_term_t identity(beam_term_t s, beam_term_t arg) {
  (void) arg;
  return s;
}

static beam_term_t get_and_double(beam_term_t s, beam_term_t arg) {
  (void) arg;
  return beam_tuple(2, s, beam_int(2 * int_of(s)));
}

static void agent_get_of_dead(beam_term_t agent) {
  beam_agent_get(agent, identity, beam_nil(), 100);
}

static void g21_main(beam_term_t arg) {
  (void) arg;
  beam_term_t a;
  ASSERT_EQ(beam_match(beam_agent_start_link(ten, beam_nil(), NULL), "{ok, A}",
                       &a),
            1);
  ASSERT_TERM_EQ(beam_agent_update(a, add, beam_int(1), 5000),
                 beam_atom("ok"));
  ASSERT_TERM_EQ(beam_agent_get(a, identity, beam_nil(), 5000), beam_int(11));
  ASSERT_TERM_EQ(beam_agent_get_and_update(a, get_and_double, beam_nil(), 5000),
                 beam_int(11));
  ASSERT_TERM_EQ(beam_agent_get(a, identity, beam_nil(), 5000), beam_int(22));
  ASSERT_OK(beam_agent_cast(a, add, beam_int(8)));
  ASSERT_TERM_EQ(beam_agent_get(a, identity, beam_nil(), 5000), beam_int(30));
  ASSERT_OK(beam_agent_stop(a, beam_atom("normal"), 5000));
  ASSERT_TERM_EQ(ends_with(agent_get_of_dead, a),
                 beam_fmt("{noproc, {'Elixir.Agent', get, [~t, 100]}}", a));
  ASSERT_ERR(beam_agent_cast(a, NULL, beam_nil()), BEAM_EINVAL);
  ASSERT_TRUE(beam_is_error(beam_agent_start_link(NULL, beam_nil(), NULL)));
  reached = 1;
}

BEAM_TEST_T(G21_agent_get_update_get_and_update_cast_stop, 30) {
  RUN(g21_main);
}

/* ---- G20: crash reports ---- */

static char last_report[4096];
static _Atomic int reports;

static void capture(void *ctx, const beam_crash_t *c) {
  (void) ctx;
  snprintf(last_report, sizeof last_report, "%s", c->text);
  atomic_fetch_add(&reports, 1);
}

static void g20_main(beam_term_t arg) {
  (void) arg;
  beam_trap_exit(1);
  /* Silent: normal, shutdown, {shutdown, _}. */
  beam_pid_t s = start_probe(beam_atom("ok"));
  ASSERT_OK(beam_gen_server_stop(s, beam_atom("shutdown"), 5000));
  s = start_probe(beam_atom("ok"));
  ASSERT_OK(beam_gen_server_stop(s, beam_fmt("{shutdown, done}"), 5000));
  ASSERT_EQ(atomic_load(&reports), 0);
  /* Anything else: a report with the reason, last message and state. */
  s = start_probe(beam_atom("ok"));
  ASSERT_OK(beam_gen_server_cast(s, beam_fmt("{set, {kept, 42}}")));
  ASSERT_OK(beam_gen_server_cast(s, beam_fmt("{crash, broken_here}")));
  beam_term_t ref = beam_monitor(s);
  ASSERT_TERM_EQ(down_of(ref), beam_atom("broken_here"));
  ASSERT_EQ(atomic_load(&reports), 1);
  ASSERT(strstr(last_report, "broken_here") != NULL);
  ASSERT(strstr(last_report,
                "last message: {'$gen_cast',{crash,broken_here}}") != NULL);
  ASSERT(strstr(last_report, "state: {kept,42}") != NULL);
  reached = 1;
}

BEAM_TEST_T(G20_abnormal_ends_are_reported_with_last_message_and_state, 30) {
  beam_set_crash_reporter(capture, NULL);
  RUN(g20_main);
  beam_set_crash_reporter(NULL, NULL);
}

/* format_status: the report shows what it returns instead of the state. */
static beam_term_t hide_secret(beam_term_t state) {
  (void) state;
  return beam_atom("redacted");
}

static const beam_gen_server_t discreet = {.init = p_init,
                                           .handle_cast = p_cast,
                                           .format_status = hide_secret};

static void g20_format_main(beam_term_t arg) {
  (void) arg;
  beam_trap_exit(1);
  beam_term_t s;
  ASSERT_EQ(beam_match(beam_gen_server_start_link(&discreet, beam_atom("ok"),
                                                  NULL),
                       "{ok, P}", &s),
            1);
  ASSERT_OK(beam_gen_server_cast(s, beam_fmt("{set, {password, hunter2}}")));
  ASSERT_OK(beam_gen_server_cast(s, beam_fmt("{crash, oops}")));
  ASSERT_TERM_EQ(down_of(beam_monitor(s)), beam_atom("oops"));
  ASSERT_EQ(atomic_load(&reports), 1);
  ASSERT(strstr(last_report, "state: redacted") != NULL);
  ASSERT(strstr(last_report, "hunter2") == NULL);
  reached = 1;
}

BEAM_TEST_T(G20_format_status_shapes_the_reported_state, 30) {
  atomic_store(&reports, 0);
  beam_set_crash_reporter(capture, NULL);
  RUN(g20_format_main);
  beam_set_crash_reporter(NULL, NULL);
}
