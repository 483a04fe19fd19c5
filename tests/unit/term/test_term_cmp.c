/* SPDX-License-Identifier: MIT */
/* test_term_cmp.c: Erlang's term order, =:= and hashing. */
#include "../../harness/check.h"

#include "../../../src/term/term.h"

#define LT(a, b)                                                               \
  do {                                                                         \
    ASSERT_LT(beam_compare((a), (b)), 0);                                      \
    ASSERT_GT(beam_compare((b), (a)), 0);                                      \
    ASSERT(!beam_equal((a), (b)));                                             \
  } while (0)

BEAM_TEST(cmp_type_order) {
  /* number < atom < reference < pid < tuple < map < nil < list < binary */
  beam_term_t seq[] = {
      beam_int(-5),
      beam_float(3.5),
      beam_int_from_str("100000000000000000000000"),
      beam_atom("a"),
      beam_atom("b"),
      beam__ref_make(1),
      beam__ref_make(2),
      beam__pid_make(1, 0),
      beam__pid_make(2, 0),
      beam_tuple(0),
      beam_tuple(1, beam_int(9)),
      beam_tuple(2, beam_int(1), beam_int(1)),
      beam_map_new(),
      beam_map_put(beam_map_new(), beam_int(1), beam_int(1)),
      beam_nil(),
      beam_list(1, beam_int(1)),
      beam_list(2, beam_int(1), beam_int(2)),
      beam_list(1, beam_int(2)),
      beam_binary("", 0),
      beam_binary("a", 1),
      beam_binary("ab", 2),
      beam_binary("b", 1),
  };
  size_t n = sizeof seq / sizeof seq[0];
  for (size_t i = 0; i < n; i++) {
    ASSERT_EQ(beam_compare(seq[i], seq[i]), 0);
    ASSERT(beam_equal(seq[i], seq[i]));
    for (size_t j = i + 1; j < n; j++)
      LT(seq[i], seq[j]);
  }
}

BEAM_TEST(cmp_numbers) {
  /* 1 == 1.0 but 1 =/= 1.0 */
  ASSERT_EQ(beam_compare(beam_int(1), beam_float(1.0)), 0);
  ASSERT(!beam_equal(beam_int(1), beam_float(1.0)));
  ASSERT_LT(beam__cmp_exact(beam_int(1), beam_float(1.0)), 0);
  ASSERT_LT(beam__cmp_exact(beam_int(5), beam_float(1.0)), 0); /* key order */
  LT(beam_int(1), beam_float(1.5));
  LT(beam_float(0.5), beam_int(1));
  LT(beam_float(-1.5), beam_int(-1));
  LT(beam_int(-2), beam_float(-1.5));
  /* Large: 2^53 + 1 is not representable; Erlang compares exactly here. */
  beam_term_t i53 = beam_int((INT64_C(1) << 53) + 1);
  LT(beam_float(9007199254740992.0), i53);
  ASSERT_EQ(beam_compare(beam_int(INT64_C(1) << 53),
                         beam_float(9007199254740992.0)), 0);
  /* Big integers against floats and each other. */
  beam_term_t big = beam_int_from_str("100000000000000000000");   /* 1e20 */
  beam_term_t nbig = beam_int_from_str("-100000000000000000000");
  ASSERT_EQ(beam_compare(big, beam_float(1e20)), 0);
  ASSERT(!beam_equal(big, beam_float(1e20)));
  LT(big, beam_float(1.0000000000000002e20));
  LT(beam_float(1e19), big);
  LT(nbig, beam_float(-1e19));
  LT(nbig, beam_int(INT64_MIN));
  LT(beam_int(INT64_MAX), big);
  LT(nbig, big);
  LT(beam_int_from_str("-100000000000000000001"), nbig);
  LT(big, beam_int_from_str("1000000000000000000000000000000000000000"));
  LT(beam_int(BEAM__SMALL_MAX), beam_int(BEAM__SMALL_MAX + 1));
  LT(beam_int(BEAM__SMALL_MIN - 1), beam_int(BEAM__SMALL_MIN));
  LT(beam_float(1e300), beam_int_from_str("1" "000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000")); /* 10^301 */
  /* 0.0 and -0.0: == but not =:= (OTP 27) */
  ASSERT_EQ(beam_compare(beam_float(0.0), beam_float(-0.0)), 0);
  ASSERT(!beam_equal(beam_float(0.0), beam_float(-0.0)));
  ASSERT(beam_equal(beam_float(2.5), beam_float(2.5)));
  ASSERT(beam_equal(big, beam_int_from_str("100000000000000000000")));
  ASSERT_EQ(beam_compare(beam_int(0), beam_float(-0.0)), 0);
}

BEAM_TEST(cmp_compound) {
  /* tuples by size first */
  LT(beam_tuple(1, beam_int(100)), beam_tuple(2, beam_int(1), beam_int(1)));
  LT(beam_tuple(2, beam_int(1), beam_int(1)),
     beam_tuple(2, beam_int(1), beam_int(2)));
  ASSERT_EQ(beam_compare(beam_tuple(1, beam_int(1)),
                         beam_tuple(1, beam_float(1.0))), 0);
  ASSERT(!beam_equal(beam_tuple(1, beam_int(1)), beam_tuple(1, beam_float(1.0))));
  /* lists: prefix smaller, improper tails compared as terms */
  LT(beam_list(1, beam_int(1)), beam_list(2, beam_int(1), beam_int(0)));
  LT(beam_cons(beam_int(1), beam_int(2)), beam_cons(beam_int(1), beam_atom("a")));
  LT(beam_cons(beam_int(1), beam_int(2)), beam_cons(beam_int(1), beam_nil())); /* number < nil */
  /* maps: size, then keys, then values */
  beam_term_t m1 = beam_map_put(beam_map_new(), beam_atom("a"), beam_int(9));
  beam_term_t m2 = beam_map_put(beam_map_new(), beam_atom("b"), beam_int(0));
  beam_term_t m3 = beam_map_put(m1, beam_atom("z"), beam_int(0));
  LT(m1, m2);
  LT(m2, m3);
  beam_term_t mi = beam_map_put(beam_map_new(), beam_int(1), beam_int(0));
  beam_term_t mf = beam_map_put(beam_map_new(), beam_float(1.0), beam_int(0));
  LT(mi, mf); /* keys compare in map-key order: integer < float */
  beam_term_t mv1 = beam_map_put(beam_map_new(), beam_atom("k"), beam_int(1));
  beam_term_t mv2 = beam_map_put(beam_map_new(), beam_atom("k"), beam_float(1.0));
  ASSERT_EQ(beam_compare(mv1, mv2), 0); /* values compare by == */
  ASSERT(!beam_equal(mv1, mv2));
  /* binaries: bytewise, then length */
  LT(beam_binary("abc", 3), beam_binary("abd", 3));
  LT(beam_binary("ab", 2), beam_binary("abc", 3));
  char big1[100], big2[100];
  memset(big1, 'x', sizeof big1);
  memcpy(big2, big1, sizeof big2);
  big2[99] = 'y';
  LT(beam_binary(big1, 100), beam_binary(big2, 100));
  ASSERT(beam_equal(beam_binary(big1, 100), beam_binary(big1, 100)));
  /* atoms by name, not by creation order */
  beam_term_t zz = beam_atom("zzz_first"), aa = beam_atom("aaa_second");
  LT(aa, zz);
  LT(beam_atom("abc"), beam_atom("abcd"));
  LT(beam_atom("z"), beam_atom("é"));
}

BEAM_TEST(cmp_hash) {
  beam_term_t a = beam_fmt("{ok, [1, 2.5, <<\"bin\">>], #{k => v}, \"str\"}");
  beam_term_t b = beam_fmt("{ok, [1, 2.5, <<\"bin\">>], #{k => v}, \"str\"}");
  ASSERT(beam_equal(a, b));
  ASSERT_EQ(beam_hash(a), beam_hash(b));
  ASSERT_EQ(beam_hash(beam_int_from_str("123456789012345678901234567890")),
            beam_hash(beam_int_from_str("123456789012345678901234567890")));
  char big[200];
  memset(big, 7, sizeof big);
  ASSERT_EQ(beam_hash(beam_binary(big, 200)), beam_hash(beam_binary(big, 200)));
  ASSERT_NE(beam_hash(beam_int(1)), beam_hash(beam_float(1.0)));
  ASSERT_NE(beam_hash(beam_int(1)), beam_hash(beam_int(2)));
  ASSERT_NE(beam_hash(beam_tuple(2, beam_int(1), beam_int(2))),
            beam_hash(beam_tuple(2, beam_int(2), beam_int(1))));
  ASSERT_NE(beam_hash(beam_list(2, beam_int(1), beam_int(2))),
            beam_hash(beam_tuple(2, beam_int(1), beam_int(2))));
  /* Mixing: 4096 consecutive ints fill 4096 buckets' low 12 bits well. */
  static unsigned char seen[4096];
  int distinct = 0;
  for (int i = 0; i < 4096; i++) {
    uint64_t h = beam_hash(beam_int(i)) & 4095;
    distinct += !seen[h];
    seen[h] = 1;
  }
  ASSERT_GT(distinct, 2400); /* random would give ~2589 */
}
