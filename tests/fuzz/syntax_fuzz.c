/* SPDX-License-Identifier: MIT */
/*
** syntax_fuzz.c: libFuzzer target for the pattern and format syntax
** (src/term/syntax.c, pattern.c, args.h).
**
** An input is a text, a NUL, then bytes that feed the values. For each
** text (ASan/UBSan watch for crashes):
**  1. beam_syntax_check in both modes answers 0 or BEAM_EPATTERN with the
**     position inside the text; beam_fmt and beam_match agree with it.
**  2. Valid as a format: the term built from it (holes filled from the
**     bytes, through the checked convention) matches the same text read as
**     a pattern (=> turned into :=), and printing it and formatting the
**     print gives an =:= term (print -> fmt round trip).
**  3. Valid as a pattern: the compiled matcher (pattern.c) and the
**     interpreter (syntax.c) agree, on match or no match and on every
**     binding, against that built term, a term decoded from the bytes as
**     ETF, and generated terms; and the checked convention refuses a
**     missing argument.
** Everything an input builds is released afterwards.
**
** Build and run: 'make fuzz' (FUZZ_SECONDS, both targets), 'make stress'
** runs each for 10 minutes; 'make test' replays tests/fuzz/syntax_corpus/.
*/
#include "../../src/term/args.h"
#include "../../src/term/heap.h"
#include "../../src/term/pattern.h"
#include "../../src/term/syntax.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXTEXT 2048
#define MAXARGS 20 /* values passed to every checked call */

static void fail(const char *what, const char *text, beam_term_t t) {
  char buf[512];
  beam_print(buf, sizeof buf, t);
  fprintf(stderr, "syntax_fuzz: %s\n  text: %s\n  term: %s\n", what, text,
          buf);
  abort();
}

/* ---- Bytes to values ---- */

typedef struct src {
  const uint8_t *p;
  size_t n;
} src_t;

static unsigned byte(src_t *s) {
  if (s->n == 0)
    return 0;
  s->n--;
  return *s->p++;
}

static uint64_t word(src_t *s) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | byte(s);
  return v;
}

static const char *const atoms[] = {"a", "ok", "error", "EXIT", "", "b c",
                                    "é", "x"};
static char strings[MAXARGS][16];

/* A term from the bytes, small and likely to meet patterns. */
static beam_term_t gen(src_t *s, int depth) {
  unsigned k = byte(s) % (depth < 4 ? 12 : 7);
  switch (k) {
  case 0: return beam_atom(atoms[byte(s) % 8]);
  case 1: return beam_int((int64_t) (int8_t) byte(s));
  case 2: return beam_int((int64_t) word(s) >> (byte(s) % 64));
  case 3: return beam_float((double) (int8_t) byte(s) / 4);
  case 4: return beam_nil();
  case 5: {
    char b[4] = {(char) ('a' + byte(s) % 3), (char) ('a' + byte(s) % 3), 0};
    return byte(s) & 1 ? beam_string(b) : beam_charlist(b);
  }
  case 6: return beam_uint(word(s));
  case 7: case 8: {
    beam_term_t e[4];
    size_t n = byte(s) % 4;
    for (size_t i = 0; i < n; i++)
      e[i] = gen(s, depth + 1);
    return beam_tuple_v(n, e);
  }
  case 9: case 10: {
    beam_term_t l = byte(s) % 4 ? beam_nil() : gen(s, depth + 1);
    for (unsigned n = byte(s) % 4; n > 0; n--)
      l = beam_cons(gen(s, depth + 1), l);
    return l;
  }
  default: {
    beam_term_t m = beam_map_new();
    for (unsigned n = byte(s) % 3; n > 0; n--)
      m = beam_map_put(m, gen(s, depth + 1), gen(s, depth + 1));
    return m;
  }
  }
}

/* Values for the arguments 'types' (from beam__text_arg_types), as
** checked arguments; variables point into 'out'. Returns the count of
** beam_arg_t values (~b takes two), or -1 if they do not fit. */
static int values(const char *types, size_t n, src_t *s, beam_term_t *out,
                  beam_arg_t *v) {
  int k = 0;
  for (size_t i = 0; i < n; i++) {
    if (k + 2 > MAXARGS)
      return -1;
    switch (types[i]) {
    case 'v': v[k].kind = BEAM_ARG_TERMP, v[k].v.p = &out[i]; break;
    case 'i': v[k].kind = BEAM_ARG_INT, v[k].v.i = (int64_t) word(s); break;
    case 'u': v[k].kind = BEAM_ARG_UINT, v[k].v.u = word(s); break;
    case 'f': v[k].kind = BEAM_ARG_FLOAT, v[k].v.f = (double) (int16_t) word(s) / 8; break;
    case 't': v[k].kind = BEAM_ARG_TERM, v[k].v.t = gen(s, 0).raw; break;
    case 'b': {
      char *b = strings[k];
      size_t len = byte(s) % 8;
      for (size_t j = 0; j < len; j++)
        b[j] = (char) ('a' + byte(s) % 4);
      v[k].kind = BEAM_ARG_PTR, v[k].v.p = b;
      k++;
      v[k].kind = BEAM_ARG_UINT, v[k].v.u = len;
      break;
    }
    default: { /* a s l */
      char *b = strings[k];
      snprintf(b, sizeof strings[k], "%s", atoms[byte(s) % 8]);
      v[k].kind = BEAM_ARG_STR, v[k].v.p = b;
      break;
    }
    }
    k++;
  }
  return k;
}

/* ---- The calls, with exactly 'n' checked values (the rest unread) ---- */

#define ARGS20(v)                                                              \
  v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11],   \
      v[12], v[13], v[14], v[15], v[16], v[17], v[18], v[19]

static beam_term_t fmt(const char *text, int n, beam_arg_t *v) {
  beam_arg_t a[MAXARGS + 1];
  a[0].kind = BEAM_ARG_STR, a[0].v.p = text;
  memcpy(a + 1, v, sizeof *v * MAXARGS);
  return beam_fmt_checked((size_t) n + 1, ARGS20(a), a[20]);
}

static int match(beam_term_t t, const char *text, int n, beam_arg_t *v) {
  beam_arg_t a[MAXARGS + 1];
  a[0].kind = BEAM_ARG_STR, a[0].v.p = text;
  memcpy(a + 1, v, sizeof *v * MAXARGS);
  return beam_match_checked(t, (size_t) n + 1, ARGS20(a), a[20]);
}

static int interp_va(beam_term_t t, const char *text, size_t n, ...) {
  va_list ap;
  va_start(ap, n);
  beam__args_t a;
  beam__args_start(&a, &ap, n);
  int rc = beam__pattern_match(t, text, &a);
  va_end(ap);
  return rc;
}

static int compiled_va(const beam__pat_t *p, beam_term_t t, size_t n, ...) {
  va_list ap;
  va_start(ap, n);
  beam__args_t a;
  beam__args_start(&a, &ap, n);
  beam__parg_t args[MAXARGS];
  int rc = beam__pat_load(p, &a, args, 0, NULL);
  if (rc == 0)
    rc = beam__pat_match(p, t, args);
  va_end(ap);
  return rc;
}

/* Both matchers on 't', each binding into its own copy of the outputs. */
static void agree(const char *text, const beam__pat_t *pat, const char *types,
                  size_t nt, beam_term_t t, src_t vals) {
  beam_term_t o1[MAXARGS], o2[MAXARGS];
  beam_arg_t v1[MAXARGS], v2[MAXARGS];
  src_t s1 = vals, s2 = vals;
  beam_mark_t m = beam_arena_mark();
  int n1 = values(types, nt, &s1, o1, v1);
  int n2 = values(types, nt, &s2, o2, v2);
  if (n1 < 0 || n1 != n2)
    return;
  for (size_t i = 0; i < MAXARGS; i++)
    o1[i] = o2[i] = beam_atom("unbound");
  /* the two value sets must be the same values: regenerate the terms */
  for (int i = 0; i < n1; i++)
    if (v1[i].kind == BEAM_ARG_TERM)
      v2[i] = v1[i];
  int r1 = interp_va(t, text, (size_t) n1, ARGS20(v1));
  if (pat != NULL) { /* NULL: the cache interprets this text too */
    int r2 = compiled_va(pat, t, (size_t) n2, ARGS20(v2));
    if (r1 != r2)
      fail("compiled and interpreted matchers disagree", text, t);
    if (r1 == 1)
      for (size_t i = 0; i < nt; i++)
        if (types[i] == 'v' && !beam_equal(o1[i], o2[i]))
          fail("compiled and interpreted bindings differ", text, t);
  }
  int r3 = match(t, text, n1, v1);
  if (r3 != r1)
    fail("beam_match_checked disagrees with the interpreter", text, t);
  if (n1 > 0 && match(t, text, n1 - 1, v1) != BEAM_EBADARG)
    fail("a missing checked argument is not BEAM_EBADARG", text, t);
  beam_arena_release(m);
}

/* The text with every '=>' token turned into ':=', for the pattern side
** of the fmt -> match round trip; 0 if it does not fit. */
static int as_pattern(const char *text, char *out, size_t size) {
  size_t p = 0, w = 0;
  for (;;) {
    size_t start = p;
    tok_t t = beam__lex(text, &p);
    if (t.k == T_ERR)
      return 0;
    if (p - start + 1 >= size - w)
      return 0;
    memcpy(out + w, text + start, p - start);
    if (t.k == T_ARROW)
      memcpy(out + w + (t.pos - start), ":=", 2);
    w += p - start;
    if (t.k == T_END)
      break;
  }
  out[w] = '\0';
  return 1;
}

static void check_modes(const char *text) {
  for (int mode = 0; mode < 2; mode++) {
    size_t pos = 0;
    const char *why = NULL;
    int rc = beam_syntax_check(text, mode, &pos, &why);
    if (rc != 0 && rc != BEAM_EPATTERN)
      fail("syntax_check answered neither 0 nor EPATTERN", text, beam_nil());
    if (rc == BEAM_EPATTERN && (pos > strlen(text) || why == NULL))
      fail("syntax_check's error position is outside the text", text,
           beam_nil());
    if (rc != 0) {
      if (mode == 0 && !beam_is_error((beam_fmt)(text)))
        fail("beam_fmt accepts what syntax_check refuses", text, beam_nil());
      if (mode == 1 && (beam_match)(beam_nil(), text) != BEAM_EPATTERN)
        fail("beam_match accepts what syntax_check refuses", text,
             beam_nil());
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char text[MAXTEXT], pat[2 * MAXTEXT];
  size_t tl = 0;
  while (tl < size && tl + 1 < MAXTEXT && data[tl] != 0)
    tl++;
  memcpy(text, data, tl);
  text[tl] = '\0';
  src_t vals = {data + tl, size - tl};
  beam_mark_t m = beam_arena_mark();
  check_modes(text);
  char types[64];
  size_t pos;
  beam_term_t built = beam_error_term(BEAM_EINVAL);
  /* 2: as a format */
  if (beam_syntax_check(text, 0, &pos, NULL) == 0) {
    size_t nt = beam__text_arg_types(text, types, sizeof types);
    beam_term_t out[MAXARGS];
    beam_arg_t v[MAXARGS];
    src_t s = vals;
    int n = nt <= sizeof types ? values(types, nt, &s, out, v) : -1;
    if (n >= 0) {
      built = fmt(text, n, v);
      if (!beam_is_error(built)) {
        /* (A map written with a key twice keeps the last value: its
        ** pattern then asks for both, so maps are left out here.) */
        if (as_pattern(text, pat, sizeof pat) && strstr(text, "#{") == NULL &&
            beam_syntax_check(pat, 1, &pos, NULL) == 0 &&
            match(built, pat, n, v) != 1)
          fail("a built term does not match its own text", text, built);
        char printed[4096];
        if (beam_print(printed, sizeof printed, built) < sizeof printed) {
          beam_term_t again = (beam_fmt)(printed);
          if (!beam_equal(again, built))
            fail("print -> fmt is not a round trip", printed, built);
        }
      }
    }
  }
  /* 3: as a pattern */
  if (beam_syntax_check(text, 1, &pos, NULL) == 0) {
    size_t nt = beam__text_arg_types(text, types, sizeof types);
    if (nt <= MAXARGS) {
      int err;
      const beam__pat_t *cp = beam__pat_get(text, &err);
      if (cp == NULL && err != 0)
        fail("a valid pattern failed to compile", text, beam_nil());
      beam_etf_opts_t safe = {BEAM_ETF_SAFE, 0, 64, 0};
      beam_term_t from_etf = beam_etf_decode(vals.p, vals.n, &safe, NULL);
      if (!beam_is_error(built))
        agree(text, cp, types, nt, built, vals);
      if (!beam_is_error(from_etf))
        agree(text, cp, types, nt, from_etf, vals);
      src_t g = vals;
      for (int i = 0; i < 4; i++)
        agree(text, cp, types, nt, gen(&g, 0), vals);
    }
  }
  beam_arena_release(m);
  return 0;
}
