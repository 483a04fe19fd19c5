/* SPDX-License-Identifier: MIT */
/*
** term/pattern.h: patterns compiled once and matched many times, for
** beam_match() and beam_receive() (pattern.c explains the design).
**
** Use: 'beam__pat_get' the compiled form of a text (cached for the life of
** the library), 'beam__pat_load' its arguments out of the varargs once, then
** 'beam__pat_match' against as many terms as needed. A NULL from
** beam__pat_get with '*err' == 0 means "not compiled" (cache full, out of
** memory, text too long): the caller falls back to the interpreter in
** syntax.c, which gives the same answers.
*/
#ifndef BEAM_TERM_PATTERN_H
#define BEAM_TERM_PATTERN_H

#include <stdarg.h>

#include "term.h"
#include "args.h"

typedef struct beam__pat beam__pat_t;

/* One loaded argument: a variable's output pointer or a hole's value. */
typedef union beam__parg {
  beam_term_t *out; /* variable */
  int64_t i;        /* ~i */
  uint64_t u;       /* ~u */
  double f;         /* ~f */
  const char *s;    /* ~a ~s ~l */
  beam_term_t t;    /* ~t */
  struct {
    const void *p;
    size_t n;
  } b; /* ~b */
} beam__parg_t;

/* Take one argument of kind 'type' ('v' for a variable, else a hole
** letter) from 'in' into '*a' (args.h). Returns in->err: BEAM_EINVAL for a
** NULL variable pointer or hole string, BEAM_EBADARG for a checked
** argument of the wrong kind (consumed all the same), else 0. Shared with
** the interpreter (syntax.c). */
int beam__parg_take(char type, beam__args_t *in, beam__parg_t *a);
/* 1 if 't' is exactly (=:=) the value of hole 'h' held in '*a'. */
int beam__hole_eq(char h, const beam__parg_t *a, beam_term_t t);

/* The compiled form of 'text', or NULL: '*err' is then BEAM_EPATTERN
** (malformed), BEAM_EINVAL (NULL text) or 0 (not compiled: interpret).
** [any] */
const beam__pat_t *beam__pat_get(const char *text, int *err);

/* Arguments the pattern takes (loaded slots, not varargs: ~b is one). */
size_t beam__pat_nargs(const beam__pat_t *pat);

/* Take the pattern's arguments from 'in' into 'args' (beam__pat_nargs
** slots); returns in->err, as beam__parg_take (every argument is consumed
** anyway). '*has_ref' (may be NULL) tells whether a ~t hole holds the
** local ref with id 'ref_id' (0: none). */
int beam__pat_load(const beam__pat_t *pat, beam__args_t *in,
                   beam__parg_t *args, uint64_t ref_id, bool *has_ref);

/* 1 if 't' matches (variables written through their pointers), else 0
** (nothing written). Never allocates. */
int beam__pat_match(const beam__pat_t *pat, beam_term_t t,
                    const beam__parg_t *args);

#endif
