/* SPDX-License-Identifier: MIT */
/*
** Compiled patterns (src/term/pattern.c) against the interpreter they
** replace on the fast path (src/term/syntax.c): for many patterns and
** random terms, both must agree on match / no match and on every binding.
*/
#include "../../harness/check.h"

#include "../../../src/term/pattern.h"
#include "../../../src/term/syntax.h"

static int interp(beam_term_t t, const char *pat, ...) {
  va_list ap;
  va_start(ap, pat);
  size_t n;
  beam__args_t a;
  beam__args_start(&a, &ap, SIZE_MAX);
  int rc = beam__pattern_scan(pat, &n);
  if (rc == 0)
    rc = beam__pattern_match(t, pat, &a);
  va_end(ap);
  return rc;
}

static int compiled(beam_term_t t, const char *pat, ...) {
  va_list ap;
  va_start(ap, pat);
  int err;
  const beam__pat_t *p = beam__pat_get(pat, &err);
  int rc = err;
  if (p) {
    beam__parg_t args[16];
    beam__args_t a;
    beam__args_start(&a, &ap, SIZE_MAX);
    rc = beam__pat_load(p, &a, args, 0, NULL);
    if (rc == 0)
      rc = beam__pat_match(p, t, args);
  }
  va_end(ap);
  return p || err ? rc : -9999; /* -9999: not compiled */
}

static unsigned rnd(unsigned *s) {
  *s = *s * 1103515245u + 12345u;
  return *s >> 16;
}

static beam_term_t gen(unsigned *s, int depth) {
  unsigned k = rnd(s) % (depth > 0 ? 14 : 9);
  switch (k) {
  case 0: return beam_atom("a");
  case 1: return beam_atom("ok");
  case 2: return beam_atom("EXIT");
  case 3: return beam_int((int64_t) (rnd(s) % 3) - 1);
  case 4: return beam_int_from_str("123456789012345678901234567890");
  case 5: return beam_float(rnd(s) % 2 ? 1.5 : 1.0);
  case 6: return beam_fmt("\"abc\"");
  case 7: return beam_fmt(rnd(s) % 2 ? "<<1,2,3>>" : "<<\"abc\">>");
  case 8: return beam_nil();
  case 9: case 10: {
    size_t n = rnd(s) % 4;
    beam_term_t e[3];
    for (size_t i = 0; i < n; i++)
      e[i] = gen(s, depth - 1);
    return beam_tuple_v(n, e);
  }
  case 11: case 12: {
    beam_term_t l = rnd(s) % 4 ? beam_nil() : gen(s, depth - 1);
    for (unsigned n = rnd(s) % 4; n > 0; n--)
      l = beam_cons(gen(s, depth - 1), l);
    return l;
  }
  default: {
    beam_term_t m = beam_map_new();
    for (unsigned n = rnd(s) % 3; n > 0; n--)
      m = beam_map_put(m, gen(s, 0), gen(s, depth - 1));
    return m;
  }
  }
}

static const char *const patterns[] = {
    "_", "X", "{X, Y}", "{X, X}", "{a, X}", "{X, _, Z}", "[X | Y]",
    "[X, Y]", "[X, X | _]", "[_ | _]", "[]", "{}", "#{}", "#{a := X}",
    "#{a := X, ok := X}", "{X, #{X := Y}}", "{X, [X | Y]}", "\"abc\"",
    "<<1,2,3>>", "<<\"abc\">>", "{1.5, X}", "{1.0, X}", "{-1, X}", "{0, X}",
    "{123456789012345678901234567890, X}", "{'EXIT', X, Y}",
    "{ok, {X, [Y | Z]}}", "[{A, B} | _]", "{a, [1, 2 | T]}", "#{-1 := V}",
    "{{}, X}", "{[], X}", "{\"abc\", _}", "#{a := {X, Y}}", "[X, Y, Z | W]",
};

BEAM_TEST(pattern_compiled_agrees_with_interpreter) {
  unsigned seed = 4242;
  int matched = 0, total = 0;
  int iters = (int) (3000 * beam_test_scale()) + 50;
  for (int i = 0; i < iters; i++) {
    beam_mark_t m = beam_arena_mark();
    beam_term_t t = gen(&seed, 3);
    for (size_t p = 0; p < sizeof patterns / sizeof *patterns; p++) {
      beam_term_t a[4] = {{0}}, b[4] = {{0}};
      int ri = interp(t, patterns[p], &a[0], &a[1], &a[2], &a[3]);
      int rc = compiled(t, patterns[p], &b[0], &b[1], &b[2], &b[3]);
      if (ri != rc) {
        char buf[256];
        beam_print(buf, sizeof buf, t);
        TLOG("pattern %s term %s: interpreter %d, compiled %d", patterns[p],
             buf, ri, rc);
      }
      ASSERT_EQ(ri, rc);
      for (int k = 0; k < 4; k++) {
        ASSERT_EQ(a[k].raw == 0, b[k].raw == 0);
        if (a[k].raw)
          ASSERT_TRUE(beam_equal(a[k], b[k]));
      }
      matched += ri == 1;
      total++;
    }
    beam_arena_release(m);
  }
  TLOG("%d of %d pairs matched", matched, total);
  ASSERT_GT(matched, total / 20); /* the generator does hit the patterns */
}

BEAM_TEST(pattern_holes_and_errors) {
  beam_term_t ref = beam_make_ref(), x = {0};
  beam_term_t t = beam_fmt("{reply, ~t, 7, <<\"hi\">>, \"hé\", 2.5, big}", ref);
  int err;
  const beam__pat_t *p =
      beam__pat_get("{reply, ~t, ~i, ~s, ~l, ~f, ~a}", &err);
  ASSERT_TRUE(p != NULL);
  ASSERT_EQ(beam__pat_nargs(p), 6);
  ASSERT_EQ(compiled(t, "{reply, ~t, ~i, ~s, ~l, ~f, ~a}", ref, (int64_t) 7,
                     "hi", "hé", 2.5, "big"),
            1);
  ASSERT_EQ(compiled(t, "{reply, ~t, ~i, ~s, ~l, ~f, ~a}", ref, (int64_t) 8,
                     "hi", "hé", 2.5, "big"),
            0);
  ASSERT_EQ(compiled(t, "{reply, ~t, ~i, ~b, X, _, _}", ref, (int64_t) 7,
                     "hi", (size_t) 2, &x),
            1);
  ASSERT_TRUE(beam_match(x, "\"hé\""));
  /* NULL arguments are BEAM_EINVAL; malformed text BEAM_EPATTERN. */
  ASSERT_EQ(compiled(t, "{reply, X, _, _, _, _, _}", NULL), BEAM_EINVAL);
  ASSERT_EQ(compiled(t, "{reply, ~a}", NULL), BEAM_EINVAL);
  ASSERT_EQ(compiled(t, "{reply, ", &x), BEAM_EPATTERN);
  ASSERT_TRUE(beam__pat_get(NULL, &err) == NULL);
  ASSERT_EQ(err, BEAM_EINVAL);
  /* A text in a reused buffer is looked up by content, never by address. */
  char buf[32];
  strcpy(buf, "{reply, X, 7, _, _, _, _}");
  ASSERT_EQ(compiled(t, buf, &x), 1);
  ASSERT_TRUE(beam_equal(x, ref));
  strcpy(buf, "{reply, _, 8, _, _, _, _}");
  ASSERT_EQ(compiled(t, buf), 0);
}
