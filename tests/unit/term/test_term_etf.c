/* SPDX-License-Identifier: MIT */
/*
** External Term Format: the bytes of every tag (as erl 25 writes them),
** the old tags, round trips, pids and refs of this and other nodes,
** compression, and malformed input of every kind (truncated, bad tags,
** lying lengths, deep nesting, bad UTF-8, bad zlib, duplicate keys, a
** full atom table, out of memory), which must give an error and leave the
** heap as it was. The diff test (tests/diff/) compares with erl itself.
*/
#include "../../harness/check.h"

#include <limits.h>
#include <unistd.h>

#include "../../../src/term/heap.h"
#include "../../../src/util/debug.h"

typedef struct bytes {
  const char *text; /* beam_fmt text */
  const unsigned char *b;
  size_t n;
} bytes_t;

#define B(...)                                                                 \
  (const unsigned char[]){__VA_ARGS__},                                        \
      sizeof((const unsigned char[]){__VA_ARGS__})

/* Each line: what erl 25.2.3's term_to_binary gives for the text. */
static const bytes_t golden[] = {
    {"abc", B(131, 100, 0, 3, 97, 98, 99)},
    {"'h\\x{e9}llo'", B(131, 100, 0, 5, 104, 233, 108, 108, 111)},
    {"'\\x{65E5}\\x{672C}'", B(131, 119, 6, 230, 151, 165, 230, 156, 172)},
    {"0", B(131, 97, 0)},
    {"255", B(131, 97, 255)},
    {"256", B(131, 98, 0, 0, 1, 0)},
    {"-1", B(131, 98, 255, 255, 255, 255)},
    {"-2147483648", B(131, 98, 128, 0, 0, 0)},
    {"2147483648", B(131, 110, 4, 0, 0, 0, 0, 128)},
    {"18446744073709551616", B(131, 110, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)},
    {"-1152921504606846977", B(131, 110, 8, 1, 1, 0, 0, 0, 0, 0, 0, 16)},
    {"1.5", B(131, 70, 63, 248, 0, 0, 0, 0, 0, 0)},
    {"-0.0", B(131, 70, 128, 0, 0, 0, 0, 0, 0, 0)},
    {"[]", B(131, 106)},
    {"[1,2,3]", B(131, 107, 0, 3, 1, 2, 3)},
    {"[1,2|3]", B(131, 108, 0, 0, 0, 2, 97, 1, 97, 2, 97, 3)},
    {"[256]", B(131, 108, 0, 0, 0, 1, 98, 0, 0, 1, 0, 106)},
    {"[1,2,-1]",
     B(131, 108, 0, 0, 0, 3, 97, 1, 97, 2, 98, 255, 255, 255, 255, 106)},
    {"[1,[2],3]", B(131, 108, 0, 0, 0, 3, 97, 1, 107, 0, 1, 2, 97, 3, 106)},
    {"[\"ab\"|\"cd\"]",
     B(131, 108, 0, 0, 0, 3, 107, 0, 2, 97, 98, 97, 99, 97, 100, 106)},
    {"[97|98]", B(131, 108, 0, 0, 0, 1, 97, 97, 97, 98)},
    {"{}", B(131, 104, 0)},
    {"<<>>", B(131, 109, 0, 0, 0, 0)},
    {"#{}", B(131, 116, 0, 0, 0, 0)},
    {"<<\"\\x{e9}\"/utf8>>", B(131, 109, 0, 0, 0, 2, 195, 169)},
    {"#{1 => a, 1.0 => b, b => 1, a => 2, \"x\" => 1, {1} => 2}",
     B(131, 116, 0, 0, 0, 6, 97, 1, 100, 0, 1, 97, 70, 63, 240, 0, 0, 0, 0, 0,
       0, 100, 0, 1, 98, 100, 0, 1, 97, 97, 2, 100, 0, 1, 98, 97, 1, 104, 1, 97,
       1, 97, 2, 107, 0, 1, 120, 97, 1)},
    {"<0.9.0>", B(131, 88, 100, 0, 13, 'n', 'o', 'n', 'o', 'd', 'e', '@', 'n',
                  'o', 'h', 'o', 's', 't', 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0)},
    {"#Ref<0.1027081502.4177002497.212553>",
     B(131, 90, 0, 3, 100, 0, 13, 'n', 'o', 'n', 'o', 'd', 'e', '@', 'n', 'o',
       'h', 'o', 's', 't', 0, 0, 0, 0, 0, 3, 62, 73, 248, 248, 0, 1, 61, 56, 5,
       30)},
};

static void assert_bytes(beam_term_t t, const unsigned char *want, size_t n,
                         const char *text) {
  void *out;
  size_t len;
  ASSERT_OK(beam_etf_encode_alloc(t, NULL, &out, &len));
  if (len != n || memcmp(out, want, n) != 0) {
    size_t at = 0;
    while (at < n && at < len && ((unsigned char *) out)[at] == want[at])
      at++;
    BEAM__FAIL("%s: %zu bytes vs %zu wanted, first difference at %zu", text,
               len, n, at);
  }
  free(out);
}

BEAM_TEST(etf_golden_bytes_both_ways) {
  for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++) {
    const bytes_t *g = &golden[i];
    beam_term_t t = beam_fmt(g->text);
    ASSERT_OK(beam_term_error(t));
    assert_bytes(t, g->b, g->n, g->text);
    beam_term_t d = beam_etf_decode(g->b, g->n, NULL, NULL);
    ASSERT_OK(beam_term_error(d));
    ASSERT_TERM_EQ(d, t);
    /* The binary forms agree with the raw ones. */
    beam_term_t bin = beam_term_to_binary(t, NULL);
    size_t blen;
    const void *bd = beam_binary_data(bin, &blen);
    ASSERT_EQ(blen, g->n);
    ASSERT(memcmp(bd, g->b, blen) == 0);
    ASSERT_TERM_EQ(beam_binary_to_term(bin, NULL), t);
  }
}

BEAM_TEST(etf_sizes_at_the_edges) {
  /* 255 / 256-element tuples, 65535 / 65536-byte lists, big magnitudes. */
  beam_term_t e[300];
  for (int i = 0; i < 300; i++)
    e[i] = beam_int(i);
  unsigned char buf[16];
  size_t len;
  int rc = beam_etf_encode(beam_tuple_v(255, e), NULL, buf, 3, &len);
  ASSERT_ERR(rc, BEAM_ERANGE);
  ASSERT_EQ(len, 3 + 2 * 255); /* too small: 'len' is the need */
  ASSERT_ERR(beam_etf_encode(beam_tuple_v(255, e), NULL, NULL, 0, &len),
             BEAM_ERANGE);
  ASSERT_EQ(len, 3 + 2 * 255);
  void *out;
  ASSERT_OK(beam_etf_encode_alloc(beam_tuple_v(255, e), NULL, &out, &len));
  ASSERT_EQ(((unsigned char *) out)[1], 104);
  free(out);
  ASSERT_OK(beam_etf_encode_alloc(beam_tuple_v(256, e), NULL, &out, &len));
  ASSERT_EQ(((unsigned char *) out)[1], 105);
  free(out);
  beam_term_t l = beam_nil();
  for (int i = 0; i < 65535; i++)
    l = beam_cons(beam_int(i & 255), l);
  ASSERT_OK(beam_etf_encode_alloc(l, NULL, &out, &len));
  ASSERT_EQ(((unsigned char *) out)[1], 107);
  ASSERT_EQ(len, 4 + 65535);
  free(out);
  l = beam_cons(beam_int(1), l);
  ASSERT_OK(beam_etf_encode_alloc(l, NULL, &out, &len));
  ASSERT_EQ(((unsigned char *) out)[1], 108);
  ASSERT_TERM_EQ(beam_etf_decode(out, len, NULL, NULL), l);
  free(out);
}

BEAM_TEST(etf_big_integers_round_trip) {
  const char *nums[] = {
      "1152921504606846975",  "1152921504606846976",
      "-1152921504606846976", "-1152921504606846977",
      "9223372036854775807",  "-9223372036854775808",
      "18446744073709551615", "-340282366920938463463374607431768211456"};
  for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
    beam_term_t t = beam_int_from_str(nums[i]);
    void *out;
    size_t len;
    ASSERT_OK(beam_etf_encode_alloc(t, NULL, &out, &len));
    ASSERT_TERM_EQ(beam_etf_decode(out, len, NULL, NULL), t);
    free(out);
  }
  /* A 300-byte magnitude uses LARGE_BIG_EXT. */
  char s[800];
  memset(s, '9', 723);
  s[723] = '\0';
  beam_term_t t = beam_int_from_str(s);
  void *out;
  size_t len;
  ASSERT_OK(beam_etf_encode_alloc(t, NULL, &out, &len));
  ASSERT_EQ(((unsigned char *) out)[1], 111);
  ASSERT_TERM_EQ(beam_etf_decode(out, len, NULL, NULL), t);
  free(out);
  /* Non-canonical input normalises: SMALL_BIG 1 is 1, zero-length is 0. */
  ASSERT_TERM_EQ(beam_etf_decode(B(131, 110, 2, 0, 1, 0), NULL, NULL),
                 beam_int(1));
  ASSERT_TERM_EQ(beam_etf_decode(B(131, 110, 0, 1), NULL, NULL), beam_int(0));
  ASSERT_TERM_EQ(beam_etf_decode(B(131, 111, 0, 0, 0, 1, 1, 5), NULL, NULL),
                 beam_int(-5));
}

BEAM_TEST(etf_old_tags_decode) {
  ASSERT_TERM_EQ(beam_etf_decode(B(131, 115, 3, 'a', 'b', 'c'), NULL, NULL),
                 beam_atom("abc"));
  ASSERT_TERM_EQ(beam_etf_decode(B(131, 118, 0, 2, 195, 169), NULL, NULL),
                 beam_atom("é"));
  ASSERT_TERM_EQ(beam_etf_decode(B(131, 100, 0, 2, 255, 255), NULL, NULL),
                 beam_atom("ÿÿ"));
  static const unsigned char f[] = "\x83\x63"
                                   "1.50000000000000000000e+00"
                                   "\0\0\0\0\0";
  ASSERT_TERM_EQ(beam_etf_decode(f, 33, NULL, NULL), beam_float(1.5));
  /* PID_EXT / NEW_REFERENCE_EXT / REFERENCE_EXT re-encode as the new tags */
  beam_term_t p = beam_etf_decode(B(131, 103, 100, 0, 5, 'a', '@', 'f', 'o',
                                    'o', 0, 0, 0, 1, 0, 0, 0, 2, 3),
                                  NULL, NULL);
  ASSERT(beam_is_pid(p));
  assert_bytes(p,
               B(131, 88, 100, 0, 5, 'a', '@', 'f', 'o', 'o', 0, 0, 0, 1, 0, 0,
                 0, 2, 0, 0, 0, 3),
               "PID_EXT");
  beam_term_t r = beam_etf_decode(B(131, 114, 0, 2, 100, 0, 5, 'a', '@', 'f',
                                    'o', 'o', 1, 0, 0, 0, 1, 0, 0, 0, 2),
                                  NULL, NULL);
  ASSERT(beam_is_ref(r));
  assert_bytes(r,
               B(131, 90, 0, 2, 100, 0, 5, 'a', '@', 'f', 'o', 'o', 0, 0, 0, 1,
                 0, 0, 0, 1, 0, 0, 0, 2),
               "NEW_REFERENCE_EXT");
  ASSERT(beam_is_ref(beam_etf_decode(
      B(131, 101, 100, 0, 5, 'a', '@', 'f', 'o', 'o', 0, 0, 0, 7, 1), NULL,
      NULL)));
  /* BIT_BINARY_EXT with 8 bits in the last byte is a binary. */
  ASSERT_TERM_EQ(beam_etf_decode(B(131, 77, 0, 0, 0, 1, 8, 255), NULL, NULL),
                 beam_binary("\xff", 1));
  /* BEAM_ETF_UTF8_ATOMS: OTP 26's form. */
  beam_etf_opts_t u = {BEAM_ETF_UTF8_ATOMS, 0, 0, 0};
  unsigned char buf[16];
  size_t len;
  ASSERT_OK(beam_etf_encode(beam_atom("abc"), &u, buf, sizeof buf, &len));
  ASSERT_EQ(len, 6);
  ASSERT(memcmp(buf,
                "\x83\x77\x03"
                "abc",
                6) == 0);
}

BEAM_TEST(etf_local_pids_and_refs_map_to_erl_numbers) {
  /* <0.index.serial> with serial >= 2^32 keeps its high bit in ID. */
  beam_term_t p = beam__pid_make(5, ((uint64_t) 1 << 32) | 7);
  beam__pid_view_t v;
  beam__pid_view(p, &v);
  ASSERT_EQ(v.id, (1u << 28) | 5);
  ASSERT_EQ(v.serial, 7);
  void *out;
  size_t len;
  ASSERT_OK(beam_etf_encode_alloc(p, NULL, &out, &len));
  beam_term_t q = beam_etf_decode(out, len, NULL, NULL);
  ASSERT_EQ(q.raw, p.raw); /* back to the same immediate */
  free(out);
  /* A ref id splits 18 / 32 / 14 bits and comes back local. */
  uint64_t id = UINT64_C(0x0123456789abcdef);
  beam_term_t r = beam__ref_make(id);
  ASSERT_OK(beam_etf_encode_alloc(r, NULL, &out, &len));
  beam_term_t r2 = beam_etf_decode(out, len, NULL, NULL);
  ASSERT_EQ(beam__ref_id(r2), id);
  free(out);
  char text[64];
  beam_print(text, sizeof text, beam__ref_make(1));
  ASSERT_STR_EQ(text, "#Ref<0.0.0.1>");
  ASSERT_TERM_EQ(beam_fmt("#Ref<0.0.0.1>"), beam__ref_make(1));
  ASSERT_TERM_EQ(beam_fmt("<0.12.3>"), beam__pid_make(12, 3));
  /* A ref of this node that erl made (big top word) stays extended, prints
  ** as erl prints it, parses back, and compares by its words. */
  beam_term_t e = beam_fmt("#Ref<0.1027081502.4177002497.212553>");
  ASSERT(beam_is_ref(e) && beam__ref_id(e) == 0);
  beam_print(text, sizeof text, e);
  ASSERT_STR_EQ(text, "#Ref<0.1027081502.4177002497.212553>");
  ASSERT_LT(beam_compare(r, e), 0);
  /* Patterns take no pid/ref literals; ~t matches them. */
  ASSERT_ERR(beam_syntax_check("<0.1.2>", 1, NULL, NULL), BEAM_EPATTERN);
  ASSERT_EQ(beam_match(e, "~t", e), 1);
  ASSERT_ERR(beam_syntax_check("<0.1>", 0, NULL, NULL), BEAM_EPATTERN);
  ASSERT_ERR(beam_syntax_check("<1.1.2>", 0, NULL, NULL), BEAM_EPATTERN);
  ASSERT_ERR(beam_syntax_check("<0.1.99999999999>", 0, NULL, NULL),
             BEAM_EPATTERN);
  ASSERT_ERR(beam_syntax_check("<<\"a\"/latin1>>", 0, NULL, NULL),
             BEAM_EPATTERN);
}

static beam_term_t node_ref(const char *node, uint32_t cr, unsigned n,
                            const uint32_t *w) {
  beam__ref_view_t v;
  v.node = beam_atom(node);
  v.creation = cr;
  v.n = n;
  memcpy(v.w, w, n * sizeof *w);
  return beam__ref_from_view(&v);
}

BEAM_TEST(etf_foreign_pids_and_refs_reencode_identically) {
  static const uint32_t w[5] = {1, 2, 3, 4, 5};
  for (unsigned n = 1; n <= 5; n++) {
    beam_term_t r = node_ref("a@foo", 7, n, w);
    void *out;
    size_t len;
    ASSERT_OK(beam_etf_encode_alloc(r, NULL, &out, &len));
    ASSERT_EQ(len, 1 + 3 + 8 + 4 + 4 * n);
    beam_term_t r2 = beam_etf_decode(out, len, NULL, NULL);
    ASSERT_TERM_EQ(r2, r);
    ASSERT_EQ(beam_hash(r2), beam_hash(r));
    /* a copy (as a message) keeps every word */
    int err;
    beam__msg_t *m = beam__msg_new(r, &err);
    ASSERT(m != NULL);
    ASSERT_TERM_EQ(m->term, r);
    beam__msg_free(m);
    free(out);
  }
  /* Erlang's ref order: node, creation, then words as a number; trailing
  ** zero words do not count. */
  static const uint32_t z[4] = {1, 2, 3, 0};
  ASSERT_EQ(
      beam_compare(node_ref("a@foo", 1, 3, z), node_ref("a@foo", 1, 4, z)), 0);
  ASSERT_EQ(beam_hash(node_ref("a@foo", 1, 3, z)),
            beam_hash(node_ref("a@foo", 1, 4, z)));
  ASSERT_LT(beam_compare(node_ref("a@foo", 1, 3, w), beam__ref_make(1)), 0);
  ASSERT_GT(beam_compare(node_ref("z@foo", 1, 3, w), beam__ref_make(1)), 0);
  ASSERT_LT(
      beam_compare(node_ref("a@foo", 1, 3, w), node_ref("a@foo", 2, 1, w)), 0);
  /* Pids: serial, then ID, then node, then creation. */
  beam__pid_view_t a = {beam_atom("z@foo"), 1u << 30, 0, 1};
  beam__pid_view_t b = {beam_atom("z@foo"), 0, 1, 1};
  ASSERT_LT(beam_compare(beam__pid_from_view(&a), beam__pid_from_view(&b)), 0);
  beam__pid_view_t c = {beam_atom("a@foo"), 5, 5, 1};
  ASSERT_LT(beam_compare(beam__pid_from_view(&c), beam__pid_make(5, 5)), 0);
  /* creation != 0 on this node's name stays foreign */
  beam__pid_view_t d = {beam_atom("nonode@nohost"), 1, 2, 3};
  beam_term_t pd = beam__pid_from_view(&d);
  ASSERT(beam_is_pid(pd) && !beam__is_pid(pd));
}

BEAM_TEST(etf_compressed) {
  beam_term_t l = beam_nil();
  for (int i = 0; i < 200; i++)
    l = beam_cons(beam_atom("hello"), l);
  static const unsigned char erl[] = {131, 80,  0,   0,  3,   38, 120, 156, 203,
                                      97,  96,  96,  72, 73,  97, 96,  205, 72,
                                      205, 201, 201, 31, 165, 71, 233, 81,  26,
                                      147, 206, 2,   0,  52,  16, 250, 15};
  /* erl: term_to_binary(lists:duplicate(100, hello), [compressed]) */
  beam_term_t hundred = beam_nil();
  for (int i = 0; i < 100; i++)
    hundred = beam_cons(beam_atom("hello"), hundred);
  beam_etf_opts_t z = {BEAM_ETF_COMPRESSED, 0, 0, 0};
  void *out;
  size_t len;
  ASSERT_OK(beam_etf_encode_alloc(hundred, &z, &out, &len));
  ASSERT_EQ(len, sizeof erl);
  ASSERT(memcmp(out, erl, len) == 0);
  free(out);
  ASSERT_TERM_EQ(beam_etf_decode(erl, sizeof erl, NULL, NULL), hundred);
  /* A tiny term stays plain, as erl keeps it. */
  unsigned char buf[64];
  ASSERT_OK(beam_etf_encode(beam_atom("hello"), &z, buf, sizeof buf, &len));
  ASSERT_EQ(len, 9);
  ASSERT_EQ(buf[1], 100);
  /* Levels 1..9 all round-trip; 10 is refused. */
  for (int lv = 1; lv <= 9; lv++) {
    beam_etf_opts_t o = {BEAM_ETF_COMPRESSED, lv, 0, 0};
    ASSERT_TERM_EQ(beam_binary_to_term(beam_term_to_binary(l, &o), NULL), l);
  }
  beam_etf_opts_t bad = {BEAM_ETF_COMPRESSED, 10, 0, 0};
  ASSERT_ERR(beam_term_error(beam_term_to_binary(l, &bad)), BEAM_EINVAL);
  /* Broken compressed input. */
  unsigned char c[sizeof erl];
  memcpy(c, erl, sizeof c);
  c[20] ^= 0x55; /* corrupt the stream */
  ASSERT_ERR(beam_term_error(beam_etf_decode(c, sizeof c, NULL, NULL)),
             BEAM_EBADARG);
  memcpy(c, erl, sizeof c);
  c[5]++; /* claims one byte more than the stream holds */
  ASSERT_ERR(beam_term_error(beam_etf_decode(c, sizeof c, NULL, NULL)),
             BEAM_EBADARG);
  memcpy(c, erl, sizeof c);
  c[5]--; /* one byte less: the stream overflows the buffer */
  ASSERT_ERR(beam_term_error(beam_etf_decode(c, sizeof c, NULL, NULL)),
             BEAM_EBADARG);
  memcpy(c, erl, sizeof c);
  c[2] = 0x7f; /* 2 GiB claimed from 29 bytes: refused before allocating */
  ASSERT_ERR(beam_term_error(beam_etf_decode(c, sizeof c, NULL, NULL)),
             BEAM_EBADARG);
  beam_etf_opts_t small = {0, 0, 0, 100};
  ASSERT_ERR(beam_term_error(beam_etf_decode(erl, sizeof erl, &small, NULL)),
             BEAM_EBADARG);
  ASSERT_ERR(
      beam_term_error(beam_etf_decode(B(131, 80, 0, 0, 0, 0), NULL, NULL)),
      BEAM_EBADARG);
  /* Compressed inside a term is not allowed. */
  ASSERT_ERR(beam_term_error(
                 beam_etf_decode(B(131, 104, 1, 80, 0, 0, 0, 1), NULL, NULL)),
             BEAM_EBADARG);
}

/* Every proper prefix of a valid encoding is an error, and the heap is
** back where it was. */
static void all_prefixes_fail(const unsigned char *b, size_t n) {
  size_t before = beam_arena_bytes();
  for (size_t k = 0; k < n; k++) {
    beam_term_t t = beam_etf_decode(b, k, NULL, NULL);
    if (!beam_is_error(t))
      BEAM__FAIL("prefix %zu of %zu decoded", k, n);
    ASSERT_EQ(beam_arena_bytes(), before);
  }
}

BEAM_TEST(etf_truncated_input_fails_cleanly) {
  for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++)
    all_prefixes_fail(golden[i].b, golden[i].n);
  beam_term_t t = beam_fmt("{a, [1, \"x\", {<<\"b\">>}, 1.5, -7], #{k => v}, "
                           "123456789012345678901234567890, <0.1.2>}");
  void *out;
  size_t len;
  ASSERT_OK(beam_etf_encode_alloc(t, NULL, &out, &len));
  all_prefixes_fail(out, len);
  free(out);
}

BEAM_TEST(etf_malformed_input) {
  struct {
    const unsigned char *b;
    size_t n;
    int err;
  } bad[] = {
      {B(0), BEAM_EBADARG},                             /* no version */
      {B(130, 106), BEAM_EBADARG},                      /* wrong version */
      {B(131, 200), BEAM_EBADARG},                      /* unknown tag */
      {B(131, 82, 0), BEAM_EBADARG},                    /* atom cache ref */
      {B(131, 106, 106), BEAM_EBADARG},                 /* trailing byte */
      {B(131, 119, 2, 255, 255), BEAM_EBADARG},         /* bad UTF-8 atom */
      {B(131, 119, 3, 0xed, 0xa0, 0x80), BEAM_EBADARG}, /* surrogate */
      {B(131, 119, 1, 0), BEAM_EBADARG},                /* NUL in an atom */
      {B(131, 70, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0), BEAM_EBADARG}, /* inf */
      {B(131, 70, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1), BEAM_EBADARG}, /* NaN */
      {B(131, 116, 0, 0, 0, 2, 97, 1, 97, 2, 97, 1, 97, 3), BEAM_EBADARG},
      {B(131, 105, 255, 255, 255, 255, 106), BEAM_EBADARG},  /* huge tuple */
      {B(131, 108, 255, 255, 255, 255, 106), BEAM_EBADARG},  /* huge list */
      {B(131, 116, 255, 255, 255, 255, 106), BEAM_EBADARG},  /* huge map */
      {B(131, 109, 255, 255, 255, 255, 1), BEAM_EBADARG},    /* huge binary */
      {B(131, 111, 255, 255, 255, 255, 0, 1), BEAM_EBADARG}, /* huge big */
      {B(131, 107, 255, 255, 1), BEAM_EBADARG},              /* huge string */
      {B(131, 100, 255, 255, 97), BEAM_EBADARG},             /* huge atom */
      {B(131, 88, 97, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1), BEAM_EBADARG},
      {B(131, 90, 0, 6, 100, 0, 1, 97, 0, 0, 0, 0), BEAM_EBADARG}, /* 6 w */
      {B(131, 90, 0, 0, 100, 0, 1, 97, 0, 0, 0, 0), BEAM_EBADARG}, /* 0 w */
      {B(131, 77, 0, 0, 0, 1, 3, 255), BEAM_ETYPE}, /* a bitstring */
      {B(131, 77, 0, 0, 0, 1, 9, 255), BEAM_EBADARG},
      {B(131, 113, 100, 0, 1, 'm', 100, 0, 1, 'f', 97, 1), BEAM_ETYPE},
      {B(131, 112, 0, 0, 0, 0), BEAM_ETYPE}, /* a fun */
      {B(131, 89, 100, 0, 1, 'a', 0, 0, 0, 1, 0, 0, 0, 1), BEAM_ETYPE},
  };
  size_t before = beam_arena_bytes();
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    beam_term_t t = beam_etf_decode(bad[i].b, bad[i].n, NULL, NULL);
    if (beam_term_error(t) != bad[i].err)
      BEAM__FAIL("case %zu: expected %s, got %s", i, beam_err_name(bad[i].err),
                 beam_err_name(beam_term_error(t)));
    ASSERT_EQ(beam_arena_bytes(), before);
  }
  ASSERT_ERR(beam_term_error(beam_etf_decode(NULL, 3, NULL, NULL)),
             BEAM_EINVAL);
  ASSERT_ERR(beam_term_error(beam_binary_to_term(beam_int(1), NULL)),
             BEAM_ETYPE);
  ASSERT_ERR(beam_etf_encode(beam_nil(), NULL, NULL, 5, NULL), BEAM_EINVAL);
  ASSERT_ERR(
      beam_term_error(beam_term_to_binary(beam_error_term(BEAM_ENOMEM), NULL)),
      BEAM_ENOMEM);
}

BEAM_TEST(etf_unsorted_map_input_is_sorted) {
  /* keys b, a, 1 in that order: decoded into key order, re-encoded sorted */
  beam_term_t m = beam_etf_decode(B(131, 116, 0, 0, 0, 3, 100, 0, 1, 'b', 97, 1,
                                    100, 0, 1, 'a', 97, 2, 97, 1, 97, 3),
                                  NULL, NULL);
  ASSERT_TERM_EQ(m, beam_fmt("#{1 => 3, a => 2, b => 1}"));
  beam_term_t v;
  ASSERT_EQ(beam_map_get(m, beam_atom("a"), &v), 1);
  ASSERT_TERM_EQ(v, beam_int(2));
}

BEAM_TEST_T(etf_deep_nesting, 60) {
  /* [[[...]]] 100,000 deep: refused under a smaller limit, decoded at the
  ** default one (explicit stack: no C recursion). */
  size_t depth = 100000;
  size_t n = 1 + depth * 5 + 1 + depth;
  unsigned char *b = malloc(n), *p = b;
  *p++ = 131;
  for (size_t i = 0; i < depth; i++) {
    memcpy(p, "\x6c\x00\x00\x00\x01", 5);
    p += 5;
  }
  *p++ = 106;
  memset(p, 106, depth);
  size_t before = beam_arena_bytes();
  beam_etf_opts_t shallow = {0, 0, depth - 1, 0};
  ASSERT_ERR(beam_term_error(beam_etf_decode(b, n, &shallow, NULL)),
             BEAM_ESYSLIMIT);
  ASSERT_EQ(beam_arena_bytes(), before);
  beam_term_t t = beam_etf_decode(b, n, NULL, NULL);
  ASSERT_OK(beam_term_error(t));
  void *out;
  size_t len;
  ASSERT_OK(beam_etf_encode_alloc(t, NULL, &out, &len)); /* no recursion */
  ASSERT_EQ(len, n);
  ASSERT(memcmp(out, b, n) == 0);
  free(out);
  free(b);
  /* Right-nested tuples and long lists cost no depth. */
  beam_term_t r = beam_nil();
  for (int i = 0; i < 10000; i++)
    r = beam_tuple(2, beam_int(i), r);
  ASSERT_OK(beam_etf_encode_alloc(r, NULL, &out, &len));
  ASSERT_TERM_EQ(beam_etf_decode(out, len, NULL, NULL), r);
  free(out);
}

BEAM_TEST(etf_atom_table_full_and_safe_mode) {
  beam_etf_opts_t safe = {BEAM_ETF_SAFE, 0, 0, 0};
  ASSERT_ERR(beam_term_error(beam_etf_decode(
                 B(131, 100, 0, 6, 'n', 'o', 's', 'u', 'c', 'h'), &safe, NULL)),
             BEAM_EBADARG);
  ASSERT_TERM_EQ(beam_etf_decode(B(131, 100, 0, 2, 'o', 'k'), &safe, NULL),
                 beam_atom("ok"));
  ASSERT_OK(beam__atoms_set_limit(beam__atoms_count() + 1));
  ASSERT(
      beam_is_atom(beam_etf_decode(B(131, 100, 0, 2, 'q', '1'), NULL, NULL)));
  ASSERT_ERR(
      beam_term_error(beam_etf_decode(B(131, 100, 0, 2, 'q', '2'), NULL, NULL)),
      BEAM_ESYSLIMIT);
}

BEAM_TEST(etf_out_of_memory_everywhere) {
  beam_term_t t = beam_fmt("{a, [1, \"x\", {<<\"b\">>}, 1.5], #{k => v}, "
                           "123456789012345678901234567890, <0.1.2>}");
  unsigned char big[300];
  memset(big, 'z', sizeof big);
  t = beam_tuple(2, t, beam_binary(big, sizeof big));
  void *ref;
  size_t rlen;
  beam_etf_opts_t z = {BEAM_ETF_COMPRESSED, 0, 0, 0};
  ASSERT_OK(beam_etf_encode_alloc(t, &z, &ref, &rlen));
  int done = 0;
  for (long n = 0; n < 200 && !done; n++) {
    beam_mark_t m = beam_arena_mark();
    beam_debug_fail_alloc_after(n);
    void *out = NULL;
    size_t len;
    int rc = beam_etf_encode_alloc(t, &z, &out, &len);
    beam_term_t d = beam_etf_decode(ref, rlen, NULL, NULL);
    beam_debug_fail_alloc_after(-1);
    ASSERT(rc == 0 || rc == BEAM_ENOMEM);
    ASSERT(!beam_is_error(d) || beam_term_error(d) == BEAM_ENOMEM);
    if (rc == 0) {
      ASSERT_EQ(len, rlen);
      free(out);
    }
    done = rc == 0 && !beam_is_error(d);
    if (done)
      ASSERT_TERM_EQ(d, t);
    beam_arena_release(m);
  }
  ASSERT(done);
  free(ref);
}

/* The CLI, next to the test binary: build/<variant>/cbeam-term. */
BEAM_TEST(etf_cbeam_term_cli) {
  char exe[1024], cmd[4096];
  ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
  ASSERT(k > 0);
  exe[k] = '\0';
  char *slash = strrchr(exe, '/');
  ASSERT(slash != NULL);
  strcpy(slash, "/../cbeam-term");
  if (access(exe, X_OK) != 0)
    BEAM_SKIP("cbeam-term not built");
  snprintf(cmd, sizeof cmd,
           "printf '%%s' '{ok, [1,2|3], <<\"é\"/utf8>>, #{a => "
           "-1.5}, <0.4.5>, \"str\"}.' | %s encode | %s decode",
           exe, exe);
  FILE *p = popen(cmd, "r");
  ASSERT(p != NULL);
  char line[256] = "";
  ASSERT(fgets(line, sizeof line, p) != NULL);
  ASSERT_EQ(pclose(p), 0);
  ASSERT_STR_EQ(line, "{ok,[1,2|3],<<\"é\"/utf8>>,#{a => -1.5},<0.4.5>,"
                      "\"str\"}\n");
  snprintf(cmd, sizeof cmd, "printf '{a, ~i}' | %s encode 2>/dev/null", exe);
  ASSERT_EQ(WEXITSTATUS(system(cmd)), 1);
  snprintf(cmd, sizeof cmd, "printf '\\203\\150' | %s decode 2>/dev/null", exe);
  ASSERT_EQ(WEXITSTATUS(system(cmd)), 1);
  snprintf(cmd, sizeof cmd, "%s frobnicate 2>/dev/null", exe);
  ASSERT_EQ(WEXITSTATUS(system(cmd)), 2);
}
