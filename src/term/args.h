/* SPDX-License-Identifier: MIT */
/*
** term/args.h: the one reader of the C values behind holes, variables and
** receive clauses.
**
** Two conventions reach beam_fmt, beam_match and beam_receive (public
** cbeam/args.h): plain varargs, read as the documented C types, and
** checked varargs, where the public macros pass a count and wrap every
** value in a beam_arg_t naming its C type. Everything that takes an
** argument goes through a beam__args_t cursor and the readers below, so
** the syntax walkers, the compiled patterns and receive neither know nor
** care which convention the caller used.
**
** Checked mode never reads past the count and never reinterprets a value:
** a reader given the wrong kind (or nothing left) records BEAM_EBADARG in
** 'err' and returns a harmless zero value; callers test 'err' once, after
** taking every argument they need and before acting on any of them.
** Plain mode cannot check, and its 'err' only ever records NULL pointers
** (BEAM_EINVAL), as before.
*/
#ifndef BEAM_TERM_ARGS_H
#define BEAM_TERM_ARGS_H

#include <limits.h>
#include <stdarg.h>

#include "term.h"

typedef struct beam__args {
  va_list *ap; /* the caller's list, advanced as values are read; or 'own' */
  va_list own; /* a copy's own list (beam__args_copy) */
  size_t left; /* checked: values not yet read; plain: SIZE_MAX */
  bool checked;
  int err; /* 0, or the first problem seen */
} beam__args_t;

/* Read from '*src' (va_start'ed and ended by the caller, and advanced past
** what is read); 'n' values in checked mode, SIZE_MAX for plain. */
static inline void beam__args_start(beam__args_t *a, va_list *src, size_t n) {
  a->ap = src;
  a->left = n;
  a->checked = n != SIZE_MAX;
  a->err = 0;
}
/* An independent copy of 'src' (its position, count and error), to read
** the same values again; end it with beam__args_end. */
#define beam__args_copy(dst, src)                                              \
  do {                                                                         \
    va_copy((dst)->own, *(src)->ap);                                           \
    (dst)->ap = &(dst)->own;                                                   \
    (dst)->left = (src)->left;                                                 \
    (dst)->checked = (src)->checked;                                           \
    (dst)->err = (src)->err;                                                   \
  } while (0)
#define beam__args_end(a) va_end((a)->own)

/* Readers, one per C type a hole or variable takes (inline: a receive
** reads its clause list once per call). In checked mode each takes the
** next beam_arg_t and accepts only the kinds that mean the same value for
** its hole (an integer of any width for ~i while it fits, any number for
** ~f); the first refusal is remembered in 'err' and later reads still
** advance, so the caller can finish walking its text before it reports.
**   i64 ~i, u64 ~u, f64 ~f, str ~a ~s ~l (not NULL), ptr and size ~b,
**   term ~t, out a variable (not NULL), clause a receive clause's pattern
**   or NULL at the end of the list; done: BEAM_EBADARG if checked values
**   are left over. */

static inline bool beam__args_next_(beam__args_t *a, beam_arg_t *v) {
  if (a->left == 0) {
    a->err = a->err ? a->err : BEAM_EBADARG; /* a missing argument */
    return false;
  }
  a->left--;
  *v = va_arg(*a->ap, beam_arg_t);
  return true;
}

static inline void beam__args_refuse_(beam__args_t *a) {
  if (a->err == 0)
    a->err = BEAM_EBADARG;
}

static inline int64_t beam__args_i64(beam__args_t *a) {
  if (!a->checked)
    return va_arg(*a->ap, int64_t);
  beam_arg_t v;
  if (!beam__args_next_(a, &v))
    return 0;
  if (v.kind == BEAM_ARG_INT)
    return (int64_t) v.v.i;
  if (v.kind == BEAM_ARG_UINT && v.v.u <= (unsigned long long) INT64_MAX)
    return (int64_t) v.v.u;
  beam__args_refuse_(a);
  return 0;
}

static inline uint64_t beam__args_u64(beam__args_t *a) {
  if (!a->checked)
    return va_arg(*a->ap, uint64_t);
  beam_arg_t v;
  if (!beam__args_next_(a, &v))
    return 0;
  if (v.kind == BEAM_ARG_UINT)
    return (uint64_t) v.v.u;
  if (v.kind == BEAM_ARG_INT && v.v.i >= 0)
    return (uint64_t) v.v.i;
  beam__args_refuse_(a);
  return 0;
}

static inline double beam__args_f64(beam__args_t *a) {
  if (!a->checked)
    return va_arg(*a->ap, double);
  beam_arg_t v;
  if (!beam__args_next_(a, &v))
    return 0;
  switch (v.kind) {
  case BEAM_ARG_FLOAT:
    return v.v.f;
  case BEAM_ARG_INT:
    return (double) v.v.i;
  case BEAM_ARG_UINT:
    return (double) v.v.u;
  default:
    beam__args_refuse_(a);
    return 0;
  }
}

/* A pointer of the kinds 'k1' or 'k2'. */
static inline const void *beam__args_pointer_(beam__args_t *a, beam_arg_kind_t k1,
                           beam_arg_kind_t k2) {
  beam_arg_t v;
  if (!beam__args_next_(a, &v))
    return NULL;
  if (v.kind == k1 || v.kind == k2)
    return v.v.p;
  beam__args_refuse_(a);
  return NULL;
}

static inline void beam__args_null_(beam__args_t *a, const void *p) {
  if (p == NULL && a->err == 0)
    a->err = BEAM_EINVAL;
}

static inline const char *beam__args_str(beam__args_t *a) {
  const char *s = a->checked ? beam__args_pointer_(a, BEAM_ARG_STR, BEAM_ARG_PTR)
                             : va_arg(*a->ap, const char *);
  beam__args_null_(a, s);
  return s;
}

static inline const void *beam__args_ptr(beam__args_t *a) {
  return a->checked ? beam__args_pointer_(a, BEAM_ARG_PTR, BEAM_ARG_STR)
                    : va_arg(*a->ap, const void *);
}

static inline size_t beam__args_size(beam__args_t *a) {
  if (!a->checked)
    return va_arg(*a->ap, size_t);
  beam_arg_t v;
  if (!beam__args_next_(a, &v))
    return 0;
  if (v.kind == BEAM_ARG_UINT)
    return (size_t) v.v.u;
  if (v.kind == BEAM_ARG_INT && v.v.i >= 0)
    return (size_t) v.v.i;
  beam__args_refuse_(a);
  return 0;
}

static inline beam_term_t beam__args_term(beam__args_t *a) {
  if (!a->checked)
    return va_arg(*a->ap, beam_term_t);
  beam_arg_t v;
  if (!beam__args_next_(a, &v))
    return beam_nil();
  if (v.kind == BEAM_ARG_TERM)
    return beam__mk(v.v.t);
  beam__args_refuse_(a);
  return beam_nil();
}

static inline beam_term_t *beam__args_out(beam__args_t *a) {
  beam_term_t *out =
      a->checked ? (beam_term_t *) (uintptr_t) beam__args_pointer_(a, BEAM_ARG_TERMP,
                                                       BEAM_ARG_TERMP)
                 : va_arg(*a->ap, beam_term_t *);
  beam__args_null_(a, out);
  return out;
}

static inline const char *beam__args_clause(beam__args_t *a) {
  if (!a->checked)
    return va_arg(*a->ap, const char *);
  beam_arg_t v;
  if (!beam__args_next_(a, &v))
    return NULL; /* the NULL that ends the list is missing: err is set */
  if (v.kind == BEAM_ARG_STR)
    return v.v.p;
  /* The end: NULL is a void * (or 0, where NULL is defined so). */
  if ((v.kind == BEAM_ARG_PTR && v.v.p == NULL) ||
      (v.kind == BEAM_ARG_INT && v.v.i == 0))
    return NULL;
  beam__args_refuse_(a);
  return NULL;
}

static inline int beam__args_done(const beam__args_t *a) {
  return a->checked && a->left != 0 ? BEAM_EBADARG : 0;
}

#endif
