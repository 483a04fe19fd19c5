/* SPDX-License-Identifier: MIT */
/*
** receive.c: selective receive with 'after'.
**
** One loop serves every flavour (patterns, a match callback, anything):
**   1. drain the outer queue into the inner list (mailbox.c);
**   2. walk the inner list from the saved position; the first message any
**      clause matches is unlinked in O(1), adopted into the heap (no second
**      copy) and returned with its clause index. Message order wins over
**      clause order, as in Erlang (M7);
**   3. nothing matched: with timeout 0, or past the deadline, return
**      BEAM_ETIMEDOUT having removed nothing (M9); else block (the
**      scheduler arms the deadline, proc.c explains the wake handshake)
**      and go to 1. The position is kept, so a message that was rejected
**      is never looked at again during this receive; only new arrivals are.
** The deadline counts from entry, not from the last arrival (M8).
**
** Ref-receive optimisation (the BEAM's receive marker): beam_make_ref()
** records where the inner list ended when the ref was made. If every
** clause holds that ref in a ~t hole, no older message can match, so the
** walk starts at the mark: a call/reply pair costs O(1) however many
** unrelated messages are queued. Unlinking the message the mark points past
** moves the mark back to its predecessor (starting earlier is always safe).
*/
#include "proc.h"
#include "../term/pattern.h"
#include "../term/syntax.h"
#include "../timer/timers.h"

#include <limits.h>

#define NO_MATCH INT_MIN

typedef int (*matcher_t)(beam_term_t msg, void *ctx);

static int check_timeout(int64_t timeout) {
  return timeout >= 0 || timeout == BEAM_INFINITY ? 0 : BEAM_EINVAL;
}

/* Unlink the message at '*pos', keeping the ref mark valid. */
static beam__msg_t *take(beam__proc_t *p, beam__link_t *pos) {
  beam__msg_t *m = beam__link_get(pos);
  if (p->ref_mark_pos == &m->next)
    p->ref_mark_pos = pos;
  return beam__mailbox_unlink(&p->mbox, pos);
}

static void finish_wait(beam__proc_t *p) {
  p->in_receive = 0;
  beam__proc_timer_cancel(p);
  p->deadline_ms = -1;
  p->ref_mark_id = 0;
  p->ref_mark_pos = NULL;
}

static int receive_loop(beam__proc_t *p, int64_t timeout, matcher_t match,
                        void *ctx, beam_term_t *out, bool from_mark) {
  if (BEAM_UNLIKELY(p->in_match))
    return BEAM_ECALLBACK; /* the outer walk holds a position in the list */
  beam__proc_checkpoint(p, 1); /* may yield: before anything is read */
  beam__link_t *pos = from_mark && p->ref_mark_pos ? p->ref_mark_pos
                                                   : &p->mbox.first;
  p->deadline_ms =
      timeout > 0 ? (int64_t) beam__rt_deadline_ms(timeout) : -1;
  p->in_receive = 1;
  for (;;) {
    beam__signals_drain(p);
    beam__tls_t *tls = beam__tls(); /* again after each wait */
    beam__msg_t *m;
    while ((m = beam__link_get(pos)) != NULL) {
      tls->reds--; /* each message looked at */
      uint64_t switches = p->switches;
      int r = match(m->term, ctx);
      if (BEAM_UNLIKELY(p->switches != switches))
        tls = beam__tls(); /* a callback yielded: maybe another thread now */
      if (r != NO_MATCH) {
        if (r < 0) {
          finish_wait(p);
          return r;
        }
        take(p, pos);
        beam_term_t t = beam__heap_adopt(&p->heap, m);
        if (out)
          *out = t;
        finish_wait(p);
        return r;
      }
      pos = &m->next;
    }
    if (timeout == 0 ||
        (p->deadline_ms >= 0 &&
         (int64_t) beam__rt_now_ms() >= p->deadline_ms)) {
      finish_wait(p);
      return BEAM_ETIMEDOUT;
    }
    beam__proc_switch_out(p, BEAM__Y_WAIT);
    p = beam__proc_current(); /* the same process, maybe another thread */
  }
}

/* ---- Clause lists: "pattern", args..., "pattern", args..., NULL ----
** The arguments come through a cursor (term/args.h), so the plain and the
** checked calling conventions share all of this. */

typedef struct clauses {
  const char *first;
  beam__args_t *args; /* positioned just after 'first' */
} clauses_t;

static int match_clauses(beam_term_t msg, void *ctx) {
  clauses_t *c = ctx;
  beam__args_t a;
  beam__args_copy(&a, c->args);
  const char *pat = c->first;
  int index = 0, r = NO_MATCH;
  while (pat != NULL) {
    int m = beam__pattern_match(msg, pat, &a);
    if (m == 1) {
      r = index;
      break;
    }
    if (m < 0) {
      r = m;
      break;
    }
    pat = beam__args_clause(&a);
    index++;
  }
  beam__args_end(&a);
  return r;
}

/* Validate every clause and its arguments before looking at any message
** (a malformed pattern or a bad argument is an error even when the
** mailbox is empty), and find out whether every clause needs the ref this
** process made last. */
static int check_clauses(beam__proc_t *p, const char *first,
                         beam__args_t *args, bool *from_mark) {
  beam__args_t a;
  beam__args_copy(&a, args);
  const char *pat = first;
  int rc = 0;
  bool all_ref = p->ref_mark_id != 0;
  while (pat != NULL) {
    bool has_ref = false;
    rc = beam__pattern_args(pat, &a, p->ref_mark_id, &has_ref);
    if (rc < 0)
      break;
    all_ref = all_ref && has_ref;
    pat = beam__args_clause(&a);
  }
  if (rc == 0)
    rc = a.err != 0 ? a.err : beam__args_done(&a);
  beam__args_end(&a);
  *from_mark = rc == 0 && all_ref;
  return rc;
}

/* Compiled clauses (pattern.c) with their arguments loaded once, so that
** each queued message costs only the matching itself. The tables live in
** the receive's frame, which stays on the stack as long as the process
** waits: a small one for the common receive (up to 4 clauses, 8
** arguments: under 200 bytes) keeps a waiting process's stack short, and
** a large one (16 clauses, 48 arguments: a kilobyte) is set up only, in a
** frame of its own, for a receive that needs it. */
#define SMALL_CLAUSES 4
#define SMALL_ARGS    8
#define MAX_CLAUSES   16
#define MAX_ARGS      48
#define TOO_MANY      (INT_MIN + 1) /* too big for the tables: not an index */

typedef struct compiled {
  int n, max_clauses, max_args;
  const beam__pat_t **pat;
  beam__parg_t **args;
  beam__parg_t *argv;
} compiled_t;

static int match_compiled(beam_term_t msg, void *ctx) {
  compiled_t *c = ctx;
  for (int i = 0; i < c->n; i++)
    if (beam__pat_match(c->pat[i], msg, c->args[i]))
      return i;
  return NO_MATCH;
}

/* 1 if every clause compiled (and the ref check as check_clauses),
** TOO_MANY if they do not fit 'c', 0 if they must be interpreted (not
** compiled), or an error. */
static int compile_clauses(beam__proc_t *p, const char *first,
                           beam__args_t *args, compiled_t *c,
                           bool *from_mark) {
  beam__args_t a;
  beam__args_copy(&a, args);
  const char *pat = first;
  bool all_ref = p->ref_mark_id != 0;
  size_t used = 0;
  int rc = 1;
  c->n = 0;
  while (pat != NULL && rc == 1) {
    int err;
    const beam__pat_t *cp = beam__pat_get(pat, &err);
    if (cp == NULL) {
      rc = err; /* an error, or 0 to interpret */
      break;
    }
    size_t nargs = beam__pat_nargs(cp);
    if (c->n == c->max_clauses || used + nargs > (size_t) c->max_args) {
      rc = TOO_MANY;
      break;
    }
    bool has_ref = false;
    int e = beam__pat_load(cp, &a, &c->argv[used], p->ref_mark_id, &has_ref);
    if (e < 0) {
      rc = e;
      break;
    }
    c->pat[c->n] = cp;
    c->args[c->n++] = &c->argv[used];
    used += nargs;
    all_ref = all_ref && has_ref;
    pat = beam__args_clause(&a);
  }
  if (rc == 1 && (a.err != 0 || beam__args_done(&a) != 0))
    rc = a.err != 0 ? a.err : BEAM_EBADARG;
  beam__args_end(&a);
  *from_mark = rc == 1 && all_ref;
  return rc;
}

static int interpret(beam__proc_t *p, int64_t timeout_ms, const char *pattern,
                     beam__args_t *args) {
  bool from_mark = false;
  int rc = check_clauses(p, pattern, args, &from_mark);
  if (rc == 0) {
    clauses_t c = {pattern, args};
    rc = receive_loop(p, timeout_ms, match_clauses, &c, NULL, from_mark);
  }
  return rc;
}

/* Compile into 'cc' and receive: TOO_MANY if the clauses do not fit it
** (nothing happened), else the receive's answer. */
static int receive_compiled(beam__proc_t *p, int64_t timeout_ms,
                            const char *pattern, beam__args_t *args,
                            compiled_t *cc, bool last_try) {
  bool from_mark = false;
  int rc = compile_clauses(p, pattern, args, cc, &from_mark);
  if (rc == 1)
    return receive_loop(p, timeout_ms, match_compiled, cc, NULL, from_mark);
  if (rc == TOO_MANY && !last_try)
    return TOO_MANY;
  return rc == 0 || rc == TOO_MANY ? interpret(p, timeout_ms, pattern, args)
                                   : rc;
}

/* The large tables, in a frame only such a receive pays for. */
static BEAM_NOINLINE int receive_large(beam__proc_t *p, int64_t timeout_ms,
                                       const char *pattern,
                                       beam__args_t *args) {
  const beam__pat_t *pat[MAX_CLAUSES];
  beam__parg_t *pargs[MAX_CLAUSES];
  beam__parg_t argv[MAX_ARGS];
  compiled_t cc = {0, MAX_CLAUSES, MAX_ARGS, pat, pargs, argv};
  return receive_compiled(p, timeout_ms, pattern, args, &cc, true);
}

/* beam_receive behind both conventions: 'args' just after 'pattern'. */
static int receive_clauses(int64_t timeout_ms, const char *pattern,
                           beam__args_t *args) {
  beam__proc_t *p = beam__proc_current();
  if (!p)
    return BEAM_ENOTPROC;
  if (check_timeout(timeout_ms) < 0 || pattern == NULL)
    return BEAM_EINVAL;
  const beam__pat_t *pat[SMALL_CLAUSES];
  beam__parg_t *pargs[SMALL_CLAUSES];
  beam__parg_t argv[SMALL_ARGS];
  compiled_t cc = {0, SMALL_CLAUSES, SMALL_ARGS, pat, pargs, argv};
  int rc = receive_compiled(p, timeout_ms, pattern, args, &cc, false);
  return rc == TOO_MANY ? receive_large(p, timeout_ms, pattern, args) : rc;
}

int(beam_receive)(int64_t timeout_ms, const char *pattern, ...) {
  va_list ap;
  va_start(ap, pattern);
  beam__args_t a;
  beam__args_start(&a, &ap, SIZE_MAX);
  int rc = receive_clauses(timeout_ms, pattern, &a);
  va_end(ap);
  return rc;
}

int beam_receive_checked(int64_t timeout_ms, size_t n, ...) {
  va_list ap;
  va_start(ap, n);
  beam__args_t a;
  beam__args_start(&a, &ap, n);
  const char *pattern = beam__args_clause(&a);
  int rc = a.err != 0 ? a.err : receive_clauses(timeout_ms, pattern, &a);
  va_end(ap);
  return rc;
}

static int match_any(beam_term_t msg, void *ctx) {
  (void) msg;
  (void) ctx;
  return 0;
}

int beam_receive_any(int64_t timeout_ms, beam_term_t *msg) {
  beam__proc_t *p = beam__proc_current();
  if (!p)
    return BEAM_ENOTPROC;
  if (check_timeout(timeout_ms) < 0)
    return BEAM_EINVAL;
  return receive_loop(p, timeout_ms, match_any, NULL, msg, false);
}

typedef struct user_match {
  beam_match_fn_t fn;
  void *ctx;
} user_match_t;

/* The callback may send, spawn, yield, even exit; what it may not do is
** change the list the walk stands in (receive, flush): those calls see
** 'in_match' and return BEAM_ECALLBACK. A yield inside it is safe: only
** this process touches its inner list. */
static int match_user(beam_term_t msg, void *ctx) {
  user_match_t *u = ctx;
  beam__proc_t *p = beam__proc_current();
  p->in_match = 1;
  int r = u->fn(msg, u->ctx);
  p = beam__proc_current(); /* the callback may have yielded */
  p->in_match = 0;
  return r > 0 ? r : NO_MATCH;
}

int beam_receive_fn(int64_t timeout_ms, beam_match_fn_t match, void *ctx,
                    beam_term_t *msg) {
  beam__proc_t *p = beam__proc_current();
  if (!p)
    return BEAM_ENOTPROC;
  if (check_timeout(timeout_ms) < 0 || match == NULL)
    return BEAM_EINVAL;
  user_match_t u = {match, ctx};
  return receive_loop(p, timeout_ms, match_user, &u, msg, false);
}

int64_t beam_mailbox_len(void) {
  beam__proc_t *p = beam__proc_current();
  if (!p)
    return BEAM_ENOTPROC;
  beam__signals_drain(p);
  return p->mbox.inner_len;
}

int beam__mailbox_remove_if(beam__proc_t *p,
                            bool (*pred)(beam_term_t msg, void *ctx),
                            void *ctx) {
  if (BEAM_UNLIKELY(p->in_match))
    return BEAM_ECALLBACK;
  beam__link_t *pos = &p->mbox.first;
  beam__msg_t *m;
  while ((m = beam__link_get(pos)) != NULL) {
    if (pred(m->term, ctx))
      beam__msg_free(take(p, pos));
    else
      pos = &m->next;
  }
  return 0;
}
