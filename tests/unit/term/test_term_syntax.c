/* SPDX-License-Identifier: MIT */
/* test_term_syntax.c: beam_fmt, beam_match, beam_syntax_check and the
** internal pattern API used by receive. */
#include "../../harness/check.h"

#include "../../../src/term/heap.h"
#include "../../../src/term/syntax.h"

BEAM_TEST(fmt_literals) {
  ASSERT_PRINTS(beam_fmt("ok"), "ok");
  ASSERT_PRINTS(beam_fmt("  'EXIT' "), "'EXIT'");
  ASSERT_PRINTS(beam_fmt("{a, -12, 1.5, \"hi\", <<\"bin\">>, <<1,2,3>>}"),
                "{a,-12,1.5,\"hi\",<<\"bin\">>,<<1,2,3>>}");
  ASSERT_PRINTS(beam_fmt("[1, 2 | 3]"), "[1,2|3]");
  ASSERT_PRINTS(beam_fmt("[]"), "[]");
  ASSERT_PRINTS(beam_fmt("{}"), "{}");
  ASSERT_PRINTS(beam_fmt("#{b => 2, a => 1, a => 3}"), "#{a => 3,b => 2}");
  ASSERT_PRINTS(beam_fmt("<<>>"), "<<>>");
  ASSERT_PRINTS(beam_fmt("<<\"a\", 0, \"\\x41\">>"), "<<97,0,65>>");
  ASSERT_PRINTS(beam_fmt("\"tab\\there\\x{e9}\\101\""), "\"tab\\thereéA\"");
  ASSERT_TERM_EQ(beam_fmt("123456789012345678901234567890"),
                 beam_int_from_str("123456789012345678901234567890"));
  ASSERT_TERM_EQ(beam_fmt("-1.5e3"), beam_float(-1500.0));
  ASSERT_TERM_EQ(beam_fmt("'hello world'"), beam_atom("hello world"));
  ASSERT_TERM_EQ(beam_fmt("'it\\'s'"), beam_atom("it's"));
  ASSERT_TERM_EQ(beam_fmt("\"é\""), beam_charlist("é"));
  ASSERT_TERM_EQ(beam_fmt("<<\"é\">>"), beam_string("é")); /* UTF-8 bytes */
  char big[80];
  memset(big, 'q', sizeof big);
  char text[100] = "<<\"";
  memcpy(text + 3, big, 80);
  strcpy(text + 83, "\">>");
  ASSERT_TERM_EQ(beam_fmt(text), beam_binary(big, 80)); /* a REFBIN */
}

BEAM_TEST(fmt_holes) {
  beam_term_t pid = beam__pid_make(3, 1);
  static const unsigned char bytes[] = {1, 2, 3};
  beam_term_t t = beam_fmt("{~i, ~u, ~f, ~a, ~s, ~l, ~b, ~t}", (int64_t) -7,
                           (uint64_t) UINT64_MAX, 2.5, "EXIT", "bin", "chars",
                           bytes, sizeof bytes, pid);
  ASSERT_PRINTS(t, "{-7,18446744073709551615,2.5,'EXIT',<<\"bin\">>,"
                   "\"chars\",<<1,2,3>>,<0.3.1>}");
  ASSERT_PRINTS(beam_fmt("[~i | ~t]", (int64_t) 1, beam_nil()), "[1]");
  ASSERT_PRINTS(beam_fmt("#{~a => ~i}", "k", (int64_t) 5), "#{k => 5}");
  ASSERT_ERR(beam_term_error(beam_fmt("{~a}", (const char *) NULL)),
             BEAM_EINVAL);
  ASSERT_ERR(beam_term_error(beam_fmt("~f", 1.0 / 0.0)), BEAM_EINVAL);
  ASSERT_ERR(beam_term_error(beam_fmt(NULL)), BEAM_EINVAL);
}

BEAM_TEST(syntax_errors_with_positions) {
  struct {
    const char *text;
    int pattern;
    size_t pos;
  } cases[] = {
      {"{a, b", 0, 5},         {"{a b}", 0, 3},        {"[1, 2", 0, 5},
      {"[1 | 2, 3]", 0, 6},    {"#{a => 1", 0, 8},     {"#{a := 1}", 0, 4},
      {"#{a => 1}", 1, 4},     {"~x", 0, 0},           {"'abc", 0, 0},
      {"\"abc", 0, 0},         {"X", 0, 0},            {"_", 0, 0},
      {"{ok, X}", 0, 5},       {"<<256>>", 0, 2},      {"<<a>>", 0, 2},
      {"<<1 2>>", 0, 4},       {"a b", 0, 2},          {"", 0, 0},
      {"  ", 1, 2},            {"{a,}", 0, 3},         {"1.5e", 0, 3},
      {"12ab", 0, 2},          {"#{X := 1}", 1, 2},    {"#{_ := 1}", 1, 2},
      {"\"\\x{110000}\"", 0, 1}, {"1.0e999", 0, 0},    {"<1>", 0, 0},
      {"}", 0, 0},             {"$", 0, 0},            {"[a|]", 0, 3},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t pos = 999;
    const char *why = NULL;
    int rc = beam_syntax_check(cases[i].text, cases[i].pattern, &pos, &why);
    if (rc != BEAM_EPATTERN || pos != cases[i].pos)
      TLOG("case %zu '%s': rc %d pos %zu why %s", i, cases[i].text, rc, pos,
           why ? why : "-");
    ASSERT_ERR(rc, BEAM_EPATTERN);
    ASSERT_EQ(pos, cases[i].pos);
    ASSERT(why != NULL);
    if (!cases[i].pattern)
      ASSERT_ERR(beam_term_error(beam_fmt(cases[i].text)), BEAM_EPATTERN);
    else
      ASSERT_ERR(beam_match(beam_nil(), cases[i].text), BEAM_EPATTERN);
  }
  size_t n;
  ASSERT_OK(beam_syntax_check("{~i, ~b, X, X, _Y, _}", 1, &n, NULL));
  ASSERT_EQ(n, 5);
  ASSERT_OK(beam_syntax_check("{~i, ~b}", 0, &n, NULL));
  ASSERT_EQ(n, 3);
  ASSERT_ERR(beam_syntax_check(NULL, 0, &n, NULL), BEAM_EINVAL);
  /* Limits: 17 variables, nesting 33. */
  ASSERT_ERR(beam_syntax_check("{A,B,C,D,E,F,G,H,I,J,K,L,M,N,O,P,Q}", 1,
                               NULL, NULL), BEAM_EPATTERN);
  ASSERT_OK(beam_syntax_check("{A,B,C,D,E,F,G,H,I,J,K,L,M,N,O,P,P}", 1,
                              NULL, NULL));
  char deep[200];
  memset(deep, '[', 33);
  memset(deep + 33, ']', 33);
  deep[66] = '\0';
  ASSERT_ERR(beam_syntax_check(deep, 0, NULL, NULL), BEAM_EPATTERN);
  deep[32] = ' ', deep[33] = ' ';
  ASSERT_OK(beam_syntax_check(deep, 0, NULL, NULL));
}

BEAM_TEST(match_basics) {
  beam_term_t t = beam_fmt("{pong, ~t, 42, [a, b], \"str\", <<\"bin\">>}",
                           beam__pid_make(7, 0));
  beam_term_t from = beam_nil(), n = beam_nil(), rest = beam_nil();
  ASSERT_EQ(beam_match(t, "{pong, From, N, [a | Rest], \"str\", <<\"bin\">>}",
                       &from, &n, &rest), 1);
  ASSERT_TERM_EQ(from, beam__pid_make(7, 0));
  ASSERT_TERM_EQ(n, beam_int(42));
  ASSERT_PRINTS(rest, "[b]");
  ASSERT_EQ(beam_match(t, "_"), 1);
  ASSERT_EQ(beam_match(t, "{_, _, _, _, _, _}"), 1);
  ASSERT_EQ(beam_match(t, "{_, _, _, _, _}"), 0);
  ASSERT_EQ(beam_match(t, "{_, _, _, _, _, _, _}"), 0);
  ASSERT_EQ(beam_match(t, "[_]"), 0);
  /* no match: variables untouched */
  beam_term_t x = beam_atom("untouched");
  ASSERT_EQ(beam_match(t, "{ping, X, _, _, _, _}", &x), 0);
  ASSERT_TERM_EQ(x, beam_atom("untouched"));
  ASSERT_EQ(beam_match(t, "{X, _, 43, _, _, _}", &x), 0);
  ASSERT_TERM_EQ(x, beam_atom("untouched"));
  /* literals of every kind */
  ASSERT_EQ(beam_match(beam_fmt("'EXIT'"), "'EXIT'"), 1);
  ASSERT_EQ(beam_match(beam_atom("a b"), "'a b'"), 1);
  ASSERT_EQ(beam_match(beam_atom("a b"), "'a c'"), 0);
  ASSERT_EQ(beam_match(beam_atom("a"), "'a b'"), 0);
  ASSERT_EQ(beam_match(beam_int(-5), "-5"), 1);
  ASSERT_EQ(beam_match(beam_int(5), "-5"), 0);
  ASSERT_EQ(beam_match(beam_int(0), "0"), 1);
  ASSERT_EQ(beam_match(beam_float(1.0), "1"), 0); /* =:= */
  ASSERT_EQ(beam_match(beam_int(1), "1.0"), 0);
  ASSERT_EQ(beam_match(beam_float(1.0), "1.0"), 1);
  ASSERT_EQ(beam_match(beam_float(-0.0), "0.0"), 0);
  beam_term_t big = beam_int_from_str("-123456789012345678901234567890");
  ASSERT_EQ(beam_match(big, "-123456789012345678901234567890"), 1);
  ASSERT_EQ(beam_match(big, "123456789012345678901234567890"), 0);
  ASSERT_EQ(beam_match(big, "-123456789012345678901234567891"), 0);
  ASSERT_EQ(beam_match(beam_int(BEAM__SMALL_MAX), "1152921504606846975"), 1);
  ASSERT_EQ(beam_match(beam_int(BEAM__SMALL_MAX + 1), "1152921504606846976"), 1);
  ASSERT_EQ(beam_match(beam_int(INT64_MIN), "-9223372036854775808"), 1);
  ASSERT_EQ(beam_match(beam_charlist("hé"), "\"hé\""), 1);
  ASSERT_EQ(beam_match(beam_charlist("hé"), "\"h\""), 0);
  ASSERT_EQ(beam_match(beam_nil(), "\"\""), 1);
  ASSERT_EQ(beam_match(beam_nil(), "[]"), 1);
  ASSERT_EQ(beam_match(beam_binary("\x01\x02", 2), "<<1, 2>>"), 1);
  ASSERT_EQ(beam_match(beam_binary("\x01\x02", 2), "<<1>>"), 0);
  ASSERT_EQ(beam_match(beam_binary("\x01\x02", 2), "<<1, 2, 3>>"), 0);
  ASSERT_EQ(beam_match(beam_binary("", 0), "<<>>"), 1);
  ASSERT_EQ(beam_match(beam_string("héllo"), "<<\"héllo\">>"), 1);
  ASSERT_EQ(beam_match(beam_cons(beam_int(1), beam_int(2)), "[1 | 2]"), 1);
  ASSERT_EQ(beam_match(beam_cons(beam_int(1), beam_int(2)), "[1]"), 0);
  ASSERT_EQ(beam_match(beam_tuple(0), "{}"), 1);
  ASSERT_EQ(beam_match(beam_tuple(1, beam_nil()), "{}"), 0);
  ASSERT_ERR(beam_match(t, NULL), BEAM_EINVAL);
}

BEAM_TEST(match_repeated_variables) {
  beam_term_t a, b;
  ASSERT_EQ(beam_match(beam_fmt("{1, 1}"), "{X, X}", &a), 1);
  ASSERT_TERM_EQ(a, beam_int(1));
  a = beam_nil();
  ASSERT_EQ(beam_match(beam_fmt("{1, 2}"), "{X, X}", &a), 0);
  ASSERT_TERM_EQ(a, beam_nil());
  ASSERT_EQ(beam_match(beam_fmt("{1, 1.0}"), "{X, X}", &a), 0); /* =:= */
  ASSERT_EQ(beam_match(beam_fmt("{[x], [x], y}"), "{_A, _A, B}", &a, &b), 1);
  ASSERT_PRINTS(a, "[x]");
  ASSERT_PRINTS(b, "y");
  ASSERT_EQ(beam_match(beam_fmt("{1, 2}"), "{_, _}"), 1); /* '_' never binds */
}

BEAM_TEST(match_holes) {
  beam_term_t pid = beam__pid_make(9, 2);
  beam_term_t t = beam_fmt("{~t, 42, 2.5, hello, <<\"bin\">>, \"cl\", <<7>>, 18446744073709551615}",
                           pid);
  static const unsigned char seven = 7;
  beam_term_t x;
  ASSERT_EQ(beam_match(t, "{~t, ~i, ~f, ~a, ~s, ~l, ~b, ~u}", pid,
                       (int64_t) 42, 2.5, "hello", "bin", "cl", &seven,
                       (size_t) 1, (uint64_t) UINT64_MAX), 1);
  ASSERT_EQ(beam_match(t, "{~t, ~i, X, _, _, _, _, _}", beam__pid_make(9, 3),
                       (int64_t) 42, &x), 0);
  ASSERT_EQ(beam_match(t, "{_, ~i, _, _, _, _, _, _}", (int64_t) 41), 0);
  ASSERT_EQ(beam_match(t, "{_, _, ~f, _, _, _, _, _}", 2.0), 0);
  ASSERT_EQ(beam_match(t, "{_, _, _, ~a, _, _, _, _}", "hell"), 0);
  ASSERT_EQ(beam_match(t, "{_, _, _, _, ~s, _, _, _}", "bin!"), 0);
  ASSERT_EQ(beam_match(t, "{_, _, _, _, _, ~l, _, _}", "c"), 0);
  ASSERT_EQ(beam_match(t, "{_, _, _, _, _, _, _, ~u}", (uint64_t) 5), 0);
  ASSERT_EQ(beam_match(beam_int(5), "~u", (uint64_t) 5), 1);
  ASSERT_ERR(beam_match(t, "{_, _, _, ~a, _, _, _, _}", (const char *) NULL),
             BEAM_EINVAL);
  ASSERT_ERR(beam_match(t, "{X, _, _, _, _, _, _, _}", (beam_term_t *) NULL),
             BEAM_EINVAL);
}

BEAM_TEST(match_maps) {
  beam_term_t m = beam_fmt("#{a => 1, {k, 2} => two, 3 => [x], 1.0 => f, "
                           "\"s\" => str}");
  beam_term_t v, w;
  ASSERT_EQ(beam_match(m, "#{a := V}", &v), 1);
  ASSERT_TERM_EQ(v, beam_int(1));
  ASSERT_EQ(beam_match(m, "#{{k, 2} := V, 3 := [W]}", &v, &w), 1);
  ASSERT_PRINTS(v, "two");
  ASSERT_PRINTS(w, "x");
  ASSERT_EQ(beam_match(m, "#{1.0 := V}", &v), 1);
  ASSERT_PRINTS(v, "f");
  ASSERT_EQ(beam_match(m, "#{1 := V}", &v), 0); /* 1 is not the key 1.0 */
  ASSERT_EQ(beam_match(m, "#{\"s\" := str}"), 1);
  ASSERT_EQ(beam_match(m, "#{}"), 1);
  ASSERT_EQ(beam_match(beam_nil(), "#{}"), 0);
  ASSERT_EQ(beam_match(m, "#{zz := _}"), 0);
  /* keys from holes and from bound variables */
  ASSERT_EQ(beam_match(m, "#{~a := V, {~a, ~i} := W}", "a", &v, "k",
                       (int64_t) 2, &w), 1);
  ASSERT_TERM_EQ(v, beam_int(1));
  ASSERT_PRINTS(w, "two");
  beam_term_t t = beam_tuple(2, beam_atom("a"), m);
  ASSERT_EQ(beam_match(t, "{K, #{K := V}}", &w, &v), 1);
  ASSERT_TERM_EQ(v, beam_int(1));
  /* a failing key still consumes its holes: the next argument lines up */
  ASSERT_EQ(beam_match(m, "#{~a := _, a := V}", "nope", &v), 0);
}

/* Several patterns in one varargs list, as beam_receive walks them. */
static int walk_clauses(beam_term_t msg, ...) {
  va_list ap;
  va_start(ap, msg);
  beam__args_t args;
  beam__args_start(&args, &ap, SIZE_MAX);
  int idx = 0, hit = -1;
  const char *pat;
  while ((pat = beam__args_clause(&args)) != NULL) {
    size_t nargs;
    if (beam__pattern_scan(pat, &nargs) < 0) {
      hit = BEAM_EPATTERN;
      break;
    }
    int r = beam__pattern_match(msg, pat, &args);
    if (r == 1 && hit < 0)
      hit = idx;
    idx++;
  }
  va_end(ap);
  return hit;
}

BEAM_TEST(pattern_internal_api) {
  beam_term_t a = beam_nil(), b = beam_nil(), c = beam_nil();
  beam_term_t msg = beam_fmt("{reply, 7, <<1,2>>}");
  static const unsigned char bytes[] = {1, 2};
  int r = walk_clauses(msg,
                       "{ping, X, ~b}", &a, bytes, (size_t) 2,
                       "{reply, ~i, B}", (int64_t) 8, &b,
                       "{reply, N, ~b}", &c, bytes, (size_t) 2,
                       "stop",
                       (const char *) NULL);
  ASSERT_EQ(r, 2);
  ASSERT_TERM_EQ(a, beam_nil());
  ASSERT_TERM_EQ(b, beam_nil());
  ASSERT_TERM_EQ(c, beam_int(7));
  size_t n;
  ASSERT_OK(beam__pattern_scan("{reply, N, ~b, N, #{~t := M}}", &n));
  ASSERT_EQ(n, 5); /* N, ~b (2), ~t, M */
  ASSERT_ERR(beam__pattern_scan("{", &n), BEAM_EPATTERN);
  ASSERT_ERR(beam__pattern_scan(NULL, &n), BEAM_EINVAL);
}

/* Random and mutated texts never crash and give a consistent verdict. */
BEAM_TEST(syntax_fuzz) {
  static const char *seeds[] = {
      "{ok, X, [1, 2 | T], #{a := V}, <<\"b\", 1>>, 'q\\'', \"s\\x{41}\"}",
      "#{k => [~i, ~f | ~t], {~a, ~s} => <<>>}",
      "[{A, B}, {B, A}, _, _X, 123456789012345678901234567890, -1.5e-3]",
      "{ok, [1, 2 | t], #{a => 1.5, {k} => \"v\"}, <<\"b\", 1>>, 'q\\''}",
      "{ok, [1 | _], #{a := 1.5}, <<\"b\", 1>>, \"s\\x{41}\", 99}",
  };
  const size_t nseeds = sizeof seeds / sizeof seeds[0];
  static const char alphabet[] = "{}[]<>#=:|,~'\"\\ _aXZ019.-eE$xibt";
  unsigned seed = 12345;
  char buf[128];
  int iters = (int) (20000 * beam_test_scale());
  beam_mark_t mark = beam_arena_mark();
  int valid = 0, ran = 0;
  for (int i = 0; i < iters; i++) {
    seed = seed * 1103515245u + 12345u;
    size_t len;
    if (seed % 3 == 0) {
      len = (seed >> 8) % (sizeof buf - 1);
      for (size_t k = 0; k < len; k++) {
        seed = seed * 1103515245u + 12345u;
        buf[k] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
      }
    } else {
      const char *s = seeds[(seed >> 4) % nseeds];
      len = strlen(s);
      memcpy(buf, s, len);
      int nmut = (int) ((seed >> 20) % 3); /* 0..2 edits: many stay valid */
      for (int m = 0; m < nmut && len > 0; m++) { /* replace or truncate */
        seed = seed * 1103515245u + 12345u;
        size_t at = (seed >> 16) % len;
        if (seed % 8 == 0)
          len = at;
        else
          buf[at] = seed % 2 ? ' ' : alphabet[(seed >> 8) % (sizeof alphabet - 1)];
      }
    }
    buf[len] = '\0';
    for (int pattern = 0; pattern < 2; pattern++) {
      size_t pos = 0;
      const char *why = NULL;
      int rc = beam_syntax_check(buf, pattern, &pos, &why);
      ASSERT(rc == 0 || rc == BEAM_EPATTERN);
      valid += rc == 0;
      ran += rc == 0 && pos == 0;
      if (rc < 0) {
        ASSERT(why != NULL);
        ASSERT_LE(pos, len);
        if (pattern)
          ASSERT_ERR(beam_match(beam_nil(), buf), BEAM_EPATTERN);
        else
          ASSERT_ERR(beam_term_error(beam_fmt(buf)), BEAM_EPATTERN);
      } else if (pos == 0) { /* no arguments needed: run it */
        if (pattern) {
          int m = beam_match(beam_fmt("{ok, [1], #{a => 1}}"), buf);
          ASSERT(m == 0 || m == 1);
        } else {
          beam_term_t t = beam_fmt(buf);
          ASSERT(!beam_is_error(t) || beam_term_error(t) == BEAM_EINVAL);
          if (!beam_is_error(t)) {
            char out[256];
            beam_print(out, sizeof out, t);
          }
        }
      }
    }
    if (i % 512 == 0) {
      beam_arena_release(mark);
      mark = beam_arena_mark();
    }
  }
  beam_arena_release(mark);
  TLOG("%d of %d texts valid, %d run", valid, 2 * iters, ran);
  ASSERT_GT(valid, iters / 10); /* the fuzz reaches the builders/matchers */
  ASSERT_GT(ran, iters / 50);
}

/* Round trip: what beam_print writes, beam_fmt reads back (=:=). */
BEAM_TEST(fmt_print_round_trip) {
  const char *texts[] = {
      "{ok,[1,2,3],\"abc\",<<\"bin\">>,<<1,2>>,#{a => 1,b => [2.5]}}",
      "['EXIT',-3,1.0e20,0.1,123456789012345678901234567890]",
      "[{x,'hello world'},[]|tail]",
  };
  for (size_t i = 0; i < 3; i++) {
    beam_term_t t = beam_fmt(texts[i]);
    ASSERT(!beam_is_error(t));
    ASSERT_PRINTS(t, texts[i]);
    char out[512];
    beam_print(out, sizeof out, t);
    ASSERT_TERM_EQ(beam_fmt(out), t);
  }
}
