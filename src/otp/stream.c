/* SPDX-License-Identifier: MIT */
/*
** otp/stream.c: Task.async_stream, on the public API and Task (task.c):
** fn runs on every element of a C iterator, each in a task of its own, at
** most max_concurrency at once (SEMANTICS T15-T22).
**
** Lazy: nothing starts until the first beam_async_stream_next, and the
** iterator is pulled only to fill a free slot, so a ten-million-element
** input never has more than max_concurrency tasks alive. A slot frees when
** its task ends, not when its result is handed out (T17): in ordered mode
** results that came early wait in a window indexed from the next one to
** hand out, which grows only as far as a slow head element makes it.
**
** Each task has a deadline, 'timeout_ms' from its start (T18). The wait is
** one receive over all running tasks' replies and DOWNs, until the
** nearest deadline. A task past its deadline either makes the consumer
** exit (after the rest are killed: T19) or is killed and yields {exit,
** timeout} in its place (kill_task: T20). Tasks are linked to the
** consumer, so a crash takes a consumer that does not trap exits (T21);
** closing early kills what still runs, after unlinking it (T22). The
** nolink form asks a Task.Supervisor for each task instead: no link, so
** a crash is only an {exit, R} in the results (T25).
**
** The stream's terms (elements, the tasks' refs and aliases, buffered
** results) live on the consumer's heap, with every reply it took in. With
** 'collect', next() collects that heap when due with the stream's terms,
** the result it hands out and the caller's 'keep' terms as roots, so the
** heap stays bounded however long the input; without it the caller may
** collect only between streams.
*/
#include "atoms.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot {
  beam_task_t task;
  beam_term_t elem;
  int64_t deadline; /* ms, or INT64_MAX */
  uint64_t index;   /* input position */
} slot_t;

typedef struct entry {
  bool done;
  beam_term_t result;
} entry_t;

struct beam_async_stream {
  beam_iter_fn_t next;
  void *ctx;
  beam_task_fn_t fn;
  beam_term_t sup; /* a Task.Supervisor's pid or name (nolink), or [] */
  beam_stream_opts_t o;
  slot_t *running; /* max_concurrency of them, 'nrunning' in use */
  unsigned nrunning;
  bool input_done;
  uint64_t started; /* elements taken from the input */
  /* Results not handed out yet: by input position from 'emit' (ordered),
  ** or in completion order (unordered); a ring of 'cap'. */
  entry_t *win;
  size_t cap, head, count;
  uint64_t emit;
  beam_term_t **roots; /* room for a collection's roots (collect) */
  size_t nroots;
};

static int open_stream(beam_term_t sup, beam_iter_fn_t next, void *ctx,
                       beam_task_fn_t fn, const beam_stream_opts_t *opts,
                       beam_async_stream_t **out) {
  if (next == NULL || fn == NULL || out == NULL || beam_is_error(sup))
    return BEAM_EINVAL;
  beam_stream_opts_t o = opts ? *opts : (beam_stream_opts_t){0};
  if (o.timeout_ms == 0)
    o.timeout_ms = 5000;
  if (o.timeout_ms < BEAM_INFINITY)
    return BEAM_EINVAL;
  if (o.max_concurrency == 0)
    o.max_concurrency = beam_scheduler_count() ? beam_scheduler_count() : 1;
  beam_async_stream_t *s = calloc(1, sizeof *s);
  if (s == NULL)
    return BEAM_ENOMEM;
  if (o.nkeep > 0 && o.keep == NULL) {
    free(s);
    return BEAM_EINVAL;
  }
  s->running = calloc(o.max_concurrency, sizeof *s->running);
  s->cap = 16;
  s->win = calloc(s->cap, sizeof *s->win);
  if (s->running == NULL || s->win == NULL) {
    free(s->running);
    free(s->win);
    free(s);
    return BEAM_ENOMEM;
  }
  s->next = next;
  s->ctx = ctx;
  s->fn = fn;
  s->sup = sup;
  s->o = o;
  *out = s;
  return 0;
}

int beam_async_stream_open(beam_iter_fn_t next, void *ctx, beam_task_fn_t fn,
                           const beam_stream_opts_t *opts,
                           beam_async_stream_t **out) {
  return open_stream(beam_nil(), next, ctx, fn, opts, out);
}

int beam_task_supervisor_async_stream_nolink(beam_term_t sup,
                                             beam_iter_fn_t next, void *ctx,
                                             beam_task_fn_t fn,
                                             const beam_stream_opts_t *opts,
                                             beam_async_stream_t **out) {
  if (beam_equal(sup, beam_nil()))
    return BEAM_EINVAL;
  return open_stream(sup, next, ctx, fn, opts, out);
}

/* ---- The window of results ---- */

static entry_t *win_at(beam_async_stream_t *s, size_t k) {
  return &s->win[(s->head + k) % s->cap];
}

static int win_grow(beam_async_stream_t *s, size_t need) {
  if (need <= s->cap)
    return 0;
  size_t cap = s->cap;
  while (cap < need)
    cap *= 2;
  entry_t *w = calloc(cap, sizeof *w);
  if (w == NULL)
    return BEAM_ENOMEM;
  for (size_t k = 0; k < s->count; k++)
    w[k] = *win_at(s, k);
  free(s->win);
  s->win = w;
  s->cap = cap;
  s->head = 0;
  return 0;
}

/* Record the result of input position 'index'. */
static int put_result(beam_async_stream_t *s, uint64_t index,
                      beam_term_t result) {
  size_t k = s->o.unordered ? s->count : (size_t) (index - s->emit);
  int rc = win_grow(s, k + 1);
  if (rc != 0)
    return rc;
  if (k >= s->count) {
    for (size_t j = s->count; j <= k; j++)
      win_at(s, j)->done = false;
    s->count = k + 1;
  }
  *win_at(s, k) = (entry_t){true, result};
  return 0;
}

/* ---- Running tasks ---- */

static int64_t now_ms(void) {
  return beam_monotonic_ms();
}

/* Start tasks for free slots while the input lasts. */
static int fill(beam_async_stream_t *s) {
  while (!s->input_done && s->nrunning < s->o.max_concurrency) {
    beam_term_t elem;
    int got = s->next(s->ctx, &elem);
    if (got <= 0) {
      s->input_done = true;
      return got < 0 ? got : 0;
    }
    slot_t *sl = &s->running[s->nrunning];
    int rc = beam_equal(s->sup, beam_nil())
                 ? beam_task_async(s->fn, elem, &sl->task)
                 : beam_task_supervisor_async_nolink(s->sup, s->fn, elem,
                                                     &sl->task);
    if (rc != 0)
      return rc;
    sl->elem = elem;
    sl->index = s->started++;
    sl->deadline = s->o.timeout_ms == BEAM_INFINITY
                       ? INT64_MAX
                       : now_ms() + s->o.timeout_ms;
    s->nrunning++;
  }
  return 0;
}

/* Slot 'i' is over: its result goes to the window, its slot to the last. */
static int finish(beam_async_stream_t *s, unsigned i, beam_term_t result) {
  uint64_t index = s->running[i].index;
  s->running[i] = s->running[--s->nrunning];
  return put_result(s, index, result);
}

/* {exit, Why}, or {exit, {Elem, Why}} with zip_input_on_exit. */
static beam_term_t exit_result(beam_async_stream_t *s, const slot_t *sl,
                               beam_term_t why) {
  if (s->o.zip_input_on_exit)
    why = beam_tuple(2, sl->elem, why);
  return beam_tuple(2, beam_atom("exit"), why);
}

/* Unlink and kill a running task, and forget it (no DOWN, no reply). */
static void kill_task(slot_t *sl) {
  beam_unlink(sl->task.pid);
  beam_exit_signal(sl->task.pid, beam_atom("kill"));
  beam_demonitor(sl->task.ref, BEAM_DEMONITOR_FLUSH);
  beam_unalias(sl->task.alias);
}

/* 2 * slot + (1 reply, 2 DOWN) of the running task 'msg' is about. */
static int match_running(beam_term_t msg, void *ctx) {
  beam_async_stream_t *s = ctx;
  if (!beam_is_tuple(msg))
    return 0;
  size_t n = beam_tuple_size(msg);
  beam_term_t tag = beam_tuple_get(msg, n == 2 ? 0 : 1);
  bool down =
      n == 5 && beam__otp_is(beam_tuple_get(msg, 0), beam__otp_atoms()->DOWN);
  if (n != 2 && !down)
    return 0;
  for (unsigned i = 0; i < s->nrunning; i++)
    if (beam_equal(tag, down ? s->running[i].task.ref
                             : s->running[i].task.alias))
      return (int) (2 * i) + (down ? 2 : 1);
  return 0;
}

static _Noreturn void timeout_exit(beam_async_stream_t *s) {
  for (unsigned i = 0; i < s->nrunning; i++)
    kill_task(&s->running[i]);
  s->nrunning = 0;
  int64_t t = s->o.timeout_ms;
  beam_exit(beam_tuple(
      2, beam_atom("timeout"),
      beam_tuple(3, beam_atom("Elixir.Task.Supervised"), beam_atom("stream"),
                 beam_list(1, t == BEAM_INFINITY ? beam_atom("infinity")
                                                 : beam_int(t)))));
}

/* Wait for one running task to end or pass its deadline. */
static int wait_one(beam_async_stream_t *s) {
  unsigned first = 0;
  for (unsigned i = 1; i < s->nrunning; i++)
    if (s->running[i].deadline < s->running[first].deadline)
      first = i;
  int64_t wait = BEAM_INFINITY;
  if (s->running[first].deadline != INT64_MAX) {
    wait = s->running[first].deadline - now_ms();
    wait = wait < 0 ? 0 : wait;
  }
  beam_term_t msg;
  int got = beam_receive_fn(wait, match_running, s, &msg);
  if (got == BEAM_ETIMEDOUT) {
    if (!s->o.kill_task_on_timeout)
      timeout_exit(s);
    slot_t *sl = &s->running[first];
    kill_task(sl);
    return finish(s, first, exit_result(s, sl, beam_atom("timeout")));
  }
  if (got < 0)
    return got;
  unsigned i = (unsigned) (got - 1) / 2;
  slot_t *sl = &s->running[i];
  beam_unalias(sl->task.alias);
  if ((got - 1) % 2 == 0) { /* the reply */
    beam_demonitor(sl->task.ref, BEAM_DEMONITOR_FLUSH);
    return finish(s, i,
                  beam_tuple(2, beam_atom("ok"), beam_tuple_get(msg, 1)));
  }
  return finish(s, i, exit_result(s, sl, beam_tuple_get(msg, 4)));
}

/* 'collect': collect the heap if due, keeping the stream's terms, 'out'
** and the caller's. A failure to allocate the root list skips it. */
static void collect(beam_async_stream_t *s, beam_term_t *out) {
  if (!s->o.collect || !beam_gc_due())
    return;
  size_t need = 3 * (size_t) s->nrunning + s->count + s->o.nkeep + 1;
  if (need > s->nroots) {
    beam_term_t **r = realloc(s->roots, need * sizeof *r);
    if (r == NULL)
      return;
    s->roots = r;
    s->nroots = need;
  }
  size_t n = 0;
  for (unsigned i = 0; i < s->nrunning; i++) {
    s->roots[n++] = &s->running[i].elem;
    s->roots[n++] = &s->running[i].task.ref;
    s->roots[n++] = &s->running[i].task.alias;
  }
  for (size_t k = 0; k < s->count; k++)
    if (win_at(s, k)->done)
      s->roots[n++] = &win_at(s, k)->result;
  for (size_t k = 0; k < s->o.nkeep; k++)
    s->roots[n++] = s->o.keep[k];
  s->roots[n++] = out;
  beam_gc_roots((beam_term_t *const *) s->roots, n, 0);
}

int beam_async_stream_next(beam_async_stream_t *s, beam_term_t *result) {
  if (s == NULL || result == NULL)
    return BEAM_EINVAL;
  for (;;) {
    if (s->count > 0 && win_at(s, 0)->done) {
      beam_term_t out = win_at(s, 0)->result;
      s->head = (s->head + 1) % s->cap;
      s->count--;
      s->emit++;
      collect(s, &out);
      *result = out;
      return 1;
    }
    int rc = fill(s);
    if (rc != 0)
      return rc;
    if (s->nrunning == 0)
      return 0; /* input done, nothing running, nothing waiting */
    if ((rc = wait_one(s)) != 0)
      return rc;
  }
}

void beam_async_stream_close(beam_async_stream_t *s) {
  if (s == NULL)
    return;
  for (unsigned i = 0; i < s->nrunning; i++)
    kill_task(&s->running[i]);
  free(s->running);
  free(s->win);
  free(s->roots);
  free(s);
}
