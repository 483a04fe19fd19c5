/* SPDX-License-Identifier: MIT */
/*
** etf_fuzz.c: libFuzzer target for the External Term Format decoder.
**
** Any bytes go to beam_etf_decode (ASan/UBSan watch for crashes, the
** fuzzer's -timeout and -rss_limit_mb for hangs and runaway memory). When
** the bytes decode, the term must survive the rest of the library and a
** round trip: encode succeeds, decodes to an =:= term with the same
** hash, and encoding that again gives the same bytes (the encoding is
** canonical); the compressed form round-trips too, and the term prints.
** Each input also runs once in safe mode (no new atoms) with a small depth
** limit, which must agree with the plain decode whenever both succeed.
** Everything an input builds is released afterwards, so the fuzzer's
** leak and memory checks see a steady state (atoms excepted: they live
** for the process, as in the BEAM, and the table limit bounds them).
**
** Build and run: 'make fuzz' (FUZZ_SECONDS), 'make stress' runs it for
** 10 minutes; 'make test' replays tests/fuzz/corpus/ for a few seconds.
*/
#include <cbeam.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what, beam_term_t t) {
  if (ok)
    return;
  char text[512];
  beam_print(text, sizeof text, t);
  fprintf(stderr, "etf_fuzz: %s: %s\n", what, text);
  abort();
}

static void round_trip(beam_term_t t, unsigned flags) {
  beam_etf_opts_t o = {flags, 0, 0, 0};
  void *out;
  size_t len;
  int rc = beam_etf_encode_alloc(t, &o, &out, &len);
  if (rc == BEAM_ENOMEM)
    return;
  check(rc == 0, "a decoded term must encode", t);
  beam_term_t u = beam_etf_decode(out, len, NULL, NULL);
  check(!beam_is_error(u), "an encoding must decode", t);
  check(beam_equal(t, u) && beam_compare(t, u) == 0, "round trip =/=", t);
  check(beam_hash(t) == beam_hash(u), "round trip changes the hash", t);
  void *again;
  size_t len2;
  if (beam_etf_encode_alloc(u, &o, &again, &len2) == 0) {
    check(len2 == len && memcmp(out, again, len) == 0,
          "encoding is not canonical", t);
    free(again);
  }
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  beam_mark_t m = beam_arena_mark();
  beam_term_t t = beam_etf_decode(data, size, NULL, NULL);
  if (!beam_is_error(t)) {
    round_trip(t, 0);
    if (size < 2048)
      round_trip(t, BEAM_ETF_COMPRESSED);
    char text[256];
    beam_print(text, sizeof text, t);
    beam_term_t copy = beam_binary_to_term(beam_term_to_binary(t, NULL), NULL);
    check(beam_is_error(copy) || beam_equal(copy, t), "binary round trip", t);
  }
  beam_etf_opts_t safe = {BEAM_ETF_SAFE, 0, 8, 0};
  size_t used = 0;
  beam_term_t s = beam_etf_decode(data, size, &safe, &used);
  if (!beam_is_error(s) && !beam_is_error(t))
    check(beam_equal(s, t) && used == size, "safe decode differs", t);
  beam_arena_release(m);
  return 0;
}
