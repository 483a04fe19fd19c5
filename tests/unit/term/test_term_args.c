/* SPDX-License-Identifier: MIT */
/*
** Checked arguments (include/cbeam/args.h, src/term/args.c): in C11 the
** beam_fmt, beam_match and beam_receive macros pass every argument with
** its C type and their count, so a wrong one is BEAM_EBADARG, never a
** wrong read (issue 15, item 10: "~i given an int prints 4294967291").
*/
#include "../../harness/check.h"

#include <limits.h>

#ifndef BEAM_TYPED_ARGS
#error "tests are C11: the checked macros must be on"
#endif

BEAM_TEST(checked_fmt_takes_any_integer_for_i_and_u) {
  int i = -5;
  short sh = -3;
  unsigned char uc = 200;
  long long ll = INT64_MIN;
  size_t z = 7;
  ASSERT_TERM_EQ(beam_fmt("{n, ~i}", i), beam_fmt("{n, -5}"));
  ASSERT_TERM_EQ(beam_fmt("~i", sh), beam_int(-3));
  ASSERT_TERM_EQ(beam_fmt("~i", uc), beam_int(200));
  ASSERT_TERM_EQ(beam_fmt("~i", ll), beam_int(INT64_MIN));
  ASSERT_TERM_EQ(beam_fmt("~u", z), beam_int(7));
  ASSERT_TERM_EQ(beam_fmt("~u", UINT64_MAX), beam_uint(UINT64_MAX));
  ASSERT_TERM_EQ(beam_fmt("~i", 'A'), beam_int(65));
  ASSERT_TERM_EQ(beam_fmt("~f", 3), beam_float(3.0)); /* any number */
  ASSERT_TERM_EQ(beam_fmt("~f", 2.5f), beam_float(2.5));
  /* out of range for the hole */
  ASSERT_ERR(beam_term_error(beam_fmt("~i", UINT64_MAX)), BEAM_EBADARG);
  ASSERT_ERR(beam_term_error(beam_fmt("~u", -1)), BEAM_EBADARG);
}

BEAM_TEST(checked_fmt_refuses_the_wrong_kind_of_value) {
  beam_term_t t = beam_atom("x");
  ASSERT_ERR(beam_term_error(beam_fmt("~i", 2.5)), BEAM_EBADARG);
  ASSERT_ERR(beam_term_error(beam_fmt("~s", t)), BEAM_EBADARG);
  ASSERT_ERR(beam_term_error(beam_fmt("~t", 5)), BEAM_EBADARG);
  ASSERT_ERR(beam_term_error(beam_fmt("~t", "text")), BEAM_EBADARG);
  ASSERT_ERR(beam_term_error(beam_fmt("~a", &t)), BEAM_EBADARG);
  ASSERT_ERR(beam_term_error(beam_fmt("~f", "1.0")), BEAM_EBADARG);
  /* missing and extra arguments */
  ASSERT_ERR(beam_term_error(beam_fmt("{~i, ~i}", 1)), BEAM_EBADARG);
  ASSERT_ERR(beam_term_error(beam_fmt("{~i}", 1, 2)), BEAM_EBADARG);
  ASSERT_ERR(beam_term_error(beam_fmt("ok", t)), BEAM_EBADARG);
  /* pointers and strings where they belong */
  static const unsigned char bytes[] = {1, 2, 3};
  ASSERT_TERM_EQ(beam_fmt("~b", bytes, sizeof bytes), beam_fmt("<<1,2,3>>"));
  ASSERT_TERM_EQ(beam_fmt("{~a, ~s, ~l, ~t}", "ok", "bin", "cl", t),
                 beam_fmt("{ok, <<\"bin\">>, \"cl\", x}"));
  const char *none = NULL;
  ASSERT_ERR(beam_term_error(beam_fmt("~a", none)), BEAM_EINVAL);
  ASSERT_ERR(beam_term_error(beam_fmt(none)), BEAM_EINVAL);
}

BEAM_TEST(checked_match_refuses_a_term_where_a_variable_belongs) {
  beam_term_t t = beam_fmt("{inc, 5}"), n = beam_nil();
  ASSERT_EQ(beam_match(t, "{inc, N}", &n), 1);
  ASSERT_TERM_EQ(n, beam_int(5));
  /* forgot the '&': an error, nothing written anywhere */
  ASSERT_ERR(beam_match(t, "{inc, N}", n), BEAM_EBADARG);
  int five = 5;
  ASSERT_EQ(beam_match(t, "{inc, ~i}", five), 1);
  ASSERT_EQ(beam_match(t, "{inc, ~i}", 6), 0);
  ASSERT_ERR(beam_match(t, "{inc, ~i}", 5.0), BEAM_EBADARG);
  ASSERT_ERR(beam_match(t, "{inc, N}"), BEAM_EBADARG);
  ASSERT_ERR(beam_match(t, "{inc, N}", &n, &n), BEAM_EBADARG);
  beam_term_t *nowhere = NULL;
  ASSERT_ERR(beam_match(t, "{inc, N}", nowhere), BEAM_EINVAL);
  /* the interpreter (not compiled: more than 16 arguments) agrees */
  beam_term_t v[17];
  beam_term_t big = beam_fmt("{1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17}");
  ASSERT_EQ(beam_match(big, "{A,B,C,D,E,F,G,H,I,J,K,L,M,N,O,P,~i}", &v[0],
                       &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
                       &v[9], &v[10], &v[11], &v[12], &v[13], &v[14], &v[15],
                       17),
            1);
  ASSERT_TERM_EQ(v[15], beam_int(16));
  ASSERT_ERR(beam_match(big, "{A,B,C,D,E,F,G,H,I,J,K,L,M,N,O,P,~i}", &v[0],
                        &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
                        &v[9], &v[10], &v[11], &v[12], &v[13], &v[14], v[15],
                        17),
             BEAM_EBADARG);
}

BEAM_TEST(plain_functions_still_read_the_documented_types) {
  ASSERT_TERM_EQ((beam_fmt)("{n, ~i}", (int64_t) 42), beam_fmt("{n, 42}"));
  beam_term_t n;
  ASSERT_EQ((beam_match)(beam_fmt("{n, 42}"), "{n, N}", &n), 1);
  ASSERT_TERM_EQ(n, beam_int(42));
}

static void receive_main(beam_term_t arg) {
  (void) arg;
  beam_term_t x = beam_nil(), y = beam_nil();
  ASSERT_OK(beam_send(beam_self(), beam_fmt("{a, 1}")));
  /* Each is refused at once, before any wait and with nothing taken. */
  ASSERT_ERR(beam_receive(BEAM_INFINITY, "{a, X}", &x), BEAM_EBADARG);
  ASSERT_ERR(beam_receive(BEAM_INFINITY, "{a, X}", x, NULL), BEAM_EBADARG);
  ASSERT_ERR(beam_receive(BEAM_INFINITY, "{a, X}", &x, &y, NULL),
             BEAM_EBADARG);
  ASSERT_ERR(beam_receive(BEAM_INFINITY, "{a, X}", &x, NULL, "b"),
             BEAM_EBADARG);
  ASSERT_ERR(beam_receive(BEAM_INFINITY, "{a, ~i}", "1", NULL), BEAM_EBADARG);
  ASSERT_EQ(beam_mailbox_len(), 1);
  int one = 1;
  ASSERT_EQ(beam_receive(0, "{b, X}", &y, "{a, ~i}", one, NULL), 1);
  ASSERT_TERM_EQ(x, beam_nil());
}

BEAM_TEST_T(checked_receive_refuses_bad_clause_lists_at_once, 10) {
  ASSERT_RAN(beam_run(receive_main, beam_nil(), NULL));
}
