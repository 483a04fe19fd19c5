/* SPDX-License-Identifier: MIT */
/*
** registry_test.c: Registry (include/cbeam/otp.h, docs/otp.md
** "Registry") and GenServer's {via, 'Elixir.Registry', {Reg, Key}} names.
** Each expectation was checked against Elixir 1.14 (docs/otp.md lists
** them). A registrant that must die or act elsewhere is a process of its
** own: it registers, reports 'ready' to the root and waits.
*/
#include "../harness/check.h"

#define RUN(main_fn) RUN_TO_END((main_fn), 2)

static beam_term_t reg_u(void) {
  return beam_atom("reg_u");
}
static beam_term_t reg_d(void) {
  return beam_atom("reg_d");
}

static beam_pid_t start_registry(beam_term_t name, beam_registry_keys_t k) {
  beam_term_t pid;
  beam_term_t r = beam_registry_start_link(name, k);
  ASSERT_EQ(beam_match(r, "{ok, P}", &pid), 1);
  return pid;
}

static beam_term_t ok_of(beam_pid_t pid) {
  return beam_tuple(2, beam_atom("ok"), pid);
}

/* ---- A registrant: {Parent, Reg, Key, Value}: registers, sends
** {registered, Result}, then waits for 'go' and for what to do. ---- */

static void registrant(beam_term_t a) {
  beam_term_t parent = beam_tuple_get(a, 0), reg = beam_tuple_get(a, 1);
  beam_term_t r = beam_registry_register(reg, beam_tuple_get(a, 2),
                                         beam_tuple_get(a, 3));
  beam_send(parent, beam_tuple(2, beam_atom("registered"), r));
  beam_term_t what, key, msg;
  for (;;) {
    switch (beam_receive(BEAM_INFINITY, "{exit, R}", &what, "{unregister, K}",
                         &key, "return", "{reg, K, V}", &key, &what,
                         "{dispatched, M}", &msg, NULL)) {
    case 0:
      beam_exit(what);
    case 1:
      beam_send(parent, beam_tuple(2, beam_atom("unregistered"),
                                   beam_int(beam_registry_unregister(reg, key))));
      break;
    case 2:
      return;
    case 3:
      beam_send(parent, beam_tuple(2, beam_atom("registered"),
                                   beam_registry_register(reg, key, what)));
      break;
    case 4: /* from dispatch: tell the root */
      beam_send(parent, beam_tuple(2, beam_atom("got"), msg));
      break;
    }
  }
}

static beam_pid_t spawn_registrant(beam_term_t reg, beam_term_t key,
                                   beam_term_t value, beam_term_t *mref,
                                   beam_term_t *result) {
  beam_pid_t pid;
  ASSERT_OK(beam_spawn_monitor(registrant,
                               beam_tuple(4, beam_self(), reg, key, value),
                               &pid, mref));
  beam_term_t r;
  ASSERT_EQ(beam_receive(5000, "{registered, R}", &r, NULL), 0);
  if (result)
    *result = r;
  return pid;
}

static beam_term_t wait_down(beam_term_t mref) {
  beam_term_t why;
  ASSERT_EQ(beam_receive(5000, "{'DOWN', ~t, process, _, R}", mref, &why,
                         NULL),
            0);
  return why;
}

/* ---- Unique keys ---- */

static void unique_root(beam_term_t arg) {
  (void) arg;
  beam_pid_t rp = start_registry(reg_u(), BEAM_REGISTRY_UNIQUE);
  ASSERT_TERM_EQ(beam_whereis(reg_u()), rp); /* Process.whereis(Name) */
  beam_term_t k = beam_string("k");
  ASSERT_TERM_EQ(beam_registry_register(reg_u(), k, beam_atom("v1")),
                 ok_of(rp));
  ASSERT_TERM_EQ(beam_registry_lookup(reg_u(), k),
                 beam_list(1, beam_tuple(2, beam_self(), beam_atom("v1"))));
  ASSERT_TERM_EQ(beam_registry_lookup(reg_u(), beam_string("nope")),
                 beam_nil());
  /* The caller itself cannot take it twice. */
  ASSERT_TERM_EQ(beam_registry_register(reg_u(), k, beam_atom("v2")),
                 beam_fmt("{error, {already_registered, ~t}}", beam_self()));
  /* Nor can another process. */
  beam_term_t mref, r;
  beam_pid_t other = spawn_registrant(reg_u(), k, beam_atom("v3"), &mref, &r);
  ASSERT_TERM_EQ(r, beam_fmt("{error, {already_registered, ~t}}", beam_self()));
  beam_send(other, beam_atom("return"));
  wait_down(mref);
  /* Keys compare with =:= (ETS): 1 and 1.0 differ. */
  ASSERT_TERM_EQ(beam_registry_register(reg_u(), beam_int(1), beam_nil()),
                 ok_of(rp));
  ASSERT_TERM_EQ(beam_registry_lookup(reg_u(), beam_float(1.0)), beam_nil());
  ASSERT_EQ(beam_registry_count(reg_u()), 2);
  ASSERT_TERM_EQ(beam_registry_keys(reg_u(), beam_self()),
                 beam_list(2, beam_int(1), k)); /* newest first */
  ASSERT_TERM_EQ(beam_registry_whereis_name(beam_tuple(2, reg_u(), k)),
                 beam_self());
  ASSERT_TERM_EQ(beam_registry_whereis_name(
                     beam_tuple(2, reg_u(), beam_atom("zz"))),
                 beam_atom("undefined"));
  reached = 1;
}

BEAM_TEST_T(registry_unique_register_lookup, 20) {
  RUN(unique_root);
}

/* A key whose encoding is larger than the search's stack buffer. */
static void big_key_root(beam_term_t arg) {
  (void) arg;
  start_registry(reg_u(), BEAM_REGISTRY_UNIQUE);
  char text[2000];
  memset(text, 'x', sizeof text - 1);
  text[sizeof text - 1] = 0;
  beam_term_t k = beam_tuple(2, beam_string(text), beam_int(7));
  beam_term_t v = beam_list(3, beam_int(1), beam_string(text), beam_nil());
  ASSERT_EQ(beam_match(beam_registry_register(reg_u(), k, v), "{ok, _}"), 1);
  ASSERT_TERM_EQ(beam_registry_lookup(reg_u(),
                                      beam_tuple(2, beam_string(text),
                                                 beam_int(7))),
                 beam_list(1, beam_tuple(2, beam_self(), v)));
  ASSERT_TERM_EQ(beam_registry_keys(reg_u(), beam_self()), beam_list(1, k));
  ASSERT_OK(beam_registry_unregister(reg_u(), k));
  ASSERT_EQ(beam_registry_count(reg_u()), 0);
  reached = 1;
}

BEAM_TEST_T(registry_big_key, 20) {
  RUN(big_key_root);
}

/* ---- Duplicate keys ---- */

static void duplicate_root(beam_term_t arg) {
  (void) arg;
  beam_pid_t rp = start_registry(reg_d(), BEAM_REGISTRY_DUPLICATE);
  beam_term_t t = beam_string("t");
  ASSERT_TERM_EQ(beam_registry_register(reg_d(), t, beam_int(1)), ok_of(rp));
  ASSERT_TERM_EQ(beam_registry_register(reg_d(), t, beam_int(2)), ok_of(rp));
  ASSERT_TERM_EQ(beam_registry_register(reg_d(), beam_string("u"),
                                        beam_int(3)),
                 ok_of(rp));
  beam_term_t mref;
  beam_pid_t other =
      spawn_registrant(reg_d(), t, beam_atom("other"), &mref, NULL);
  /* In the order they were registered. */
  ASSERT_TERM_EQ(beam_registry_lookup(reg_d(), t),
                 beam_list(3, beam_tuple(2, beam_self(), beam_int(1)),
                           beam_tuple(2, beam_self(), beam_int(2)),
                           beam_tuple(2, other, beam_atom("other"))));
  ASSERT_TERM_EQ(beam_registry_keys(reg_d(), beam_self()),
                 beam_list(3, beam_string("u"), t, t));
  ASSERT_EQ(beam_registry_count(reg_d()), 4);
  /* Unregister takes all of the caller's entries under the key, and only
  ** the caller's. */
  ASSERT_OK(beam_registry_unregister(reg_d(), t));
  ASSERT_TERM_EQ(beam_registry_lookup(reg_d(), t),
                 beam_list(1, beam_tuple(2, other, beam_atom("other"))));
  ASSERT_EQ(beam_registry_count(reg_d()), 2);
  /* :via is not supported for duplicate registries. */
  ASSERT_ERR(beam_term_error(
                 beam_registry_whereis_name(beam_tuple(2, reg_d(), t))),
             BEAM_EBADARG);
  beam_send(other, beam_atom("return"));
  wait_down(mref);
  ASSERT_TERM_EQ(beam_registry_lookup(reg_d(), t), beam_nil());
  reached = 1;
}

BEAM_TEST_T(registry_duplicate, 20) {
  RUN(duplicate_root);
}

/* ---- Unregister removes only the caller's entries ---- */

static void unregister_root(beam_term_t arg) {
  (void) arg;
  start_registry(reg_u(), BEAM_REGISTRY_UNIQUE);
  beam_term_t k = beam_atom("mine");
  ASSERT_EQ(beam_match(beam_registry_register(reg_u(), k, beam_int(1)),
                       "{ok, _}"),
            1);
  beam_term_t mref, n;
  beam_pid_t other = spawn_registrant(reg_u(), beam_atom("theirs"),
                                      beam_int(2), &mref, NULL);
  /* The other process unregisters my key: ok, and nothing happens. */
  beam_send(other, beam_tuple(2, beam_atom("unregister"), k));
  ASSERT_EQ(beam_receive(5000, "{unregistered, N}", &n, NULL), 0);
  ASSERT_TERM_EQ(n, beam_int(0));
  ASSERT_TERM_EQ(beam_registry_lookup(reg_u(), k),
                 beam_list(1, beam_tuple(2, beam_self(), beam_int(1))));
  /* I unregister theirs: ok, nothing happens. */
  ASSERT_OK(beam_registry_unregister(reg_u(), beam_atom("theirs")));
  ASSERT_TERM_EQ(beam_registry_lookup(reg_u(), beam_atom("theirs")),
                 beam_list(1, beam_tuple(2, other, beam_int(2))));
  /* A key nobody has: ok. */
  ASSERT_OK(beam_registry_unregister(reg_u(), beam_atom("nobody")));
  ASSERT_OK(beam_registry_unregister(reg_u(), k));
  ASSERT_TERM_EQ(beam_registry_lookup(reg_u(), k), beam_nil());
  /* The key is free again, for another process too. */
  beam_send(other, beam_fmt("{reg, mine, 3}"));
  beam_term_t r;
  ASSERT_EQ(beam_receive(5000, "{registered, R}", &r, NULL), 0);
  ASSERT_EQ(beam_match(r, "{ok, _}"), 1);
  ASSERT_TERM_EQ(beam_registry_keys(reg_u(), other),
                 beam_list(2, k, beam_atom("theirs")));
  ASSERT_TERM_EQ(beam_registry_keys(reg_u(), beam_self()), beam_nil());
  beam_send(other, beam_atom("return"));
  wait_down(mref);
  reached = 1;
}

BEAM_TEST_T(registry_unregister_own_only, 20) {
  RUN(unregister_root);
}

/* ---- A dead process's entries are gone by its DOWN, however it dies ---- */

static void die_root(beam_term_t how) {
  beam_pid_t rp = start_registry(reg_d(), BEAM_REGISTRY_DUPLICATE);
  beam_term_t mref, r;
  beam_pid_t p = spawn_registrant(reg_d(), beam_atom("d"), beam_int(1), &mref,
                                  &r);
  ASSERT_TERM_EQ(r, ok_of(rp));
  beam_send(p, beam_fmt("{reg, e, 2}"));
  ASSERT_EQ(beam_receive(5000, "{registered, _}", NULL), 0);
  ASSERT_TERM_EQ(beam_registry_keys(reg_d(), p),
                 beam_list(2, beam_atom("e"), beam_atom("d")));
  ASSERT_EQ(beam_registry_count(reg_d()), 2);
  if (beam_is(how, "kill"))
    ASSERT_OK(beam_exit_signal(p, beam_atom("kill")));
  else if (beam_is(how, "signal"))
    ASSERT_OK(beam_exit_signal(p, beam_atom("boom")));
  else if (beam_is(how, "crash"))
    beam_send(p, beam_fmt("{exit, boom}"));
  else
    beam_send(p, beam_atom("return"));
  wait_down(mref);
  /* At once, with no wait. */
  ASSERT_TERM_EQ(beam_registry_lookup(reg_d(), beam_atom("d")), beam_nil());
  ASSERT_TERM_EQ(beam_registry_lookup(reg_d(), beam_atom("e")), beam_nil());
  ASSERT_TERM_EQ(beam_registry_keys(reg_d(), p), beam_nil());
  ASSERT_EQ(beam_registry_count(reg_d()), 0);
  ASSERT_EQ(beam_is_alive(rp), 1); /* the registry traps its EXIT */
  reached = 1;
}

static void run_die(const char *how) {
  beam_config_t cfg = {.schedulers = 2};
  reached = 0;
  ASSERT_RAN(beam_run(die_root, beam_atom(how), &cfg));
  ASSERT_EQ(reached, 1);
}

BEAM_TEST_T(registry_dead_entries_gone_return, 20) {
  run_die("return");
}
BEAM_TEST_T(registry_dead_entries_gone_crash, 20) {
  beam_set_crash_reporter(NULL, NULL);
  run_die("crash");
}
BEAM_TEST_T(registry_dead_entries_gone_exit_signal, 20) {
  run_die("signal");
}
BEAM_TEST_T(registry_dead_entries_gone_kill, 20) {
  run_die("kill");
}

/* ---- dispatch ---- */

static int calls;

static void send_each(beam_term_t entries, void *ctx) {
  calls++;
  beam_term_t msg = *(beam_term_t *) ctx;
  for (beam_term_t l = entries; beam_type(l) == BEAM_T_LIST; l = beam_tl(l))
    beam_send(beam_tuple_get(beam_hd(l), 0),
              beam_tuple(2, beam_atom("dispatched"), msg));
}

static void dispatch_root(beam_term_t arg) {
  (void) arg;
  start_registry(reg_d(), BEAM_REGISTRY_DUPLICATE);
  beam_term_t topic = beam_string("hello");
  beam_term_t m1, m2;
  beam_pid_t a = spawn_registrant(reg_d(), topic, beam_int(1), &m1, NULL);
  beam_pid_t b = spawn_registrant(reg_d(), topic, beam_int(2), &m2, NULL);
  beam_term_t msg = beam_string("world");
  calls = 0;
  ASSERT_OK(beam_registry_dispatch(reg_d(), topic, send_each, &msg));
  ASSERT_EQ(calls, 1); /* once, with every entry */
  beam_term_t got;
  for (int i = 0; i < 2; i++) {
    ASSERT_EQ(beam_receive(5000, "{got, M}", &got, NULL), 0);
    ASSERT_TERM_EQ(got, msg);
  }
  /* No entries: the function is not called. */
  ASSERT_OK(beam_registry_dispatch(reg_d(), beam_string("none"), send_each,
                                   &msg));
  ASSERT_EQ(calls, 1);
  ASSERT_ERR(beam_registry_dispatch(reg_d(), topic, NULL, NULL), BEAM_EINVAL);
  ASSERT_ERR(beam_registry_dispatch(beam_atom("no_such_registry"), topic,
                                    send_each, &msg),
             BEAM_ENOENT);
  beam_send(a, beam_atom("return"));
  beam_send(b, beam_atom("return"));
  wait_down(m1);
  wait_down(m2);
  reached = 1;
}

BEAM_TEST_T(registry_dispatch, 20) {
  RUN(dispatch_root);
}

/* ---- Bad arguments ---- */

static void errors_root(beam_term_t arg) {
  (void) arg;
  beam_pid_t rp = start_registry(reg_u(), BEAM_REGISTRY_UNIQUE);
  beam_term_t none = beam_atom("no_such_registry"), k = beam_atom("k");
  /* Unknown registry (Elixir: ArgumentError "unknown registry: X"). */
  ASSERT_ERR(beam_term_error(beam_registry_register(none, k, k)),
             BEAM_ENOENT);
  ASSERT_ERR(beam_term_error(beam_registry_lookup(none, k)), BEAM_ENOENT);
  ASSERT_ERR(beam_term_error(beam_registry_keys(none, beam_self())),
             BEAM_ENOENT);
  ASSERT_ERR(beam_registry_count(none), BEAM_ENOENT);
  ASSERT_ERR(beam_registry_unregister(none, k), BEAM_ENOENT);
  ASSERT_ERR(beam_term_error(beam_registry_whereis_name(beam_tuple(2, none, k))),
             BEAM_ENOENT);
  /* A registry name that is not an atom. */
  ASSERT_ERR(beam_term_error(beam_registry_register(beam_int(3), k, k)),
             BEAM_EBADARG);
  ASSERT_ERR(beam_term_error(beam_registry_lookup(beam_string("r"), k)),
             BEAM_EBADARG);
  ASSERT_ERR(beam_registry_count(beam_int(3)), BEAM_EBADARG);
  /* Keys and values that are no terms. */
  beam_term_t bad = beam_error_term(BEAM_ENOMEM);
  ASSERT_ERR(beam_term_error(beam_registry_register(reg_u(), bad, k)),
             BEAM_ENOMEM);
  ASSERT_ERR(beam_term_error(beam_registry_register(reg_u(), k, bad)),
             BEAM_ENOMEM);
  ASSERT_ERR(beam_term_error(beam_registry_lookup(reg_u(), bad)),
             BEAM_ENOMEM);
  ASSERT_ERR(beam_registry_unregister(reg_u(), bad), BEAM_ENOMEM);
  ASSERT_ERR(beam_term_error(beam_registry_keys(reg_u(), k)), BEAM_EBADARG);
  ASSERT_ERR(beam_term_error(beam_registry_whereis_name(k)), BEAM_EBADARG);
  ASSERT_EQ(beam_registry_count(reg_u()), 0); /* nothing was added */
  /* Starting: a second registry of the name, bad keys, bad names. */
  ASSERT_TERM_EQ(beam_registry_start_link(reg_u(), BEAM_REGISTRY_DUPLICATE),
                 beam_fmt("{error, {already_started, ~t}}", rp));
  ASSERT_ERR(beam_term_error(beam_registry_start_link(beam_atom("r2"),
                                                      (beam_registry_keys_t) 0)),
             BEAM_EINVAL);
  ASSERT_ERR(beam_term_error(beam_registry_start_link(
                 beam_atom("undefined"), BEAM_REGISTRY_UNIQUE)),
             BEAM_EINVAL);
  ASSERT_ERR(beam_term_error(beam_registry_start_link(beam_string("r"),
                                                      BEAM_REGISTRY_UNIQUE)),
             BEAM_EBADARG);
  reached = 1;
}

BEAM_TEST_T(registry_bad_arguments, 20) {
  RUN(errors_root);
}

/* Outside a process: register needs one; the registry is gone anyway. */
BEAM_TEST_T(registry_outside_process, 10) {
  ASSERT_ERR(beam_term_error(beam_registry_register(reg_u(), reg_u(),
                                                    reg_u())),
             BEAM_ENOTPROC);
  ASSERT_ERR(beam_registry_unregister(reg_u(), reg_u()), BEAM_ENOTPROC);
  ASSERT_ERR(beam_term_error(beam_registry_lookup(reg_u(), reg_u())),
             BEAM_ENOENT);
}

/* A second beam_run does not see the first one's registry (its processes
** were freed without their exit hooks). */
static void first_run(beam_term_t arg) {
  (void) arg;
  start_registry(reg_u(), BEAM_REGISTRY_UNIQUE);
  ASSERT_EQ(beam_match(beam_registry_register(reg_u(), reg_u(), beam_nil()),
                       "{ok, _}"),
            1);
  reached = 1;
}

static void second_run(beam_term_t arg) {
  (void) arg;
  ASSERT_ERR(beam_registry_count(reg_u()), BEAM_ENOENT);
  ASSERT_ERR(beam_term_error(beam_registry_lookup(reg_u(), reg_u())),
             BEAM_ENOENT);
  beam_pid_t rp = start_registry(reg_u(), BEAM_REGISTRY_UNIQUE);
  ASSERT_EQ(beam_registry_count(reg_u()), 0);
  ASSERT_TERM_EQ(beam_registry_register(reg_u(), reg_u(), beam_nil()),
                 ok_of(rp));
  reached = 1;
}

BEAM_TEST_T(registry_not_seen_by_the_next_run, 20) {
  RUN(first_run);
  ASSERT_ERR(beam_registry_count(reg_u()), BEAM_ENOENT);
  RUN(second_run);
}

/* ---- The registry's own end ---- */

static void stop_root(beam_term_t arg) {
  (void) arg;
  beam_pid_t rp = start_registry(reg_u(), BEAM_REGISTRY_UNIQUE);
  ASSERT_EQ(beam_match(beam_registry_register(reg_u(), beam_atom("a"),
                                              beam_nil()),
                       "{ok, _}"),
            1);
  /* A registrant is linked to the registry: its shutdown takes it along,
  ** as in Elixir. */
  beam_term_t mref;
  spawn_registrant(reg_u(), beam_atom("b"), beam_nil(), &mref, NULL);
  beam_trap_exit(1); /* the root is linked too */
  ASSERT_OK(beam_gen_server_stop(reg_u(), beam_atom("shutdown"), 5000));
  ASSERT_TERM_EQ(wait_down(mref), beam_atom("shutdown"));
  ASSERT_EQ(beam_receive(5000, "{'EXIT', ~t, shutdown}", rp, NULL), 0);
  /* The table went with it. */
  ASSERT_ERR(beam_registry_count(reg_u()), BEAM_ENOENT);
  ASSERT_ERR(beam_term_error(beam_registry_lookup(reg_u(), beam_atom("a"))),
             BEAM_ENOENT);
  /* A new registry of the same name starts empty. */
  beam_pid_t rp2 = start_registry(reg_u(), BEAM_REGISTRY_UNIQUE);
  ASSERT_FALSE(beam_equal(rp, rp2));
  ASSERT_EQ(beam_registry_count(reg_u()), 0);
  ASSERT_TERM_EQ(beam_registry_register(reg_u(), beam_atom("a"), beam_nil()),
                 ok_of(rp2));
  /* Killed, it goes too. */
  ASSERT_OK(beam_exit_signal(rp2, beam_atom("kill")));
  ASSERT_EQ(beam_receive(5000, "{'EXIT', ~t, killed}", rp2, NULL), 0);
  ASSERT_ERR(beam_registry_count(reg_u()), BEAM_ENOENT);
  reached = 1;
}

BEAM_TEST_T(registry_stopped_takes_table_and_registrants, 20) {
  RUN(stop_root);
}

/* ---- Many processes at once (the lock; TSan) ---- */

static void churner(beam_term_t a) {
  beam_term_t parent = beam_tuple_get(a, 0);
  int64_t id = 0;
  beam_get_int(beam_tuple_get(a, 1), &id);
  for (int i = 0; i < 200; i++) {
    beam_term_t k = beam_int(i % 10);
    beam_term_t r = beam_registry_register(reg_d(), k, beam_int(id));
    ASSERT_EQ(beam_match(r, "{ok, _}"), 1);
    ASSERT_EQ(beam_match(beam_registry_register(reg_u(),
                                                beam_tuple(2, k, beam_int(id)),
                                                beam_nil()),
                         "{ok, _}"),
              1);
    beam_term_t l = beam_registry_lookup(reg_d(), k);
    ASSERT_GE(beam_list_length(l), 1);
    ASSERT_OK(beam_registry_unregister(reg_u(), beam_tuple(2, k, beam_int(id))));
    if (i % 3 == 0)
      ASSERT_OK(beam_registry_unregister(reg_d(), k));
    beam_yield();
  }
  beam_send(parent, beam_atom("done"));
  beam_receive(BEAM_INFINITY, "stop", NULL);
}

static void churn_root(beam_term_t arg) {
  (void) arg;
  start_registry(reg_d(), BEAM_REGISTRY_DUPLICATE);
  start_registry(reg_u(), BEAM_REGISTRY_UNIQUE);
  enum { N = 16 };
  beam_pid_t pids[N];
  beam_term_t refs[N];
  for (int i = 0; i < N; i++)
    ASSERT_OK(beam_spawn_monitor(churner,
                                 beam_tuple(2, beam_self(), beam_int(i)),
                                 &pids[i], &refs[i]));
  for (int i = 0; i < N; i++)
    ASSERT_EQ(beam_receive(20000, "done", NULL), 0);
  ASSERT_EQ(beam_registry_count(reg_u()), 0);
  int64_t left = beam_registry_count(reg_d());
  ASSERT_GT(left, 0);
  for (int i = 0; i < N; i++) {
    if (i % 2)
      beam_send(pids[i], beam_atom("stop"));
    else
      ASSERT_OK(beam_exit_signal(pids[i], beam_atom("kill")));
  }
  for (int i = 0; i < N; i++)
    wait_down(refs[i]);
  ASSERT_EQ(beam_registry_count(reg_d()), 0);
  reached = 1;
}

BEAM_TEST_T(registry_concurrent_churn, 60) {
  RUN(churn_root);
}

/* ---- {via, 'Elixir.Registry', {Reg, Key}} names ---- */

static beam_term_t v_init(beam_term_t arg) {
  beam_term_t x;
  if (beam_match(arg, "{stop_after_gc, R}", &x) == 1) {
    beam_gc(&x); /* init may collect: the via name must survive it */
    return beam_tuple(2, beam_atom("stop"), x);
  }
  return beam_tuple(2, beam_atom("ok"), arg);
}

static beam_term_t v_call(beam_term_t req, beam_term_t from, beam_term_t s) {
  (void) from;
  if (beam_is(req, "get"))
    return beam_fmt("{reply, ~t, ~t}", s, s);
  return beam_fmt("{reply, ~t, ~t}", beam_self(), s);
}

static beam_term_t v_cast(beam_term_t req, beam_term_t s) {
  (void) s;
  return beam_fmt("{noreply, ~t}", req); /* the request becomes the state */
}

static const beam_gen_server_t vsrv = {
    .init = v_init, .handle_call = v_call, .handle_cast = v_cast};

static beam_term_t via(beam_term_t reg, beam_term_t key) {
  return beam_fmt("{via, 'Elixir.Registry', {~t, ~t}}", reg, key);
}

static void via_root(beam_term_t arg) {
  (void) arg;
  start_registry(reg_u(), BEAM_REGISTRY_UNIQUE);
  beam_term_t name = via(reg_u(), beam_string("srv"));
  beam_gen_server_opts_t o = {.via = name};
  beam_term_t s;
  ASSERT_EQ(beam_match(beam_gen_server_start_link(&vsrv, beam_int(7), &o),
                       "{ok, S}", &s),
            1);
  /* Registered before init, with the value nil. */
  ASSERT_TERM_EQ(beam_registry_lookup(reg_u(), beam_string("srv")),
                 beam_list(1, beam_tuple(2, s, beam_atom("nil"))));
  ASSERT_TERM_EQ(beam_gen_server_call(name, beam_atom("get"), 5000),
                 beam_int(7));
  ASSERT_TERM_EQ(beam_gen_server_call(name, beam_atom("self"), 5000), s);
  ASSERT_OK(beam_gen_server_cast(name, beam_int(8)));
  ASSERT_TERM_EQ(beam_gen_server_call(name, beam_atom("get"), 5000),
                 beam_int(8));
  /* The key is taken: {error, {already_started, Pid}}. */
  ASSERT_TERM_EQ(beam_gen_server_start_link(&vsrv, beam_int(9), &o),
                 beam_fmt("{error, {already_started, ~t}}", s));
  /* {Reg, Key, Value}. */
  beam_gen_server_opts_t o3 = {
      .via = beam_fmt("{via, 'Elixir.Registry', {reg_u, srv3, myval}}")};
  beam_term_t s3;
  ASSERT_EQ(beam_match(beam_gen_server_start(&vsrv, beam_int(3), &o3),
                       "{ok, S}", &s3),
            1);
  ASSERT_TERM_EQ(beam_registry_lookup(reg_u(), beam_atom("srv3")),
                 beam_list(1, beam_tuple(2, s3, beam_atom("myval"))));
  ASSERT_TERM_EQ(beam_gen_server_call(o3.via, beam_atom("get"), 5000),
                 beam_int(3));
  /* Stopped, the name is free at once. */
  ASSERT_OK(beam_gen_server_stop(name, beam_atom("normal"), 5000));
  ASSERT_TERM_EQ(beam_registry_lookup(reg_u(), beam_string("srv")),
                 beam_nil());
  ASSERT_OK(beam_gen_server_stop(o3.via, beam_atom("normal"), 5000));
  reached = 1;
}

BEAM_TEST_T(registry_via_start_call_cast_stop, 20) {
  RUN(via_root);
}

/* A caller of a via name nobody holds exits with noproc and Elixir's
** context. */
static void call_nobody(beam_term_t name) {
  beam_gen_server_call(name, beam_atom("get"), 100);
}

static void via_errors_root(beam_term_t arg) {
  (void) arg;
  start_registry(reg_u(), BEAM_REGISTRY_UNIQUE);
  start_registry(reg_d(), BEAM_REGISTRY_DUPLICATE);
  beam_term_t none = via(reg_u(), beam_atom("none")), r;
  ASSERT_ERR(beam_gen_server_call_result(none, beam_atom("get"), 100, &r),
             BEAM_ENOPROC);
  ASSERT_OK(beam_gen_server_cast(none, beam_atom("x"))); /* G12 */
  beam_pid_t p;
  beam_term_t mref;
  ASSERT_OK(beam_spawn_monitor(call_nobody, none, &p, &mref));
  ASSERT_TERM_EQ(wait_down(mref),
                 beam_fmt("{noproc, {'Elixir.GenServer', call, [~t, get, 100]}}",
                          none));
  /* Unknown registries and duplicate ones resolve to nobody. */
  ASSERT_ERR(beam_gen_server_call_result(via(beam_atom("no_reg"), beam_int(1)),
                                         beam_atom("get"), 100, &r),
             BEAM_ENOPROC);
  ASSERT_ERR(beam_gen_server_call_result(via(reg_d(), beam_int(1)),
                                         beam_atom("get"), 100, &r),
             BEAM_ENOPROC);
  /* Starting under an unknown registry fails in the server. */
  beam_gen_server_opts_t bad = {.via = via(beam_atom("no_reg"), beam_int(1))};
  ASSERT_TERM_EQ(beam_gen_server_start(&vsrv, beam_nil(), &bad),
                 beam_fmt("{error, badarg}"));
  /* Nor under a duplicate registry (Elixir: ":via is not supported for
  ** duplicate registries"). */
  beam_gen_server_opts_t dup = {.via = via(reg_d(), beam_int(1))};
  ASSERT_TERM_EQ(beam_gen_server_start(&vsrv, beam_nil(), &dup),
                 beam_fmt("{error, badarg}"));
  ASSERT_TERM_EQ(beam_registry_lookup(reg_d(), beam_int(1)), beam_nil());
  /* Not a via name, or with 'name' too. */
  beam_gen_server_opts_t odd = {.via = beam_fmt("{via, other_mod, x}")};
  ASSERT_ERR(beam_term_error(beam_gen_server_start(&vsrv, beam_nil(), &odd)),
             BEAM_EINVAL);
  beam_gen_server_opts_t both = {.name = "n", .via = via(reg_u(), beam_int(1))};
  ASSERT_ERR(beam_term_error(beam_gen_server_start(&vsrv, beam_nil(), &both)),
             BEAM_EINVAL);
  /* An init that fails (after collecting its heap) frees the key before
  ** start returns. */
  beam_gen_server_opts_t o = {.via = via(reg_u(), beam_string("k"))};
  ASSERT_TERM_EQ(beam_gen_server_start(&vsrv, beam_fmt("{stop_after_gc, no}"),
                                       &o),
                 beam_fmt("{error, no}"));
  ASSERT_TERM_EQ(beam_registry_lookup(reg_u(), beam_string("k")), beam_nil());
  beam_term_t s;
  ASSERT_EQ(beam_match(beam_gen_server_start(&vsrv, beam_int(1), &o),
                       "{ok, S}", &s),
            1);
  ASSERT_OK(beam_gen_server_stop(o.via, beam_atom("normal"), 5000));
  reached = 1;
}

BEAM_TEST_T(registry_via_failures, 20) {
  RUN(via_errors_root);
}
