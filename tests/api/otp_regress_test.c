/* SPDX-License-Identifier: MIT */
/*
** otp_regress_test.c: regressions found in review of the OTP layer
** (Supervisor, DynamicSupervisor, Task.Supervisor, Registry), each
** checked against Elixir 1.14 / OTP's supervisor.erl.
*/
#include "../harness/check.h"

#include <string.h>

#define RUN(main_fn) RUN_TO_END((main_fn), 2)

__attribute__((unused)) static int64_t int_of(beam_term_t t) {
  int64_t v = -1;
  beam_get_int(t, &v);
  return v;
}

/* ---- Registry: the link goes with the last entry ---- */

/* {Parent, Reg, Key}: register, unregister, report, wait. */
static void reg_then_unreg(beam_term_t a) {
  beam_term_t parent = beam_tuple_get(a, 0), reg = beam_tuple_get(a, 1);
  beam_term_t r = beam_registry_register(reg, beam_tuple_get(a, 2), beam_nil());
  if (beam_match(r, "{ok, _}") == 1)
    beam_registry_unregister(reg, beam_tuple_get(a, 2));
  beam_send(parent, beam_tuple(2, beam_atom("done"), r));
  beam_receive(BEAM_INFINITY, "never", NULL);
}

static void registry_unlink_root(beam_term_t arg) {
  (void) arg;
  beam_term_t reg = beam_atom("rv_reg"), rpid, r;
  ASSERT_EQ(beam_match(beam_registry_start_link(reg, BEAM_REGISTRY_UNIQUE),
                       "{ok, P}", &rpid),
            1);
  beam_trap_exit(1);
  ASSERT_TERM_EQ(beam_registry_register(reg, beam_atom("held"), beam_nil()),
                 beam_tuple(2, beam_atom("ok"), rpid));
  /* p registers and unregisters; q fails to register a taken key. */
  beam_pid_t p, q;
  beam_term_t pm, qm;
  ASSERT_OK(beam_spawn_monitor(reg_then_unreg,
                               beam_tuple(3, beam_self(), reg, beam_atom("a")),
                               &p, &pm));
  ASSERT_EQ(beam_receive(5000, "{done, R}", &r, NULL), 0);
  ASSERT_OK(beam_spawn_monitor(reg_then_unreg,
                               beam_tuple(3, beam_self(), reg,
                                          beam_atom("held")),
                               &q, &qm));
  ASSERT_EQ(beam_receive(5000, "{done, R}", &r, NULL), 0);
  ASSERT_EQ(beam_match(r, "{error, {already_registered, _}}"), 1);
  /* Elixir 1.14: neither is linked to the registry any more
  ** (unlink_if_unregistered), so stopping it leaves both alive. */
  /* The root started it (start_link): its last unregister keeps that link. */
  ASSERT_OK(beam_registry_unregister(reg, beam_atom("held")));
  ASSERT_OK(beam_gen_server_stop(reg, beam_atom("shutdown"), 5000));
  ASSERT_EQ(beam_receive(5000, "{'EXIT', ~t, shutdown}", rpid, NULL), 0);
  beam_term_t why;
  ASSERT_ERR(beam_receive(300, "{'DOWN', ~t, process, _, R}", pm, &why, NULL),
             BEAM_ETIMEDOUT);
  ASSERT_ERR(beam_receive(300, "{'DOWN', ~t, process, _, R}", qm, &why, NULL),
             BEAM_ETIMEDOUT);
  beam_exit_signal(p, beam_atom("kill"));
  beam_exit_signal(q, beam_atom("kill"));
  reached = 1;
}

BEAM_TEST_T(registry_unlinks_after_last_entry, 20) {
  RUN(registry_unlink_root);
}

/* ---- Misuse: an error term as a request must not hang the caller ---- */

static beam_term_t echo_call(beam_term_t req, beam_term_t from,
                             beam_term_t s) {
  (void) from;
  return beam_tuple(3, beam_atom("reply"), req, s);
}
static const beam_gen_server_t echo = {.handle_call = echo_call};

static void bad_request_root(beam_term_t arg) {
  (void) arg;
  beam_term_t pid, sup, bad = beam_error_term(BEAM_ENOMEM);
  ASSERT_EQ(beam_match(beam_gen_server_start_link(&echo, beam_nil(), NULL),
                       "{ok, P}", &pid),
            1);
  /* The code of the error term, at once (as cast's), not a wait. */
  int64_t t0 = beam_monotonic_ms();
  ASSERT_ERR(beam_gen_server_call_result(pid, bad, BEAM_INFINITY, NULL),
             BEAM_ENOMEM);
  ASSERT_ERR(beam_term_error(beam_gen_server_call(pid, bad, 1000)),
             BEAM_ENOMEM);
  /* The supervisor's calls wait for ever: an id that is an error term
  ** must not make them hang. */
  ASSERT_EQ(beam_match(beam_dynamic_supervisor_start_link(NULL), "{ok, P}",
                       &sup),
            1);
  ASSERT_ERR(beam_term_error(beam_supervisor_terminate_child(sup, bad)),
             BEAM_ENOMEM);
  ASSERT_LT(beam_monotonic_ms() - t0, 500);
  reached = 1;
}

BEAM_TEST_T(gen_server_call_with_error_term_request_returns_its_code, 10) {
  RUN(bad_request_root);
}

/* ---- Registry keys: equal maps built in another order are one key ---- */

static void map_key_root(beam_term_t arg) {
  (void) arg;
  beam_term_t reg = beam_atom("rv_reg2"), rp;
  ASSERT_EQ(beam_match(beam_registry_start_link(reg, BEAM_REGISTRY_UNIQUE),
                       "{ok, P}", &rp),
            1);
  beam_term_t k1 = beam_map_new(), k2 = beam_map_new();
  for (int i = 0; i < 40; i++)
    k1 = beam_map_put(k1, beam_int(i), beam_int(i));
  for (int i = 40; i-- > 0;)
    k2 = beam_map_put(k2, beam_int(i), beam_int(i));
  ASSERT_TRUE(beam_equal(k1, k2));
  ASSERT_EQ(beam_match(beam_registry_register(reg, k1, beam_nil()), "{ok, _}"),
            1);
  ASSERT_EQ(beam_list_length(beam_registry_lookup(reg, k2)), 1);
  beam_term_t s1 = beam_map_put(beam_map_put(beam_map_new(), beam_atom("a"),
                                             beam_int(1)),
                                beam_atom("b"), beam_int(2));
  beam_term_t s2 = beam_map_put(beam_map_put(beam_map_new(), beam_atom("b"),
                                             beam_int(2)),
                                beam_atom("a"), beam_int(1));
  ASSERT_EQ(beam_match(beam_registry_register(reg, s1, beam_nil()), "{ok, _}"),
            1);
  ASSERT_EQ(beam_list_length(beam_registry_lookup(reg, s2)), 1);
  reached = 1;
}

BEAM_TEST_T(registry_equal_map_keys_are_one_key, 10) {
  RUN(map_key_root);
}

/* ---- DynamicSupervisor: children stopped at once on its shutdown ---- */

static beam_term_t slow_init(beam_term_t arg) {
  beam_trap_exit(1);
  return beam_tuple(2, beam_atom("ok"), arg);
}
static void slow_terminate(beam_term_t reason, beam_term_t s) {
  (void) reason;
  beam_sleep(int_of(s));
}
static const beam_gen_server_t slow = {.init = slow_init,
                                       .terminate = slow_terminate};
static beam_term_t slow_start(beam_term_t arg) {
  return beam_gen_server_start_link(&slow, arg, NULL);
}

static void dynsup_stop_root(beam_term_t arg) {
  (void) arg;
  beam_term_t sup;
  ASSERT_EQ(beam_match(beam_dynamic_supervisor_start_link(NULL), "{ok, P}",
                       &sup),
            1);
  beam_child_spec_t c = {.id = beam_nil(), .start = slow_start,
                         .arg = beam_int(300)};
  for (int i = 0; i < 4; i++)
    ASSERT_EQ(beam_match(beam_dynamic_supervisor_start_child(sup, &c),
                         "{ok, _}"),
              1);
  int64_t t0 = beam_monotonic_ms();
  ASSERT_OK(beam_supervisor_stop(sup, beam_atom("normal"), BEAM_INFINITY));
  int64_t took = beam_monotonic_ms() - t0;
  ASSERT_GE(took, 290);
  ASSERT_LT(took, 900); /* not 4 x 300 */
  reached = 1;
}

BEAM_TEST_T(dynamic_supervisor_stops_children_concurrently, 10) {
  RUN(dynsup_stop_root);
}
