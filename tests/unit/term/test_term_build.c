/* SPDX-License-Identifier: MIT */
/* test_term_build.c: constructors, accessors, types and error terms. */
#include "../../harness/check.h"

#include <math.h>

#include "../../../src/term/heap.h"

BEAM_TEST(term_error_terms) {
  beam_term_t e = beam_error_term(BEAM_ENOMEM);
  ASSERT(beam_is_error(e));
  ASSERT_ERR(beam_term_error(e), BEAM_ENOMEM);
  ASSERT_EQ(beam_type(e), BEAM_T_ERROR);
  ASSERT_EQ(beam_term_error(beam_int(1)), 0);
  ASSERT_ERR(beam_term_error(beam_error_term(0)), BEAM_EINVAL);
  /* Propagation through every constructor. */
  ASSERT_ERR(beam_term_error(beam_tuple(2, beam_int(1), e)), BEAM_ENOMEM);
  beam_term_t v[2] = {e, beam_nil()};
  ASSERT_ERR(beam_term_error(beam_tuple_v(2, v)), BEAM_ENOMEM);
  ASSERT_ERR(beam_term_error(beam_list(2, beam_int(1), e)), BEAM_ENOMEM);
  ASSERT_ERR(beam_term_error(beam_list_v(2, v)), BEAM_ENOMEM);
  ASSERT_ERR(beam_term_error(beam_cons(e, beam_nil())), BEAM_ENOMEM);
  ASSERT_ERR(beam_term_error(beam_cons(beam_nil(), e)), BEAM_ENOMEM);
  ASSERT_ERR(beam_term_error(beam_map_put(e, beam_nil(), beam_nil())),
             BEAM_ENOMEM);
  ASSERT_ERR(beam_term_error(beam_map_put(beam_map_new(), e, beam_nil())),
             BEAM_ENOMEM);
  ASSERT_ERR(beam_term_error(beam_map_put(beam_map_new(), beam_nil(), e)),
             BEAM_ENOMEM);
  ASSERT_ERR(beam_term_error(beam_fmt("{a, ~t}", e)), BEAM_ENOMEM);
  ASSERT_ERR(beam_term_error(beam_hd(e)), BEAM_ENOMEM);
  ASSERT_ERR(beam_term_error(beam_tuple_get(e, 0)), BEAM_ENOMEM);
  int err = 0;
  ASSERT(beam__msg_new(e, &err) == NULL);
  ASSERT_ERR(err, BEAM_ENOMEM);
}

BEAM_TEST(term_small_ints) {
  int64_t vals[] = {0, 1, -1, 42, BEAM__SMALL_MAX, BEAM__SMALL_MIN,
                    INT64_MAX, INT64_MIN, BEAM__SMALL_MAX + 1,
                    BEAM__SMALL_MIN - 1};
  for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
    beam_term_t t = beam_int(vals[i]);
    int64_t out;
    ASSERT(beam_is_int(t));
    ASSERT_EQ(beam_type(t), BEAM_T_INT);
    ASSERT_OK(beam_get_int(t, &out));
    ASSERT_EQ(out, vals[i]);
    /* one representation: small iff in range */
    int in_small = vals[i] >= BEAM__SMALL_MIN && vals[i] <= BEAM__SMALL_MAX;
    ASSERT_EQ(beam__tag(t) == BEAM__TAG_SMALL, in_small);
  }
  ASSERT_TERM_EQ(beam_uint(5), beam_int(5));
  ASSERT_TERM_EQ(beam_uint((uint64_t) INT64_MAX), beam_int(INT64_MAX));
  int64_t out;
  ASSERT_ERR(beam_get_int(beam_uint(UINT64_MAX), &out), BEAM_ERANGE);
  ASSERT_ERR(beam_get_int(beam_atom("x"), &out), BEAM_ETYPE);
  ASSERT_PRINTS(beam_uint(UINT64_MAX), "18446744073709551615");
}

BEAM_TEST(term_bigints) {
  const char *s = "-123456789012345678901234567890123456789";
  beam_term_t b = beam_int_from_str(s);
  ASSERT(beam_is_int(b));
  ASSERT_PRINTS(b, s);
  int64_t out;
  ASSERT_ERR(beam_get_int(b, &out), BEAM_ERANGE);
  ASSERT_PRINTS(beam_int_from_str("+0007"), "7");
  ASSERT_TERM_EQ(beam_int_from_str("-9223372036854775808"), beam_int(INT64_MIN));
  ASSERT_TERM_EQ(beam_int_from_str("1152921504606846975"),
                 beam_int(BEAM__SMALL_MAX));
  ASSERT_EQ(beam__tag(beam_int_from_str("000000000000000000000000000001")),
            BEAM__TAG_SMALL);
  ASSERT_TERM_EQ(beam_int_from_str("-0"), beam_int(0));
  ASSERT_ERR(beam_term_error(beam_int_from_str("")), BEAM_EINVAL);
  ASSERT_ERR(beam_term_error(beam_int_from_str("12a")), BEAM_EINVAL);
  ASSERT_ERR(beam_term_error(beam_int_from_str("-")), BEAM_EINVAL);
  ASSERT_ERR(beam_term_error(beam_int_from_str(NULL)), BEAM_EINVAL);
  /* A thousand digits round-trip. */
  char big[1002];
  big[0] = '9';
  for (int i = 1; i < 1001; i++)
    big[i] = (char) ('0' + i % 10);
  big[1001] = '\0';
  beam_term_t h = beam_int_from_str(big);
  char buf[1100];
  ASSERT_EQ(beam_print(buf, sizeof buf, h), 1001);
  ASSERT_STR_EQ(buf, big);
}

BEAM_TEST(term_floats) {
  double d;
  beam_term_t f = beam_float(1.5);
  ASSERT_EQ(beam_type(f), BEAM_T_FLOAT);
  ASSERT_OK(beam_get_float(f, &d));
  ASSERT(d == 1.5);
  ASSERT_ERR(beam_get_float(beam_int(1), &d), BEAM_ETYPE);
  ASSERT_ERR(beam_term_error(beam_float(NAN)), BEAM_EINVAL);
  ASSERT_ERR(beam_term_error(beam_float(INFINITY)), BEAM_EINVAL);
  ASSERT(!beam_is_int(f));
}

BEAM_TEST(term_atoms) {
  beam_term_t a = beam_atom("hello");
  ASSERT(beam_is_atom(a));
  ASSERT_EQ(a.raw, beam_atom("hello").raw);
  ASSERT_EQ(a.raw, beam_atom_len("hello world", 5).raw);
  ASSERT_STR_EQ(beam_atom_name(a), "hello");
  ASSERT(beam_is(a, "hello"));
  ASSERT(!beam_is(a, "hell"));
  ASSERT(!beam_is(beam_int(1), "hello"));
  ASSERT_EQ(beam_atom("ok").raw, beam__am_ok.raw);
  ASSERT_EQ(beam_atom("infinity").raw, beam__am_infinity.raw);
  ASSERT_STR_EQ(beam_atom_name(beam__am_undefined), "undefined");
  ASSERT_OK(beam__atoms_init());
  ASSERT_STR_EQ(beam_atom_name(beam_atom("")), "");
  ASSERT_STR_EQ(beam_atom_name(beam_atom("héllo")), "héllo");
  ASSERT(beam_atom_name(beam_int(3)) == NULL);
  /* 255 code points are fine, 256 are not; bad UTF-8 is not. */
  char name[4 * 256 + 1];
  for (int i = 0; i < 255; i++)
    memcpy(name + 2 * i, "é", 2);
  name[510] = '\0';
  ASSERT(beam_is_atom(beam_atom(name)));
  memcpy(name + 510, "é", 3);
  ASSERT_ERR(beam_term_error(beam_atom(name)), BEAM_EINVAL);
  ASSERT_ERR(beam_term_error(beam_atom("\xff")), BEAM_EINVAL);
  ASSERT_ERR(beam_term_error(beam_atom("\xc0\x80")), BEAM_EINVAL);
  ASSERT_ERR(beam_term_error(beam_atom_len("a\0b", 3)), BEAM_EINVAL);
  ASSERT_ERR(beam_term_error(beam_atom(NULL)), BEAM_EINVAL);
}

BEAM_TEST(term_atom_limit) {
  size_t n = beam__atoms_count();
  ASSERT_ERR(beam__atoms_set_limit(n - 1), BEAM_EINVAL);
  ASSERT_OK(beam__atoms_set_limit(n + 3000));
  char name[32];
  for (int i = 0; i < 3000; i++) {
    snprintf(name, sizeof name, "atom_%d", i);
    ASSERT(beam_is_atom(beam_atom(name)));
  }
  ASSERT_ERR(beam_term_error(beam_atom("one_too_many")), BEAM_ESYSLIMIT);
  ASSERT(beam_is_atom(beam_atom("atom_17"))); /* existing still found */
  ASSERT_STR_EQ(beam_atom_name(beam_atom("atom_2999")), "atom_2999");
  ASSERT_OK(beam__atoms_set_limit(0));
  ASSERT(beam_is_atom(beam_atom("one_too_many")));
}

BEAM_TEST(term_tuples) {
  beam_term_t t = beam_tuple(3, beam_atom("a"), beam_int(2), beam_nil());
  ASSERT(beam_is_tuple(t));
  ASSERT_EQ(beam_tuple_size(t), 3);
  ASSERT_TERM_EQ(beam_tuple_get(t, 1), beam_int(2));
  ASSERT_ERR(beam_term_error(beam_tuple_get(t, 3)), BEAM_ERANGE);
  ASSERT_ERR(beam_term_error(beam_tuple_get(beam_int(1), 0)), BEAM_ETYPE);
  ASSERT_EQ(beam_tuple_size(beam_int(1)), 0);
  beam_term_t e = beam_tuple(0);
  ASSERT(beam_is_tuple(e));
  ASSERT_EQ(beam_tuple_size(e), 0);
  beam_term_t v[2] = {beam_int(1), beam_int(2)};
  ASSERT_TERM_EQ(beam_tuple_v(2, v), beam_tuple(2, beam_int(1), beam_int(2)));
  ASSERT_ERR(beam_term_error(beam_tuple_v(2, NULL)), BEAM_EINVAL);
  ASSERT_PRINTS(t, "{a,2,[]}");
}

BEAM_TEST(term_lists) {
  beam_term_t l = beam_list(3, beam_int(1), beam_int(2), beam_int(3));
  ASSERT(beam_is_list(l));
  ASSERT_EQ(beam_type(l), BEAM_T_LIST);
  ASSERT_EQ(beam_list_length(l), 3);
  ASSERT_TERM_EQ(beam_hd(l), beam_int(1));
  ASSERT_TERM_EQ(beam_hd(beam_tl(l)), beam_int(2));
  ASSERT(beam_is_list(beam_nil()));
  ASSERT_EQ(beam_type(beam_nil()), BEAM_T_NIL);
  ASSERT_EQ(beam_list_length(beam_nil()), 0);
  ASSERT_ERR(beam_term_error(beam_hd(beam_nil())), BEAM_ETYPE);
  ASSERT_ERR(beam_term_error(beam_tl(beam_int(1))), BEAM_ETYPE);
  beam_term_t imp = beam_cons(beam_int(1), beam_int(2));
  ASSERT_ERR(beam_list_length(imp), BEAM_ETYPE);
  ASSERT_ERR(beam_list_length(beam_int(1)), BEAM_ETYPE);
  ASSERT_PRINTS(imp, "[1|2]");
  ASSERT_TERM_EQ(beam_list(0), beam_nil());
  ASSERT_TERM_EQ(beam_list_v(2, (beam_term_t[]){beam_int(1), beam_int(2)}),
                 beam_cons(beam_int(1), beam_cons(beam_int(2), beam_nil())));
}

BEAM_TEST(term_charlists_strings) {
  beam_term_t c = beam_charlist("hé€😀");
  ASSERT_EQ(beam_list_length(c), 4);
  ASSERT_TERM_EQ(beam_hd(beam_tl(c)), beam_int(0xe9));
  ASSERT_TERM_EQ(beam_hd(beam_tl(beam_tl(beam_tl(c)))), beam_int(0x1f600));
  ASSERT_TERM_EQ(beam_charlist(""), beam_nil());
  ASSERT_ERR(beam_term_error(beam_charlist("\xed\xa0\x80")), BEAM_EINVAL);
  beam_term_t s = beam_string("héllo");
  size_t len;
  const char *d = beam_binary_data(s, &len);
  ASSERT_EQ(len, 6);
  ASSERT(memcmp(d, "héllo", 6) == 0);
  ASSERT(beam_binary_data(beam_int(1), &len) == NULL);
  ASSERT_EQ(len, 0);
}

BEAM_TEST(term_maps) {
  beam_term_t m = beam_map_new();
  ASSERT(beam_is_map(m));
  ASSERT_EQ(beam_map_size(m), 0);
  beam_term_t m1 = beam_map_put(m, beam_atom("b"), beam_int(2));
  beam_term_t m2 = beam_map_put(m1, beam_atom("a"), beam_int(1));
  beam_term_t m3 = beam_map_put(m2, beam_atom("b"), beam_int(3));
  ASSERT_EQ(beam_map_size(m), 0); /* immutable */
  ASSERT_EQ(beam_map_size(m1), 1);
  ASSERT_EQ(beam_map_size(m3), 2);
  beam_term_t v;
  ASSERT_EQ(beam_map_get(m3, beam_atom("b"), &v), 1);
  ASSERT_TERM_EQ(v, beam_int(3));
  ASSERT_EQ(beam_map_get(m2, beam_atom("b"), &v), 1);
  ASSERT_TERM_EQ(v, beam_int(2));
  ASSERT_EQ(beam_map_get(m3, beam_atom("c"), &v), 0);
  ASSERT_ERR(beam_map_get(beam_int(1), beam_atom("c"), &v), BEAM_ETYPE);
  ASSERT_ERR(beam_term_error(beam_map_put(beam_nil(), beam_nil(), beam_nil())),
             BEAM_ETYPE);
  ASSERT_PRINTS(m3, "#{a => 1,b => 3}");
  /* 1 and 1.0 are distinct keys; integers sort before floats. */
  beam_term_t n = beam_map_put(beam_map_new(), beam_float(1.0), beam_atom("f"));
  n = beam_map_put(n, beam_int(2), beam_atom("i2"));
  n = beam_map_put(n, beam_int(1), beam_atom("i"));
  ASSERT_EQ(beam_map_size(n), 3);
  ASSERT_PRINTS(n, "#{1 => i,2 => i2,1.0 => f}");
  ASSERT_EQ(beam_map_get(n, beam_float(1.0), &v), 1);
  ASSERT_TERM_EQ(v, beam_atom("f"));
  ASSERT_EQ(beam_map_get(n, beam_int(1), &v), 1);
  ASSERT_TERM_EQ(v, beam_atom("i"));
  /* Many keys, inserted in shuffled order, come out sorted. */
  beam_term_t big = beam_map_new();
  for (int i = 0; i < 200; i++)
    big = beam_map_put(big, beam_int((i * 37) % 200), beam_int(i));
  ASSERT_EQ(beam_map_size(big), 200);
  for (int i = 0; i < 200; i++)
    ASSERT_EQ(beam_map_get(big, beam_int(i), NULL), 1);
}

BEAM_TEST(term_types_and_predicates) {
  beam_term_t r = beam__ref_make(beam__ref_next_id());
  ASSERT(beam_is_ref(r));
  ASSERT_EQ(beam_type(r), BEAM_T_REF);
  ASSERT(beam__ref_id(r) >= 1);
  ASSERT_EQ(beam__ref_id(beam_int(1)), 0);
  uint64_t a = beam__ref_next_id(), b = beam__ref_next_id();
  ASSERT_LT(a, b);
  beam_pid_t p = beam__pid_make(5, 3);
  ASSERT(beam_is_pid(p));
  ASSERT_EQ(beam_type(p), BEAM_T_PID);
  char buf[32];
  ASSERT_EQ(beam_pid_print(buf, sizeof buf, p), 7);
  ASSERT_STR_EQ(buf, "<0.5.3>");
  ASSERT_EQ(beam_type(beam_binary("x", 1)), BEAM_T_BINARY);
  ASSERT(beam_is_binary(beam_binary(NULL, 0)));
  ASSERT(!beam_is_binary(beam_nil()));
  ASSERT(!beam_is_map(beam_nil()));
  ASSERT(!beam_is_tuple(beam_nil()));
  ASSERT(!beam_is_ref(beam_nil()));
  ASSERT(!beam_is_pid(beam_nil()));
  ASSERT_EQ(beam_type(beam__mk(0)), BEAM_T_ERROR);
  ASSERT_ERR(beam_term_error(beam_tuple(1, beam__mk(0))), BEAM_EBADTERM);
}
