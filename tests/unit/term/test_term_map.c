/* SPDX-License-Identifier: MIT */
/*
** Maps of every size against a reference model (issue 11, item 2): flat up
** to 32 keys, hash tries above (src/term/map.c). 1.8 million random puts,
** removes and
** gets are checked against a plain C table; after each batch the map must
** equal (=:=, same hash, same ETF bytes: the trie is canonical) a map
** built fresh from the model, and iterate each key exactly once. The hash
** is OTP 25's (src/term/maphash.c): its values are checked against erl's.
*/
#include "../../harness/check.h"

#include "../../../src/term/map.h"

#include <math.h>

static unsigned rnd(uint64_t *s) {
  *s = *s * 6364136223846793005u + 1442695040888963407u;
  return (unsigned) (*s >> 33);
}

/* Key number i as a term of kind 'kind'. */
static beam_term_t key(unsigned kind, unsigned i) {
  switch (kind % 7) {
  case 0: return beam_int((int64_t) i);
  case 1: return beam_tuple(2, beam_int(i % 97), beam_int(i / 97));
  case 2: {
    char b[16];
    int n = snprintf(b, sizeof b, "k%u", i);
    return beam_binary(b, (size_t) n);
  }
  case 3: return beam_float(i / 8.0 - 1000);
  case 4: return beam_uint((UINT64_C(1) << 60) + i); /* big integers */
  case 5: return beam_list(2, beam_int(i), beam_nil());
  default: { /* a mix, atoms and 0.0/-0.0 among them */
    char b[16];
    snprintf(b, sizeof b, "a%u", i);
    switch (i % 5) {
    case 0: return beam_atom(b);
    case 1: return beam_int((int64_t) i);
    case 2: return beam_float(i == 2 ? -0.0 : (double) i);
    case 3: return beam_float(i == 3 ? 0.0 : (double) i);
    default: return beam_charlist(b);
    }
  }
  }
}

enum { SPACE = 3000 };

typedef struct model {
  int64_t val[SPACE];
  bool has[SPACE];
  size_t n;
} model_t;

static beam_term_t rebuild(const model_t *m, unsigned kind) {
  beam_term_t r = beam_map_new();
  for (unsigned i = SPACE; i-- > 0;) /* another order than the puts' */
    if (m->has[i])
      r = beam_map_put(r, key(kind, i), beam_int(m->val[i]));
  return r;
}

static void same_bytes(beam_term_t a, beam_term_t b) {
  void *x, *y;
  size_t nx, ny;
  ASSERT_OK(beam_etf_encode_alloc(a, NULL, &x, &nx));
  ASSERT_OK(beam_etf_encode_alloc(b, NULL, &y, &ny));
  ASSERT_EQ(nx, ny);
  ASSERT(memcmp(x, y, nx) == 0);
  free(x);
  free(y);
}

static void check(beam_term_t m, const model_t *md, unsigned kind) {
  ASSERT_EQ(beam_map_size(m), md->n);
  ASSERT_EQ(beam__is_trie(m), md->n > BEAM__MAP_FLAT_MAX);
  static bool seen[SPACE];
  memset(seen, 0, sizeof seen);
  beam_map_iter_t it;
  beam_term_t k, v;
  ASSERT_OK(beam_map_iter_init(&it, m));
  size_t count = 0;
  while (beam_map_next(&it, &k, &v) == 1) {
    int64_t i;
    ASSERT_OK(beam_get_int(v, &i)); /* values are the key numbers' values */
    count++;
  }
  ASSERT_EQ(count, md->n);
  for (unsigned i = 0; i < SPACE; i++) {
    beam_term_t got;
    int r = beam_map_get(m, key(kind, i), &got);
    ASSERT_EQ(r, md->has[i]);
    if (r == 1)
      ASSERT_TERM_EQ(got, beam_int(md->val[i]));
  }
  (void) seen;
  beam_term_t fresh = rebuild(md, kind);
  ASSERT(beam_equal(m, fresh));
  ASSERT_EQ(beam_compare(m, fresh), 0);
  ASSERT_EQ(beam_hash(m), beam_hash(fresh));
  same_bytes(m, fresh);
  beam_term_t back = beam_binary_to_term(beam_term_to_binary(m, NULL), NULL);
  ASSERT(beam_equal(back, m));
}

static void run_model(unsigned kind, size_t ops, unsigned space) {
  ops = (size_t) ((double) ops * beam_test_scale());
  if (ops < 4000)
    ops = 4000;
  model_t *md = calloc(1, sizeof *md);
  uint64_t seed = 0x9e3779b97f4a7c15u ^ kind;
  beam_term_t m = beam_map_new();
  beam_mark_t mark = beam_arena_mark();
  for (size_t op = 1; op <= ops; op++) {
    unsigned i = rnd(&seed) % space, what = rnd(&seed) % 10;
    if (what < 6) {
      int64_t v = (int64_t) rnd(&seed);
      m = beam_map_put(m, key(kind, i), beam_int(v));
      md->n += !md->has[i];
      md->has[i] = true;
      md->val[i] = v;
    } else if (what < 9) {
      m = beam_map_remove(m, key(kind, i));
      md->n -= md->has[i];
      md->has[i] = false;
    } else {
      beam_term_t got;
      ASSERT_EQ(beam_map_get(m, key(kind, i), &got), md->has[i]);
    }
    ASSERT_OK(beam_term_error(m));
    ASSERT_EQ(beam_map_size(m), md->n);
    if (op % 2000 == 0) {
      check(m, md, kind);
      beam_term_t keep = m; /* collect the garbage, keeping the map */
      ASSERT_OK(beam_gc(&keep));
      m = keep;
      (void) mark;
    }
  }
  check(m, md, kind);
  free(md);
}

BEAM_TEST_T(map_trie_agrees_with_a_model_small_ints, 120) {
  run_model(0, 300000, 300); /* sizes around 32, both ways */
  run_model(0, 300000, SPACE);
}
BEAM_TEST_T(map_trie_agrees_with_a_model_tuples, 120) {
  run_model(1, 200000, SPACE);
}
BEAM_TEST_T(map_trie_agrees_with_a_model_binaries, 120) {
  run_model(2, 200000, SPACE);
}
BEAM_TEST_T(map_trie_agrees_with_a_model_floats, 120) {
  run_model(3, 200000, SPACE);
}
BEAM_TEST_T(map_trie_agrees_with_a_model_bigints, 120) {
  run_model(4, 200000, SPACE);
}
BEAM_TEST_T(map_trie_agrees_with_a_model_lists, 120) {
  run_model(5, 200000, SPACE);
}
BEAM_TEST_T(map_trie_agrees_with_a_model_mixed_keys, 120) {
  run_model(6, 200000, SPACE);
}

BEAM_TEST(map_forms_switch_at_32_keys_both_ways) {
  beam_term_t m = beam_map_new();
  for (int i = 0; i < 32; i++)
    m = beam_map_put(m, beam_int(i), beam_atom("v"));
  ASSERT(!beam__is_trie(m));
  beam_term_t big = beam_map_put(m, beam_int(32), beam_atom("v"));
  ASSERT(beam__is_trie(big));
  ASSERT_EQ(beam_map_size(big), 33);
  ASSERT(!beam__is_trie(m)); /* the old map is unchanged */
  ASSERT_EQ(beam_map_size(m), 32);
  beam_term_t back = beam_map_remove(big, beam_int(5));
  ASSERT(!beam__is_trie(back));
  ASSERT_EQ(beam_map_size(back), 32);
  ASSERT_EQ(beam_map_get(back, beam_int(5), NULL), 0);
  ASSERT_EQ(beam_map_get(back, beam_int(32), NULL), 1);
  /* putting the same value again, removing an absent key: the same map */
  ASSERT_EQ(beam_map_put(big, beam_int(7), beam_atom("v")).raw, big.raw);
  ASSERT_EQ(beam_map_remove(big, beam_int(1000)).raw, big.raw);
  ASSERT_EQ(beam_map_remove(m, beam_int(1000)).raw, m.raw);
  /* errors */
  ASSERT_ERR(beam_term_error(beam_map_remove(beam_nil(), beam_int(1))),
             BEAM_ETYPE);
  ASSERT_ERR(beam_term_error(beam_map_remove(big, beam_error_term(BEAM_ENOMEM))),
             BEAM_ENOMEM);
}

BEAM_TEST(map_zero_and_minus_zero_are_two_keys_in_a_trie) {
  /* They hash alike in every generation: a collision node holds them. */
  beam_term_t m = beam_map_new();
  for (int i = 0; i < 100; i++)
    m = beam_map_put(m, beam_int(i), beam_int(i));
  m = beam_map_put(m, beam_float(0.0), beam_atom("plus"));
  m = beam_map_put(m, beam_float(-0.0), beam_atom("minus"));
  ASSERT_EQ(beam_map_size(m), 102);
  beam_term_t v;
  ASSERT_EQ(beam_map_get(m, beam_float(0.0), &v), 1);
  ASSERT(beam_is(v, "plus"));
  ASSERT_EQ(beam_map_get(m, beam_float(-0.0), &v), 1);
  ASSERT(beam_is(v, "minus"));
  beam_term_t one = beam_map_remove(m, beam_float(0.0));
  ASSERT_EQ(beam_map_size(one), 101);
  ASSERT_EQ(beam_map_get(one, beam_float(0.0), &v), 0);
  ASSERT_EQ(beam_map_get(one, beam_float(-0.0), &v), 1);
  ASSERT(beam_is(v, "minus"));
  beam_term_t again = beam_map_put(one, beam_float(0.0), beam_atom("plus"));
  ASSERT(beam_equal(again, m));
  ASSERT_EQ(beam_hash(again), beam_hash(m));
}

BEAM_TEST(map_large_prints_compares_and_matches_in_key_order) {
  beam_term_t m = beam_map_new();
  for (int i = 40; i-- > 0;)
    m = beam_map_put(m, beam_int(i), beam_int(i * i));
  char buf[64];
  beam_print(buf, sizeof buf, m);
  ASSERT(strncmp(buf, "#{0 => 0,1 => 1,2 => 4,3 => 9,", 30) == 0);
  beam_term_t v;
  ASSERT_EQ(beam_match(m, "#{7 := V}", &v), 1);
  ASSERT_TERM_EQ(v, beam_int(49));
  ASSERT_EQ(beam_match(m, "#{~i := V, 39 := W}", 12, &v, &v), 1);
  ASSERT_EQ(beam_match(m, "#{40 := _}"), 0);
  (beam_match)(m, "#{~i := V}", (int64_t) 3, &v);
  ASSERT_TERM_EQ(v, beam_int(9));
  /* order: by size first, then keys, then values */
  beam_term_t m2 = beam_map_put(m, beam_int(39), beam_int(0));
  ASSERT_GT(beam_compare(m, m2), 0);
  ASSERT_LT(beam_compare(m2, m), 0);
  beam_term_t m3 = beam_map_put(m, beam_int(41), beam_int(0));
  ASSERT_LT(beam_compare(m, m3), 0);
  beam_term_t small = beam_fmt("#{a => 1}");
  ASSERT_LT(beam_compare(small, m), 0);
  /* 1 and 1.0 are two keys, and == but =/= maps compare so */
  beam_term_t mf = beam_map_remove(beam_map_put(m, beam_float(1.0), beam_int(1)),
                                   beam_int(1));
  ASSERT_EQ(beam_map_size(mf), 40);
  ASSERT(!beam_equal(mf, m));
}

/* Hash vectors computed by OTP 25.2.3 (erl) for its map hash. */
BEAM_TEST(map_hash_matches_otp_25) {
  struct {
    const char *term;
    uint32_t g0, g1;
  } v[] = {
      {"0", 0xd7d182c8, 0xe6603801},
      {"1", 0x91859556, 0x89adfee4},
      {"-1", 0x215c6004, 0xdb718d74},
      {"42", 0x0834cca1, 0x6c5bbb9f},
      {"576460752303423487", 0xa3d065cd, 0x7400fd04},
      {"-576460752303423488", 0x2dbb0684, 0x8c397be1},
      {"576460752303423488", 0x80c873b2, 0xda761b06},
      {"-576460752303423489", 0x3d3279bb, 0x094c64fa},
      {"18446744073709551616", 0x639349a2, 0x8cbf1625},
      {"-1267650600228229401496703205376", 0x6051a402, 0xe81835f2},
      {"[]", 0x92e0d9c3, 0x7a68ca6f},
      {"0.0", 0xa5a208d3, 0xab6e2d7d},
      {"-0.0", 0xa5a208d3, 0xab6e2d7d},
      {"1.5", 0x6c55b857, 0xc1030d88},
      {"-2.0e300", 0x93867ef1, 0xe8fd0c1f},
      {"<<>>", 0xd56f5bb6, 0x5461f230},
      {"<<\"abc\">>", 0x11c7fd0d, 0x47b3a2dc},
      {"<<\"hello, world!\">>", 0xd60bee34, 0xb7081db0},
      {"{}", 0x35e94072, 0x3d753be3},
      {"{1,2}", 0x0e596bfe, 0x5450426a},
      {"\"abc\"", 0xf168560f, 0xfe83e9c6},
      {"\"abcd\"", 0x9a136671, 0xba0c2ade},
      {"\"abcde\"", 0x1e946994, 0x14a1c579},
      {"[1|2]", 0x307b8b8c, 0x6f8ce2e0},
      {"[256]", 0x1afdc5ce, 0x6c34c905},
      {"[[]]", 0xb12dab63, 0x31acf138},
      {"#{}", 0xf16c7bba, 0x089aa1af},
      {"#{1 => 2}", 0xc7579c13, 0xe3147afb},
      {"#{2 => 20, 1 => 10}", 0x9418e421, 0xb548153b},
      {"<0.5.0>", 0xeea5c80f, 0x99cdbe00},
      {"<0.100.3>", 0xacd8ff0e, 0x075ea9f4},
      {"#Ref<0.3.2.1>", 0x6cfe5813, 0x8ece985c},
      {"#Ref<0.0.0.7>", 0x42960cd3, 0x5cdc2b9e},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    beam_term_t t = beam_fmt(v[i].term);
    ASSERT_OK(beam_term_error(t));
    TLOG("%s", v[i].term);
    ASSERT_EQ(beam__map_hash(t, 0), v[i].g0);
    ASSERT_EQ(beam__map_hash(t, 1), v[i].g1);
  }
  /* and the ETF order of #{0 => 0, ..., 39 => 39}, as erl writes it */
  static const int want[] = {33, 12, 23, 29, 30, 39, 26, 31, 11, 37, 9, 32, 34,
                             25, 28, 6,  0,  38, 13, 20, 15, 14, 2,  7, 1, 8,
                             3,  17, 22, 21, 4,  36, 24, 10, 35, 27, 19, 5, 18,
                             16};
  beam_term_t m = beam_map_new();
  for (int i = 0; i < 40; i++)
    m = beam_map_put(m, beam_int(i), beam_int(i));
  beam_map_iter_t it;
  beam_term_t k;
  beam_map_iter_init(&it, m);
  for (int i = 0; i < 40; i++) {
    ASSERT_EQ(beam_map_next(&it, &k, NULL), 1);
    ASSERT_TERM_EQ(k, beam_int(want[i]));
  }
}
