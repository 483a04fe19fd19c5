/* SPDX-License-Identifier: MIT */
/*
** task_supervisor_test.c: Task.Supervisor (include/cbeam/otp.h), one test
** per rule of docs/semantics.md §10 (T23-T25), named by its id, and its
** failure paths. Each root sets 'reached' last.
*/
#include "../harness/check.h"

#include <string.h>

#define RUN(main_fn) RUN_TO_END((main_fn), 2)

static beam_term_t crashes_on_bad(beam_term_t x) {
  if (beam_is(x, "bad"))
    beam_exit(beam_atom("bad"));
  return x;
}

static beam_term_t sleeps(beam_term_t ms) {
  int64_t v = 0;
  beam_get_int(ms, &v);
  beam_sleep(v);
  return ms;
}

static beam_pid_t logger;

static beam_term_t reports(beam_term_t x) {
  beam_send(logger, beam_fmt("{ran, ~t}", x));
  return x;
}

static beam_pid_t start_sup(unsigned max_children) {
  beam_term_t pid;
  beam_supervisor_opts_t o = {.max_children = max_children};
  ASSERT_EQ(beam_match(beam_task_supervisor_start_link(&o), "{ok, P}", &pid),
            1);
  return pid;
}

static beam_term_t down_reason(beam_term_t ref) {
  beam_term_t why = beam_nil();
  ASSERT_OK(beam_receive(5000, "{'DOWN', ~t, process, _, R}", ref, &why, NULL));
  return why;
}

/* Awaits a crashing nolink task: exits with await's reason. */
static void awaits_nolink_crash(beam_term_t sup) {
  beam_task_t t;
  ASSERT_OK(beam_task_supervisor_async_nolink(sup, crashes_on_bad,
                                              beam_atom("bad"), &t));
  beam_task_await(&t, 5000);
}

/* Starts a linked task that crashes, and waits: killed by the link. */
static void owns_linked_crash(beam_term_t sup) {
  beam_task_t t;
  ASSERT_OK(
      beam_task_supervisor_async(sup, crashes_on_bad, beam_atom("bad"), &t));
  beam_receive(BEAM_INFINITY, "never", NULL);
}

static void t23_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t sup = start_sup(0);
  beam_task_t t;
  ASSERT_OK(beam_task_supervisor_async_nolink(sup, crashes_on_bad,
                                              beam_atom("fine"), &t));
  ASSERT_TERM_EQ(beam_task_await(&t, 5000), beam_atom("fine"));
  ASSERT_OK(beam_task_supervisor_async_nolink(sup, crashes_on_bad,
                                              beam_atom("bad"), &t));
  ASSERT_PRINTS(beam_task_yield(&t, 5000), "{exit,bad}"); /* we live on */
  /* However early a task ends, its reason comes, never noproc: the task
  ** waits until its owner monitors it. */
  for (int i = 0; i < 200; i++) {
    ASSERT_OK(beam_task_supervisor_async_nolink(sup, crashes_on_bad,
                                                beam_atom("bad"), &t));
    ASSERT_PRINTS(beam_task_yield(&t, 5000), "{exit,bad}");
  }
  beam_process_info_t info;
  ASSERT_OK(beam_process_info(beam_self(), &info));
  ASSERT_TERM_EQ(info.links, beam_list(1, sup)); /* never the task */
  /* await on a crashed nolink task exits the caller, and only it. */
  beam_pid_t p;
  beam_term_t ref, why;
  ASSERT_OK(beam_spawn_monitor(awaits_nolink_crash, sup, &p, &ref));
  why = down_reason(ref);
  ASSERT_TRUE(beam_is_tuple(why));
  ASSERT_PRINTS(beam_tuple_get(why, 0), "bad");
  ASSERT_PRINTS(beam_tuple_get(beam_tuple_get(why, 1), 1), "await");
  /* async is linked: a crash kills a caller that does not trap exits. */
  ASSERT_OK(beam_spawn_monitor(owns_linked_crash, sup, &p, &ref));
  ASSERT_PRINTS(down_reason(ref), "bad");
  ASSERT_EQ(beam_is_alive(sup), 1);
  /* Stopping the supervisor stops its tasks. */
  ASSERT_OK(beam_task_supervisor_async_nolink(sup, sleeps, beam_int(60000),
                                              &t));
  ASSERT_PRINTS(beam_task_yield(&t, 0), "nil");
  beam_trap_exit(1);
  ASSERT_OK(beam_supervisor_stop(sup, beam_atom("normal"), 5000));
  ASSERT_PRINTS(beam_task_yield(&t, 5000), "{exit,shutdown}");
  reached = 1;
}

BEAM_TEST_T(T23_async_nolink_monitors_without_link, 30) {
  RUN(t23_main);
}

static void t24_main(beam_term_t arg) {
  (void) arg;
  logger = beam_self();
  beam_pid_t sup = start_sup(2), pid;
  ASSERT_OK(beam_task_supervisor_start_child(sup, reports, beam_int(1), &pid));
  ASSERT_OK(beam_receive(5000, "{ran, 1}", NULL));
  ASSERT_OK(beam_sleep(30));
  ASSERT_PRINTS(beam_task_supervisor_children(sup), "[]"); /* gone */
  /* A crash is not restarted. */
  ASSERT_OK(beam_task_supervisor_start_child(sup, crashes_on_bad,
                                             beam_atom("bad"), NULL));
  ASSERT_OK(beam_sleep(50));
  ASSERT_PRINTS(beam_task_supervisor_children(sup), "[]");
  /* max_children, and bad arguments. */
  beam_pid_t a, b;
  ASSERT_OK(beam_task_supervisor_start_child(sup, sleeps, beam_int(60000), &a));
  ASSERT_OK(beam_task_supervisor_start_child(sup, sleeps, beam_int(60000), &b));
  ASSERT_EQ(beam_list_length(beam_task_supervisor_children(sup)), 2);
  ASSERT_ERR(beam_task_supervisor_start_child(sup, sleeps, beam_int(1), NULL),
             BEAM_EAGAIN);
  beam_task_t t;
  ASSERT_ERR(beam_task_supervisor_async_nolink(sup, sleeps, beam_int(1), &t),
             BEAM_EAGAIN);
  ASSERT_ERR(beam_task_supervisor_async_nolink(sup, NULL, beam_int(1), &t),
             BEAM_EINVAL);
  ASSERT_ERR(beam_task_supervisor_async_nolink(sup, sleeps, beam_int(1), NULL),
             BEAM_EINVAL);
  ASSERT_PRINTS(beam_supervisor_terminate_child(sup, a), "ok");
  ASSERT_EQ(beam_is_alive(a), 0);
  ASSERT_TERM_EQ(beam_task_supervisor_children(sup), beam_list(1, b));
  reached = 1;
}

BEAM_TEST_T(T24_start_child_is_temporary_fire_and_forget, 30) {
  RUN(t24_main);
}

typedef struct atoms_in {
  const char **v;
  size_t n, i;
} atoms_in_t;

static int next_atom(void *ctx, beam_term_t *elem) {
  atoms_in_t *in = ctx;
  if (in->i == in->n)
    return 0;
  *elem = beam_atom(in->v[in->i++]);
  return 1;
}

static void t25_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t sup = start_sup(0);
  const char *in[] = {"a", "bad", "c", "bad", "e"};
  atoms_in_t it = {in, 5, 0};
  beam_async_stream_t *s;
  beam_stream_opts_t o = {.max_concurrency = 2};
  ASSERT_OK(beam_task_supervisor_async_stream_nolink(sup, next_atom, &it,
                                                     crashes_on_bad, &o, &s));
  char got[256] = "";
  beam_term_t r;
  int rc;
  while ((rc = beam_async_stream_next(s, &r)) == 1) {
    char one[64];
    beam_print(one, sizeof one, r);
    strcat(got, one);
  }
  ASSERT_EQ(rc, 0);
  beam_async_stream_close(s);
  ASSERT_STR_EQ(got, "{ok,a}{exit,bad}{ok,c}{exit,bad}{ok,e}");
  ASSERT_EQ(beam_is_alive(sup), 1);
  ASSERT_ERR(beam_task_supervisor_async_stream_nolink(beam_nil(), next_atom,
                                                      &it, crashes_on_bad,
                                                      NULL, &s),
             BEAM_EINVAL);
  reached = 1;
}

BEAM_TEST_T(T25_async_stream_nolink_crash_is_a_result, 30) {
  RUN(t25_main);
}
