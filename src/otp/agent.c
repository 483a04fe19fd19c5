/* SPDX-License-Identifier: MIT */
/*
** otp/agent.c: Elixir's Agent, a GenServer whose state is a value and
** whose requests are functions of it (SEMANTICS G21), on gen_server.c.
**
** The functions travel in the requests as their addresses (one OS process:
** every process runs the same program), each with an argument term, since
** C has no closures: {get, Fn, Arg}, {update, Fn, Arg}, {get_and_update,
** Fn, Arg} calls and {cast, Fn, Arg} casts. Call errors are GenServer's,
** with 'Elixir.Agent' in the exit reason's context instead (G21).
*/
#include "fnterm.h"

static beam_agent_fn_t fn_at(beam_term_t t) {
  return (beam_agent_fn_t) beam__otp_term_fn(t);
}

/* init's argument: {InitFn, Arg}. */
static beam_term_t a_init(beam_term_t a) {
  beam_agent_init_fn_t init =
      (beam_agent_init_fn_t) beam__otp_term_fn(beam_tuple_get(a, 0));
  return beam_tuple(2, beam_atom("ok"), init(beam_tuple_get(a, 1)));
}

static beam_term_t a_call(beam_term_t req, beam_term_t from, beam_term_t s) {
  (void) from;
  beam_term_t kind = beam_tuple_get(req, 0);
  beam_term_t v = fn_at(beam_tuple_get(req, 1))(s, beam_tuple_get(req, 2));
  if (beam_is(kind, "get"))
    return beam_tuple(3, beam_atom("reply"), v, s);
  if (beam_is(kind, "update"))
    return beam_tuple(3, beam_atom("reply"), beam_atom("ok"), v);
  /* get_and_update: F returns {Ret, New} */
  if (beam_is_tuple(v) && beam_tuple_size(v) == 2)
    return beam_tuple(3, beam_atom("reply"), beam_tuple_get(v, 0),
                      beam_tuple_get(v, 1));
  return v; /* a bad return: the agent stops with {bad_return_value, V} */
}

static beam_term_t a_cast(beam_term_t req, beam_term_t s) {
  return beam_tuple(2, beam_atom("noreply"),
                    fn_at(beam_tuple_get(req, 1))(s, beam_tuple_get(req, 2)));
}

static const beam_gen_server_t agent = {
    .init = a_init, .handle_call = a_call, .handle_cast = a_cast};

beam_term_t beam_agent_start_link(beam_agent_init_fn_t init, beam_term_t arg,
                                  const beam_gen_server_opts_t *opts) {
  if (init == NULL)
    return beam_error_term(BEAM_EINVAL);
  return beam_gen_server_start_link(
      &agent, beam_tuple(2, beam__otp_fn_term((beam__otp_fn_t) init), arg),
      opts);
}

static beam_term_t request(const char *kind, beam_agent_fn_t fn,
                           beam_term_t arg) {
  return beam_tuple(3, beam_atom(kind), beam__otp_fn_term((beam__otp_fn_t) fn),
                    arg);
}

/* A call, with Agent's context in the exit reason. */
static beam_term_t call(beam_term_t agent_ref, const char *kind,
                        beam_agent_fn_t fn, beam_term_t arg,
                        int64_t timeout_ms) {
  if (fn == NULL)
    return beam_error_term(BEAM_EINVAL);
  beam_term_t v;
  int rc = beam_gen_server_call_result(agent_ref, request(kind, fn, arg),
                                       timeout_ms, &v);
  if (rc == 0)
    return v;
  if (rc == BEAM_EINVAL)
    return beam_error_term(rc);
  beam_term_t reason = rc == BEAM_ETIMEDOUT ? beam_atom("timeout")
                       : rc == BEAM_ENOPROC  ? beam_atom("noproc")
                                             : v;
  beam_term_t t = timeout_ms == BEAM_INFINITY ? beam_atom("infinity")
                                              : beam_int(timeout_ms);
  beam_exit(beam_tuple(2, reason,
                       beam_tuple(3, beam_atom("Elixir.Agent"),
                                  beam_atom(kind),
                                  beam_list(2, agent_ref, t))));
}

beam_term_t beam_agent_get(beam_term_t agent_ref, beam_agent_fn_t fn,
                           beam_term_t arg, int64_t timeout_ms) {
  return call(agent_ref, "get", fn, arg, timeout_ms);
}

beam_term_t beam_agent_update(beam_term_t agent_ref, beam_agent_fn_t fn,
                              beam_term_t arg, int64_t timeout_ms) {
  return call(agent_ref, "update", fn, arg, timeout_ms);
}

beam_term_t beam_agent_get_and_update(beam_term_t agent_ref,
                                      beam_agent_fn_t fn, beam_term_t arg,
                                      int64_t timeout_ms) {
  return call(agent_ref, "get_and_update", fn, arg, timeout_ms);
}

int beam_agent_cast(beam_term_t agent_ref, beam_agent_fn_t fn,
                    beam_term_t arg) {
  if (fn == NULL)
    return BEAM_EINVAL;
  return beam_gen_server_cast(agent_ref, request("cast", fn, arg));
}

int beam_agent_stop(beam_term_t agent_ref, beam_term_t reason,
                    int64_t timeout_ms) {
  return beam_gen_server_stop(agent_ref, reason, timeout_ms);
}
