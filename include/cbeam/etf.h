/* SPDX-License-Identifier: MIT */
/*
** cbeam/etf.h: Erlang's External Term Format (term_to_binary and
** binary_to_term), byte-compatible with Erlang/OTP 25.
**
** Encoding writes exactly the bytes OTP 25's term_to_binary(T) writes
** (default minor_version 1): atoms that fit latin1 as ATOM_EXT, others as
** SMALL_ATOM_UTF8_EXT/ATOM_UTF8_EXT; integers as SMALL_INTEGER/INTEGER/
** SMALL_BIG/LARGE_BIG; floats as NEW_FLOAT_EXT; byte lists of 1..65535
** elements as STRING_EXT; maps of up to 32 keys in Erlang's map-key
** order, larger ones in OTP 25's hash-trie order (cbeam's large maps are
** tries indexed by the same hash, so the bytes are OTP's); pids and
** refs with node and creation (a local pid or ref is node 'nonode@nohost',
** creation 0, as in an un-distributed erl; cbeam/term.h says how their
** numbers map). BEAM_ETF_COMPRESSED adds zlib compression as
** term_to_binary(T, [compressed]) does, and like it keeps the plain form
** when the compressed form would be longer.
**
** Decoding accepts every tag OTP 25 emits plus the older forms of atoms,
** floats, pids and refs; funs, ports and bitstrings that are not whole
** bytes give BEAM_ETYPE (cbeam has no such terms). Malformed input gives
** BEAM_EBADARG (erl's badarg), a full atom table BEAM_ESYSLIMIT, nesting
** past 'max_depth' BEAM_ESYSLIMIT. Decoding untrusted input is safe: it
** never crashes or hangs, and it allocates at most a constant times the
** input size (the inflated size, for compressed input, which is itself
** checked against zlib's maximum ratio before anything is allocated).
** A failed decode frees everything it had built.
**
** Differences from OTP 25 a user may meet: atoms may not contain NUL;
** a map of over 32 keys with an atom in a key encodes its pairs in an
** order of cbeam's own (OTP hashes atoms by their index in the node's
** table, so erl's own order for such maps changes from run to run; erl
** decodes cbeam's to the same map); -0.0 and 0.0 are different map keys
** (as in OTP 27). Unlike binary_to_term/1,
** bytes after the term are an error unless 'used' is given (erl's [used]).
*/
#ifndef CBEAM_ETF_H
#define CBEAM_ETF_H

#include <stddef.h>

#include "term.h"

#ifndef BEAM_API
#define BEAM_API __attribute__((visibility("default")))
#endif

enum beam_etf_flags {
  /* Encode: compress with zlib (term_to_binary(T, [compressed])). */
  BEAM_ETF_COMPRESSED = 1u << 0,
  /* Encode: every atom as UTF-8 (minor_version 2, OTP 26's default). */
  BEAM_ETF_UTF8_ATOMS = 1u << 1,
  /* Decode: never create atoms; an unknown one is BEAM_EBADARG
  ** (binary_to_term(B, [safe])). */
  BEAM_ETF_SAFE = 1u << 2,
};

/* Default decode nesting limit: terms nested deeper than this (counting
** containers that still have elements to come: the last element of a
** tuple and a list's tail add nothing) are refused. No walk in cbeam
** recurses on nesting, so this only bounds the decoder's own frames (40
** bytes each, at most one per input byte); lower it to refuse deep input
** early. */
#define BEAM_ETF_MAX_DEPTH ((size_t) 1 << 20)
/* Default limit on the inflated size of compressed input, in bytes. */
#define BEAM_ETF_MAX_INFLATE ((size_t) 256 << 20)

/* Options; NULL means all defaults. Zero fields take their default. */
typedef struct beam_etf_opts {
  unsigned flags;     /* BEAM_ETF_* */
  int level;          /* compression level 1..9; 0 = 6, erl's default */
  size_t max_depth;   /* decode: 0 = BEAM_ETF_MAX_DEPTH */
  size_t max_inflate; /* decode: 0 = BEAM_ETF_MAX_INFLATE */
} beam_etf_opts_t;

/* [any, allocs] term_to_binary: the encoding of 't' as a binary term on
** the current heap, or an error term (BEAM_EBADTERM for an invalid 't',
** BEAM_ESYSLIMIT for a part too large for the format, BEAM_ENOMEM). */
BEAM_API beam_term_t beam_term_to_binary(beam_term_t t,
                                         const beam_etf_opts_t *opts);

/* [any, allocs] binary_to_term: the term encoded in binary 'bin' (which
** must hold exactly one), on the current heap, or an error term (above;
** BEAM_ETYPE if 'bin' is not a binary). */
BEAM_API beam_term_t beam_binary_to_term(beam_term_t bin,
                                         const beam_etf_opts_t *opts);

/* [any] Encode into caller memory (compressing uses a temporary block):
** 0 and '*len' = bytes written, or
** BEAM_ERANGE if 'size' is too small ('*len' = the size needed; never
** more than the uncompressed size, which is also enough when
** compressing). 'buf' may be NULL when 'size' is 0, to ask the size. */
BEAM_API int beam_etf_encode(beam_term_t t, const beam_etf_opts_t *opts,
                             void *buf, size_t size, size_t *len);

/* [any, allocs] Encode into a new malloc() block ('*out', free with
** free()): 0, or BEAM_EINVAL, BEAM_EBADTERM, BEAM_ESYSLIMIT, BEAM_ENOMEM. */
BEAM_API int beam_etf_encode_alloc(beam_term_t t, const beam_etf_opts_t *opts,
                                   void **out, size_t *len);

/* [any, allocs] Decode 'len' bytes (starting with the version byte 131)
** into a term on the current heap; 'data' is only read during the call.
** With 'used' NULL the bytes must hold exactly one term; otherwise bytes
** may follow it and '*used' receives the bytes the term took. */
BEAM_API beam_term_t beam_etf_decode(const void *data, size_t len,
                                     const beam_etf_opts_t *opts, size_t *used);

#endif
