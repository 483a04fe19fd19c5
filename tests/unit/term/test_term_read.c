/* SPDX-License-Identifier: MIT */
/*
** Reading terms back (issue 15, item 10): unsigned integers over their
** whole range, and walking a map with an iterator or a fold, in map-key
** order.
*/
#include "../../harness/check.h"

BEAM_TEST(get_uint_reads_the_whole_unsigned_range) {
  uint64_t u = 1;
  ASSERT_OK(beam_get_uint(beam_int(0), &u));
  ASSERT_EQ(u, 0);
  ASSERT_OK(beam_get_uint(beam_uint(UINT64_MAX), &u));
  ASSERT(u == UINT64_MAX);
  ASSERT_OK(beam_get_uint(beam_uint((uint64_t) 1 << 63), &u));
  ASSERT(u == (uint64_t) 1 << 63);
  ASSERT_OK(beam_get_uint(beam_int_from_str("1152921504606846976"), &u));
  ASSERT(u == (uint64_t) 1 << 60); /* just past the small range: boxed */
  ASSERT_ERR(beam_get_uint(beam_int(-1), &u), BEAM_ERANGE);
  ASSERT_ERR(beam_get_uint(beam_int_from_str("-18446744073709551615"), &u),
             BEAM_ERANGE);
  ASSERT_ERR(beam_get_uint(beam_int_from_str("18446744073709551616"), &u),
             BEAM_ERANGE);
  ASSERT_ERR(beam_get_uint(beam_float(1.0), &u), BEAM_ETYPE);
  ASSERT_ERR(beam_get_uint(beam_atom("a"), &u), BEAM_ETYPE);
  ASSERT_OK(beam_get_uint(beam_int(5), NULL));
}

BEAM_TEST(map_iterator_walks_in_map_key_order) {
  beam_term_t m = beam_fmt("#{b => 2, 1.0 => f, 1 => i, {x} => t, a => 1}");
  beam_map_iter_t it;
  ASSERT_OK(beam_map_iter_init(&it, m));
  const char *want[] = {"1", "1.0", "a", "b", "{x}"};
  beam_term_t k, v;
  int n = 0;
  while (beam_map_next(&it, &k, &v) == 1) {
    char buf[16];
    beam_print(buf, sizeof buf, k);
    ASSERT_STR_EQ(buf, want[n]);
    beam_term_t got;
    ASSERT_EQ(beam_map_get(m, k, &got), 1);
    ASSERT_TERM_EQ(got, v);
    n++;
  }
  ASSERT_EQ(n, 5);
  ASSERT_EQ(beam_map_next(&it, &k, &v), 0); /* stays at the end */
  ASSERT_EQ(beam_map_next(&it, NULL, NULL), 0);
  ASSERT_OK(beam_map_iter_init(&it, beam_map_new()));
  ASSERT_EQ(beam_map_next(&it, &k, &v), 0);
  ASSERT_ERR(beam_map_iter_init(&it, beam_nil()), BEAM_ETYPE);
  ASSERT_ERR(beam_map_iter_init(NULL, m), BEAM_EINVAL);
  beam_map_iter_t zero = {{0}};
  ASSERT_ERR(beam_map_next(&zero, &k, &v), BEAM_EINVAL);
}

static beam_term_t sum_values(beam_term_t k, beam_term_t v, beam_term_t acc,
                              void *ctx) {
  (void) k;
  int64_t a, x;
  ASSERT_OK(beam_get_int(acc, &a));
  ASSERT_OK(beam_get_int(v, &x));
  (*(int *) ctx)++;
  return beam_int(a + x);
}

static beam_term_t keys_to_list(beam_term_t k, beam_term_t v, beam_term_t acc,
                                void *ctx) {
  (void) v;
  (void) ctx;
  return beam_cons(k, acc);
}

static beam_term_t stop_at_c(beam_term_t k, beam_term_t v, beam_term_t acc,
                             void *ctx) {
  (void) v;
  (*(int *) ctx)++;
  return beam_is(k, "c") ? beam_error_term(BEAM_ENOENT) : acc;
}

BEAM_TEST(map_fold_is_maps_fold) {
  beam_term_t m = beam_map_new();
  for (int i = 0; i < 100; i++)
    m = beam_map_put(m, beam_int(i), beam_int(i * 2));
  int calls = 0;
  ASSERT_TERM_EQ(beam_map_fold(m, sum_values, beam_int(0), &calls),
                 beam_int(9900));
  ASSERT_EQ(calls, 100);
  /* keys come in order: consing them gives them reversed */
  beam_term_t ks = beam_map_fold(beam_fmt("#{c => 1, a => 2, b => 3}"),
                                 keys_to_list, beam_nil(), NULL);
  ASSERT_TERM_EQ(ks, beam_fmt("[c, b, a]"));
  calls = 0;
  beam_term_t r = beam_map_fold(beam_fmt("#{a => 1, b => 2, c => 3, d => 4}"),
                                stop_at_c, beam_nil(), &calls);
  ASSERT_ERR(beam_term_error(r), BEAM_ENOENT);
  ASSERT_EQ(calls, 3);
  ASSERT_TERM_EQ(beam_map_fold(beam_map_new(), keys_to_list, beam_atom("x"),
                               NULL),
                 beam_atom("x"));
  ASSERT_ERR(beam_term_error(beam_map_fold(beam_nil(), keys_to_list,
                                           beam_nil(), NULL)),
             BEAM_ETYPE);
  ASSERT_ERR(beam_term_error(beam_map_fold(m, NULL, beam_nil(), NULL)),
             BEAM_EINVAL);
  ASSERT_ERR(beam_term_error(beam_map_fold(beam_error_term(BEAM_ENOMEM),
                                           keys_to_list, beam_nil(), NULL)),
             BEAM_ENOMEM);
}
