/* SPDX-License-Identifier: MIT */
/*
** term/syntax.h: the pattern interpreter behind beam_match(), for callers
** that walk several patterns in one varargs list (beam_receive: pattern,
** its arguments, pattern, its arguments, ..., NULL).
**
** A pattern is validated once with beam__pattern_scan(), which also counts
** the varargs it consumes (one per distinct variable, one per hole, two for
** ~b). beam__pattern_match() then interprets the text against a term
** without allocating and always consumes exactly that many arguments from
** '*ap', match or not, so the caller can go on to the next pattern.
** Variables are bound only when the whole pattern matches.
**
** Limits, all reported by the scan as BEAM_EPATTERN: 16 distinct
** variables, nesting depth 32, integer literals of 300 digits (use ~t
** for larger), float literals of 64 characters. Stack use of a match is
** about 600 bytes plus ~300 bytes per nesting level (x86-64, -O2), so
** at most ~10 KiB of a 64 KiB process stack.
*/
#ifndef BEAM_TERM_SYNTAX_H
#define BEAM_TERM_SYNTAX_H

#include <stdarg.h>

#include "term.h"
#include "args.h"

/* Tokens, for the pattern compiler (pattern.c). */
typedef enum {
  T_END, T_LBRACE, T_RBRACE, T_LBRACK, T_RBRACK, T_COMMA, T_BAR, T_LBIN,
  T_RBIN, T_MAP, T_ARROW, T_ASSOC, T_ATOM, T_QATOM, T_VAR, T_ANY, T_INT,
  T_FLOAT, T_STR, T_HOLE, T_ERR,
  T_PID, T_REF, T_SLASH /* beam_fmt only: <0.I.S>, #Ref<0.A.B.C>, ".."/utf8 */
} kind_t;

typedef struct tok {
  kind_t k;
  size_t pos, len; /* the token's text: s[pos .. pos+len) */
  const char *why; /* T_ERR only */
} tok_t;

/* The next token of 's' at '*pos' (advanced past it). */
tok_t beam__lex(const char *s, size_t *pos);

/* Comparisons the matchers share: floats as =:= (0.0 =/= -0.0), a binary
** against bytes, a char list against UTF-8 text. */
int beam__float_eq(double x, double y);
int beam__eq_bytes(beam_term_t t, const void *p, size_t n);
int beam__eq_utf8_list(beam_term_t l, const char *s);

#define BEAM__PATTERN_MAX_VARS  16
#define BEAM__PATTERN_MAX_DEPTH 32

/* 0 if 'pat' is a well-formed pattern ('*nargs' = varargs it consumes),
** else BEAM_EPATTERN (BEAM_EINVAL for NULL). [any, nofail-alloc] */
int beam__pattern_scan(const char *pat, size_t *nargs);

/* Match 't' against a pattern already accepted by beam__pattern_scan.
** Returns 1 (variables bound), 0 (nothing bound) or the arguments' error
** (BEAM_EINVAL for a NULL variable pointer or hole string, BEAM_EBADARG
** for a checked argument of the wrong kind; nothing bound). Consumes
** exactly the pattern's arguments from 'args' in every case.
** [any, never allocates] */
int beam__pattern_match(beam_term_t t, const char *pat, beam__args_t *args);

/* Consume a validated-or-not pattern's arguments without matching or
** binding (0, BEAM_EPATTERN from the scan with nothing consumed, or the
** arguments' error); '*has_ref' tells whether a ~t hole holds the local
** ref 'ref_id'. */
int beam__pattern_args(const char *pat, beam__args_t *args, uint64_t ref_id,
                       bool *has_ref);

/* The arguments a well-formed text takes, in order, as letters: 'v' for
** a variable's first occurrence, else the hole's letter (~b is one 'b',
** two varargs). Writes at most 'max'; returns how many there are. For
** tests and fuzzing, which must produce values of the right kinds. */
size_t beam__text_arg_types(const char *text, char *types, size_t max);

#endif
