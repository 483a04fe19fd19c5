/* SPDX-License-Identifier: MIT */
/*
** etf_diff.c: the cbeam half of the differential test against erl
** (tests/diff/run.sh drives it; the other half is etf_diff.escript).
**
**   etf_diff DIR SEED
**
** Reads DIR/erl.bin (records <<Flags:8, Len:32, Bytes>> that erl's
** term_to_binary wrote, see the escript) and for each record decodes the
** bytes, re-encodes the term (compressed when erl was asked to) and
** requires the very same bytes; a map over 32 keys (flag 2) only has to
** come back equal, so both encodings go to DIR/back.bin for erl to
** compare. It also checks decode(encode(t)) =:= t and the 'used' form.
** Then it builds random terms of its own (seeded), writes their encodings
** to DIR/cb.bin for erl to decode and re-encode, sorts all the terms with
** beam_compare and writes DIR/order.bin for erl to check the order.
** Black box: <cbeam.h> only. Exit status 0 when every check passed.
*/
#include <cbeam.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rnd(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * UINT64_C(2685821657736338717);
}

static unsigned below(unsigned n) {
  return (unsigned) (rnd() % n);
}

/* ---- Terms cbeam builds ---- */

static const char *const atoms[] = {
    "a",  "b",    "ok",  "error", "hello_world", "Caps", "with space",
    "é",  "日本", "x@y", "",      "'q'",         "true", "nonode@nohost",
    "ÿÿ", "αβγ",
};

static beam_term_t gen(int depth);

static beam_term_t gen_int(void) {
  char digits[120];
  switch (below(6)) {
  case 0:
    return beam_int((int64_t) below(300));
  case 1:
    return beam_int((int64_t) below(4000) - 2000);
  case 2:
    return beam_int((int64_t) (rnd() >> below(64)) * (below(2) ? 1 : -1));
  case 3: {
    int n = 1 + (int) below(100);
    digits[0] = below(2) ? '-' : '1';
    for (int i = 1; i <= n; i++)
      digits[i] = (char) ('0' + below(10));
    digits[n + 1] = '\0';
    return beam_int_from_str(digits);
  }
  case 4:
    return beam_uint(rnd());
  default:
    return beam_int(((int64_t) 1 << 60) - 2 + (int64_t) below(4));
  }
}

static beam_term_t gen_float(void) {
  switch (below(4)) {
  case 0:
    return beam_float((double) ((int) below(2001) - 1000)); /* == ints */
  case 1:
    return beam_float((double) (rnd() >> 11) / 9007199254740992.0 * 1e10);
  case 2:
    return beam_float(1e300 * (below(2) ? 1 : -1));
  default:
    return beam_float(0.5 * (double) below(10));
  }
}

static beam_term_t gen_leaf(void) {
  char buf[64];
  unsigned char bytes[200];
  switch (below(9)) {
  case 0:
  case 1:
    return beam_atom(atoms[below(sizeof atoms / sizeof atoms[0])]);
  case 2:
    return gen_int();
  case 3:
    return gen_float();
  case 4: {
    size_t n = below(2) ? below(10) : 60 + below(140);
    for (size_t i = 0; i < n; i++)
      bytes[i] = (unsigned char) (below(2) ? 'a' + below(26) : below(256));
    return beam_binary(bytes, n);
  }
  case 5:
    snprintf(buf, sizeof buf, "<0.%u.%u>", below(32768), below(8192));
    return beam_fmt(buf);
  case 6:
    return beam_make_ref();
  case 7:
    return below(2) ? beam_charlist("hello")
                    : beam_list(2, beam_int(1), beam_int(300));
  default:
    return beam_nil();
  }
}

static beam_term_t gen(int depth) {
  beam_term_t e[8];
  if (depth == 0 || below(2))
    return gen_leaf();
  size_t n = below(6);
  switch (below(4)) {
  case 0:
    for (size_t i = 0; i < n; i++)
      e[i] = gen(depth - 1);
    return beam_tuple_v(n, e);
  case 1:
    for (size_t i = 0; i < n; i++)
      e[i] = gen(depth - 1);
    return beam_list_v(n, e);
  case 2:
    return beam_cons(gen(depth - 1), gen_leaf()); /* often improper */
  default: {
    beam_term_t m = beam_map_new();
    for (size_t i = 0; i < n; i++)
      m = beam_map_put(m, gen(depth - 1), gen(depth - 1));
    return m;
  }
  }
}

/* ---- Helpers ---- */

static int failures;

static void fail(const char *what, beam_term_t t, const unsigned char *want,
                 size_t wlen, const unsigned char *got, size_t glen) {
  if (++failures > 8)
    return;
  char text[400];
  beam_print(text, sizeof text, t);
  size_t at = 0;
  while (at < wlen && at < glen && want[at] == got[at])
    at++;
  fprintf(stderr,
          "FAIL %s: %s\n  lengths %zu vs %zu, first difference at "
          "byte %zu\n",
          what, text, wlen, glen, at);
}

static void put_record(FILE *f, unsigned flags, const void *b, size_t n) {
  unsigned char h[5] = {(unsigned char) flags, (unsigned char) (n >> 24),
                        (unsigned char) (n >> 16), (unsigned char) (n >> 8),
                        (unsigned char) n};
  fwrite(h, 1, 5, f);
  fwrite(b, 1, n, f);
}

static FILE *open_in(const char *dir, const char *name, const char *mode) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, mode);
  if (f == NULL) {
    perror(path);
    exit(2);
  }
  return f;
}

static beam_term_t *set;
static size_t nset, capset;

static void add(beam_term_t t) {
  if (nset == capset) {
    capset = capset ? 2 * capset : 1024;
    set = realloc(set, capset * sizeof *set);
    if (set == NULL)
      exit(3);
  }
  set[nset++] = t;
}

static int by_compare(const void *a, const void *b) {
  return beam_compare(*(const beam_term_t *) a, *(const beam_term_t *) b);
}

/* Round trip through our own decoder, and the 'used' form. */
static void self_check(beam_term_t t, const unsigned char *b, size_t n) {
  unsigned char *junk = malloc(n + 3);
  memcpy(junk, b, n);
  memcpy(junk + n, "xyz", 3);
  size_t used = 0;
  beam_term_t u = beam_etf_decode(junk, n + 3, NULL, &used);
  if (!beam_equal(u, t) || used != n)
    fail("decode with trailing bytes and 'used'", t, b, n, b, used);
  if (!beam_is_error(beam_etf_decode(junk, n + 3, NULL, NULL)))
    fail("trailing bytes without 'used' must fail", t, b, n, b, n);
  free(junk);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: etf_diff DIR SEED\n");
    return 2;
  }
  const char *dir = argv[1];
  rng_state = strtoull(argv[2], NULL, 10) * 2654435761u + 1;

  /* erl -> cbeam -> bytes */
  FILE *in = open_in(dir, "erl.bin", "rb");
  FILE *back = open_in(dir, "back.bin", "wb");
  size_t nrec = 0, identical = 0, equal_only = 0;
  unsigned char h[5];
  while (fread(h, 1, 5, in) == 5) {
    size_t n =
        (size_t) h[1] << 24 | (size_t) h[2] << 16 | (size_t) h[3] << 8 | h[4];
    unsigned flags = h[0];
    unsigned char *b = malloc(n ? n : 1);
    if (b == NULL || fread(b, 1, n, in) != n)
      return 3;
    nrec++;
    beam_term_t t = beam_etf_decode(b, n, NULL, NULL);
    if (beam_is_error(t)) {
      fprintf(stderr, "decode error %s on record %zu\n",
              beam_err_name(beam_term_error(t)), nrec);
      fail("decode", t, b, n, b, 0);
      free(b);
      continue;
    }
    beam_etf_opts_t o = {flags & 1 ? BEAM_ETF_COMPRESSED : 0, 0, 0, 0};
    void *out;
    size_t len;
    int rc = beam_etf_encode_alloc(t, &o, &out, &len);
    if (rc < 0) {
      fail("encode", t, b, n, b, 0);
    } else if (flags & 2) {
      put_record(back, flags, b, n);
      put_record(back, flags, out, len);
      equal_only++;
    } else if (len == n && memcmp(out, b, n) == 0) {
      identical++;
    } else {
      fail(flags & 1 ? "re-encode (compressed) differs" : "re-encode differs",
           t, b, n, out, len);
    }
    if (rc == 0) {
      beam_term_t again = beam_etf_decode(out, len, NULL, NULL);
      if (!beam_equal(again, t))
        fail("decode(encode(t)) =/= t", t, b, n, out, len);
      free(out);
    }
    self_check(t, b, n);
    if (!(flags & 4))
      add(t);
    free(b);
  }
  fclose(in);
  fclose(back);
  printf("erl->cbeam: %zu records, %zu byte-identical, %zu atom-keyed big "
         "maps (equality only)\n",
         nrec, identical, equal_only);

  /* cbeam -> bytes for erl: large maps built by puts and removes in a
  ** random order first (the trie's order must not depend on history),
  ** then random terms. */
  FILE *cb = open_in(dir, "cb.bin", "wb");
  for (size_t size = 30; size <= 3000; size = size * 3 / 2) {
    beam_term_t m = beam_map_new();
    for (size_t i = 0; i < 2 * size; i++) {
      beam_term_t k = below(2) ? beam_int((int64_t) below((unsigned) size * 2))
                               : beam_tuple(2, beam_int(below(50)),
                                            beam_binary("x", below(2)));
      m = below(4) ? beam_map_put(m, k, gen(1)) : beam_map_remove(m, k);
    }
    void *out;
    size_t len;
    if (beam_etf_encode_alloc(m, NULL, &out, &len) < 0) {
      fail("encode a large map", m, NULL, 0, NULL, 0);
      continue;
    }
    put_record(cb, 0, out, len);
    free(out);
  }
  size_t ncb = 2000;
  for (size_t i = 0; i < ncb; i++) {
    beam_term_t t = gen(4);
    if (beam_is_error(t)) {
      fprintf(stderr, "build error %s\n", beam_err_name(beam_term_error(t)));
      failures++;
      continue;
    }
    unsigned flags = i % 5 == 0 ? 1 : 0;
    beam_etf_opts_t o = {flags ? BEAM_ETF_COMPRESSED : 0, 0, 0, 0};
    void *out;
    size_t len;
    if (beam_etf_encode_alloc(t, &o, &out, &len) < 0) {
      fail("encode cbeam term", t, NULL, 0, NULL, 0);
      continue;
    }
    put_record(cb, flags, out, len);
    beam_term_t again = beam_etf_decode(out, len, NULL, NULL);
    if (!beam_equal(again, t))
      fail("decode(encode(t)) =/= t (cbeam term)", t, out, len, out, len);
    free(out);
    add(t);
  }
  fclose(cb);

  /* order: sorted set, per-pair flags, random pairs */
  qsort(set, nset, sizeof *set, by_compare);
  unsigned char *pf = malloc(nset);
  for (size_t i = 0; i + 1 < nset; i++)
    pf[i] = (unsigned char) ((beam_compare(set[i], set[i + 1]) == 0) |
                             (beam_equal(set[i], set[i + 1]) << 1));
  size_t npairs = 3000;
  beam_term_t *pairs = malloc(npairs * sizeof *pairs);
  for (size_t i = 0; i < npairs; i++) {
    /* Neighbours in the sorted set are the interesting pairs. */
    size_t a = below((unsigned) nset);
    size_t b = below(2) ? below((unsigned) nset) : (a + 1 + below(3)) % nset;
    int c = beam_compare(set[a], set[b]);
    pairs[i] = beam_tuple(4, set[a], set[b], beam_int(c < 0 ? -1 : c > 0),
                          beam_int(beam_equal(set[a], set[b])));
  }
  beam_term_t order =
      beam_tuple(3, beam_list_v(nset, set), beam_binary(pf, nset - 1),
                 beam_list_v(npairs, pairs));
  void *out;
  size_t len;
  if (beam_etf_encode_alloc(order, NULL, &out, &len) < 0) {
    fprintf(stderr, "cannot encode the order file\n");
    return 1;
  }
  FILE *of = open_in(dir, "order.bin", "wb");
  fwrite(out, 1, len, of);
  fclose(of);
  free(out);
  free(pf);
  free(pairs);
  printf("cbeam->erl: %zu terms; order: %zu terms sorted, %zu pairs\n", ncb,
         nset, npairs);
  if (failures)
    printf("etf_diff: %d failures\n", failures);
  return failures ? 1 : 0;
}
