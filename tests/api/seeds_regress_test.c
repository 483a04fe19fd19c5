/* SPDX-License-Identifier: MIT */
/*
** seeds_regress_test.c: regressions found while writing the seed programs
** of examples/ (database_server, server_process, order_system,
** background_job) on the OTP layer.
**
** 1. GenServer's {Name, Node}: the layer looked up Name whatever Node
**    said, so a call or cast to {kv, 'other@host'} reached the local
**    server named kv. As in Elixir, a call to another node (cbeam has no
**    distribution) now exits with {{nodedown, Node}, {'Elixir.GenServer',
**    call, [...]}} (call_result: BEAM_EEXITED with reason {nodedown,
**    Node}); a cast to it is dropped; {Name, nonode@nohost} is this node.
*/
#include "../harness/check.h"

#define RUN(main_fn) RUN_TO_END((main_fn), 2)

/* A server that counts what it was sent: 'ping' (call) and any cast add
** one; 'count' (call) answers the count. */
static beam_term_t n_init(beam_term_t arg) {
  (void) arg;
  return beam_fmt("{ok, 0}");
}

static int64_t int_of(beam_term_t t) {
  int64_t v = -1;
  beam_get_int(t, &v);
  return v;
}

static beam_term_t n_call(beam_term_t req, beam_term_t from, beam_term_t n) {
  (void) from;
  if (beam_is(req, "count"))
    return beam_fmt("{reply, ~t, ~t}", n, n);
  return beam_fmt("{reply, pong, ~i}", int_of(n) + 1);
}

static beam_term_t n_cast(beam_term_t req, beam_term_t n) {
  (void) req;
  return beam_fmt("{noreply, ~i}", int_of(n) + 1);
}

static const beam_gen_server_t counting = {
    .init = n_init, .handle_call = n_call, .handle_cast = n_cast};

/* Calls {seeds_n, other@host} and must exit. */
static void calls_other_node(beam_term_t arg) {
  (void) arg;
  beam_gen_server_call(beam_fmt("{seeds_n, 'other@host'}"), beam_atom("ping"),
                       1000);
  beam_exit(beam_atom("call_returned"));
}

static void name_node_main(beam_term_t arg) {
  (void) arg;
  beam_gen_server_opts_t o = {.name = "seeds_n"};
  beam_term_t pid;
  ASSERT_EQ(beam_match(beam_gen_server_start_link(&counting, beam_nil(), &o),
                       "{ok, P}", &pid),
            1);
  beam_term_t here = beam_fmt("{seeds_n, nonode@nohost}");
  beam_term_t there = beam_fmt("{seeds_n, 'other@host'}");
  /* This node: served. */
  ASSERT_TERM_EQ(beam_gen_server_call(here, beam_atom("ping"), 1000),
                 beam_atom("pong"));
  /* Another node: not the local seeds_n. */
  beam_term_t why = beam_nil();
  ASSERT_ERR(beam_gen_server_call_result(there, beam_atom("ping"), 1000, &why),
             BEAM_EEXITED);
  ASSERT_TERM_EQ(why, beam_fmt("{nodedown, 'other@host'}"));
  ASSERT_OK(beam_gen_server_cast(there, beam_atom("bump")));
  ASSERT_TERM_EQ(beam_gen_server_call(here, beam_atom("count"), 1000),
                 beam_int(1)); /* neither the call nor the cast got there */
  /* The exiting form: Elixir's reason. */
  beam_pid_t c;
  beam_term_t ref;
  ASSERT_OK(beam_spawn_monitor(calls_other_node, beam_nil(), &c, &ref));
  beam_term_t r = beam_nil();
  ASSERT_EQ(beam_receive(5000, "{'DOWN', ~t, process, _, R}", ref, &r, NULL),
            0);
  ASSERT_TERM_EQ(r, beam_fmt("{{nodedown, 'other@host'}, {'Elixir.GenServer', "
                             "call, [{seeds_n, 'other@host'}, ping, 1000]}}"));
  ASSERT_OK(beam_gen_server_stop(pid, beam_atom("normal"), 1000));
  reached = 1;
}

BEAM_TEST_T(gen_server_name_on_another_node_is_not_the_local_name, 30) {
  RUN(name_node_main);
}
