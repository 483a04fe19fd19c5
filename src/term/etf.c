/* SPDX-License-Identifier: MIT */
/*
** etf.c: Erlang's External Term Format, byte-compatible with OTP 25's
** term_to_binary/binary_to_term (public API in cbeam/etf.h).
**
** Encoding is two passes of one writer over the term: the first counts
** bytes (buf == NULL), the second writes them into a buffer of exactly
** that size (a binary on the heap, the caller's memory, or a malloc()
** block). The walk keeps an explicit stack of frames (a tuple or map being
** written, or the rest of a list), so any nesting costs heap, not C
** stack; the last element of a tuple or map and a list's tail replace
** their frame instead of stacking on it. What OTP 25 emits, checked with
** erl 25.2.3 (see tests/diff/):
**  - atoms: ATOM_EXT (latin1, tag 100) when every character is <= 255,
**    else SMALL_ATOM_UTF8_EXT / ATOM_UTF8_EXT (119 / 118) by byte length;
**    BEAM_ETF_UTF8_ATOMS gives OTP 26's all-UTF-8 form (minor_version 2);
**  - integers: 0..255 SMALL_INTEGER, 32-bit INTEGER, else SMALL_BIG
**    (<= 255 magnitude bytes) or LARGE_BIG, little-endian magnitude;
**  - lists: STRING_EXT for proper lists of 1..65535 integers 0..255,
**    else LIST_EXT with its tail ('[]' is NIL_EXT), tails of any type;
**  - maps: MAP_EXT; up to 32 keys in map-key order (a flat map's layout,
**    OTP's flatmap order); above, in the trie's order, which is OTP 25's
**    HAMT order because the trie uses OTP 25's map hash (map.h,
**    maphash.c): byte-identical unless a key holds an atom (OTP hashes
**    atoms by table index, which is not reproducible even between two
**    runs of erl);
**  - pids NEW_PID_EXT, refs NEWER_REFERENCE_EXT (numbers: term/term.h);
**  - compressed: tag 80, the inflated size, then a zlib stream of the
**    body at level 6 (erl's [compressed]); as erl, only when that is
**    no longer than the plain form, so tiny terms stay plain.
**
** Decoding runs the same explicit-stack walk top-down: a container is
** allocated on the heap when its header is read and each child is decoded
** straight into its slot. Safety on hostile bytes, by construction:
**  - every read is bounds-checked against the end of the input;
**  - a declared count is checked against the bytes left before anything
**    is allocated (each element needs at least one byte, each map pair
**    two), so heap use is at most ~16 bytes per input byte (a STRING_EXT
**    character becomes a list cell) plus the bytes of binaries;
**  - nesting: the frame stack (walk.h) is bounded by 'max_depth'
**    (default 2^20, BEAM_ESYSLIMIT past it); no walk over the result
**    recurses, so any depth the input describes is safe to use;
**  - compressed input: the claimed inflated size must be within zlib's
**    maximum ratio (1032:1) of the compressed bytes and 'max_inflate';
**    inflation writes into exactly that buffer and must end there;
**  - atoms: a full table is BEAM_ESYSLIMIT, not a crash; BEAM_ETF_SAFE
**    creates none;
**  - maps are sorted after their last value arrives (heapsort in place:
**    O(n log n), no extra memory) and duplicate keys are BEAM_EBADARG;
**  - on any error the heap is released to where the decode started.
** Normalisation: integers take their one representation (a SMALL_BIG
** holding 5 is 5), pids and refs of the local node become local ones, old
** tags (ATOM_EXT latin1, FLOAT_EXT, PID_EXT, NEW_REFERENCE_EXT) decode to
** the terms the new ones would, so re-encoding gives what OTP 25 gives.
**
** Threading: pure functions of their arguments plus the current heap and
** the atom table. [any]
*/
#include "heap.h"
#include "map.h"
#include "walk.h"

#include <math.h>

#include <zlib.h>

#define VERSION_MAGIC 131
#define COMPRESSED    80

enum {
  NEW_FLOAT_EXT = 70,
  BIT_BINARY_EXT = 77,
  ATOM_CACHE_REF = 82,
  NEW_PID_EXT = 88,
  NEW_PORT_EXT = 89,
  NEWER_REFERENCE_EXT = 90,
  SMALL_INTEGER_EXT = 97,
  INTEGER_EXT = 98,
  FLOAT_EXT = 99,
  ATOM_EXT = 100,
  REFERENCE_EXT = 101,
  PORT_EXT = 102,
  PID_EXT = 103,
  SMALL_TUPLE_EXT = 104,
  LARGE_TUPLE_EXT = 105,
  NIL_EXT = 106,
  STRING_EXT = 107,
  LIST_EXT = 108,
  BINARY_EXT = 109,
  SMALL_BIG_EXT = 110,
  LARGE_BIG_EXT = 111,
  NEW_FUN_EXT = 112,
  EXPORT_EXT = 113,
  NEW_REFERENCE_EXT = 114,
  SMALL_ATOM_EXT = 115,
  MAP_EXT = 116,
  FUN_EXT = 117,
  ATOM_UTF8_EXT = 118,
  SMALL_ATOM_UTF8_EXT = 119,
  V4_PORT_EXT = 120,
};

#define MAX_STRING_EXT 65535u
#define ZLIB_MAX_RATIO 1032u /* deflate's best case: 1032 bytes per byte */

static const beam_etf_opts_t default_opts = {0, 0, 0, 0};

/* ---- Frame stacks (shared by both directions) ---- */

typedef struct frame {
  unsigned kind; /* F_TUPLE, F_MAP, F_LIST */
  uint64_t *box; /* tuple/map box; list: cells (decode) */
  uint64_t rest; /* encode F_LIST: the rest of the list */
  size_t i, n;   /* next slot, slots (map: 2 * pairs; list: cells) */
} frame_t;

enum { F_TUPLE, F_MAP, F_LIST, F_TRIE };

BEAM__WALK_STACK(frames, frame_t)
/* The encoder's walks of trie maps (an F_TRIE frame names its own by
** index 'n'; its 'i' says a value is pending, in 'rest'). */
BEAM__WALK_STACK_N(tries, beam__trie_iter_t, 1)

/* The walk's stack, with the decoder's nesting bound. */
typedef struct fstack {
  frames_t s;
  tries_t tries;
  size_t max;
} fstack_t;

static void fs_init(fstack_t *s, size_t max) {
  frames_init(&s->s);
  tries_init(&s->tries);
  s->max = max;
}

static void fs_fini(fstack_t *s) {
  frames_fini(&s->s);
  tries_fini(&s->tries);
}

static frame_t *fs_push(fstack_t *s, int *rc) {
  if (s->s.sp == s->max) {
    *rc = BEAM_ESYSLIMIT;
    return NULL;
  }
  frame_t *f = frames_push(&s->s);
  if (f == NULL)
    *rc = BEAM_ENOMEM;
  return f;
}

/* ==== Encoding ==== */

typedef struct wr {
  unsigned char *buf; /* NULL: count only */
  size_t pos;
  unsigned flags;
} wr_t;

static void put(wr_t *w, const void *s, size_t n) {
  if (w->buf != NULL && n > 0)
    memcpy(w->buf + w->pos, s, n);
  w->pos += n;
}

static void put8(wr_t *w, unsigned v) {
  unsigned char b = (unsigned char) v;
  put(w, &b, 1);
}

static void put16(wr_t *w, unsigned v) {
  unsigned char b[2] = {(unsigned char) (v >> 8), (unsigned char) v};
  put(w, b, 2);
}

static void put32(wr_t *w, uint32_t v) {
  unsigned char b[4] = {(unsigned char) (v >> 24), (unsigned char) (v >> 16),
                        (unsigned char) (v >> 8), (unsigned char) v};
  put(w, b, 4);
}

static bool is_ascii(const unsigned char *s, size_t len) {
  unsigned char any = 0;
  for (size_t i = 0; i < len; i++)
    any |= s[i];
  return any < 0x80;
}

static int put_atom(wr_t *w, beam_term_t a) {
  const char *name = beam_atom_name(a);
  if (name == NULL)
    return BEAM_EBADTERM;
  const unsigned char *s = (const unsigned char *) name;
  size_t len = strlen(name), i = 0, chars = 0;
  int latin1 = !(w->flags & BEAM_ETF_UTF8_ATOMS);
  if (latin1 && is_ascii(s, len)) { /* most atoms: bytes are characters */
    put8(w, ATOM_EXT);
    put16(w, (unsigned) len);
    put(w, s, len);
    return 0;
  }
  while (latin1 && i < len) {
    uint32_t cp;
    if (beam__utf8_next(s, len, &i, &cp) < 0)
      return BEAM_EBADTERM;
    latin1 = cp <= 255;
    chars++;
  }
  if (latin1) { /* OTP 25 (minor_version 1): latin1 atoms as ATOM_EXT */
    put8(w, ATOM_EXT);
    put16(w, (unsigned) chars);
    for (i = 0; i < len;) {
      uint32_t cp;
      beam__utf8_next(s, len, &i, &cp);
      put8(w, cp);
    }
  } else if (len <= 255) {
    put8(w, SMALL_ATOM_UTF8_EXT);
    put8(w, (unsigned) len);
    put(w, s, len);
  } else {
    put8(w, ATOM_UTF8_EXT);
    put16(w, (unsigned) len); /* <= 4 * 255 bytes */
    put(w, s, len);
  }
  return 0;
}

/* Magnitude 'limbs' (non-zero top limb) as SMALL_BIG/LARGE_BIG. */
static int put_big(wr_t *w, int neg, const uint64_t *limbs, size_t n) {
  uint64_t top = limbs[n - 1];
  size_t bytes = (n - 1) * 8;
  for (; top != 0; top >>= 8)
    bytes++;
  if (bytes <= 255) {
    put8(w, SMALL_BIG_EXT);
    put8(w, (unsigned) bytes);
  } else {
    if (bytes > UINT32_MAX)
      return BEAM_ESYSLIMIT;
    put8(w, LARGE_BIG_EXT);
    put32(w, (uint32_t) bytes);
  }
  put8(w, neg ? 1 : 0);
  for (size_t i = 0; i < bytes; i++)
    put8(w, (unsigned) (limbs[i / 8] >> (8 * (i % 8))));
  return 0;
}

static int put_small(wr_t *w, int64_t v) {
  if (v >= 0 && v <= 255) {
    put8(w, SMALL_INTEGER_EXT);
    put8(w, (unsigned) v);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    put8(w, INTEGER_EXT);
    put32(w, (uint32_t) (int32_t) v);
  } else {
    uint64_t mag = v < 0 ? 0 - (uint64_t) v : (uint64_t) v;
    return put_big(w, v < 0, &mag, 1);
  }
  return 0;
}

/* A list: STRING_EXT when OTP would use it, else the LIST_EXT header and
** a frame for its elements and tail. */
static int put_list(wr_t *w, beam_term_t l, fstack_t *st) {
  size_t n = 0;
  int bytes = 1;
  beam_term_t t = l;
  for (; beam__tag(t) == BEAM__TAG_LIST; n++) {
    const uint64_t *c = beam__list_ptr(t);
    if (bytes && (beam__tag(beam__mk(c[0])) != BEAM__TAG_SMALL ||
                  (c[0] >> 3) > 255)) /* negative smalls are huge here */
      bytes = 0;
    t = beam__mk(c[1]);
  }
  if (t.raw == BEAM__NIL_RAW && bytes && n <= MAX_STRING_EXT) {
    put8(w, STRING_EXT);
    put16(w, (unsigned) n);
    for (t = l; beam__tag(t) == BEAM__TAG_LIST;) {
      const uint64_t *c = beam__list_ptr(t);
      put8(w, (unsigned) (c[0] >> 3));
      t = beam__mk(c[1]);
    }
    return 0;
  }
  if (n > UINT32_MAX)
    return BEAM_ESYSLIMIT;
  put8(w, LIST_EXT);
  put32(w, (uint32_t) n);
  int rc = 0;
  frame_t *f = fs_push(st, &rc);
  if (f != NULL) {
    f->kind = F_LIST;
    f->rest = l.raw;
  }
  return rc;
}

/* One term: leaves entirely, containers their header plus a frame. */
static int put_term(wr_t *w, beam_term_t t, fstack_t *st) {
  switch (beam__tag(t)) {
  case BEAM__TAG_SMALL:
    return put_small(w, (int64_t) t.raw >> 3);
  case BEAM__TAG_ATOM:
    return put_atom(w, t);
  case BEAM__TAG_LIST:
    return put_list(w, t, st);
  case BEAM__TAG_PID:
    break;
  case BEAM__TAG_SPEC:
    if (t.raw != BEAM__NIL_RAW)
      return BEAM_EBADTERM;
    put8(w, NIL_EXT);
    return 0;
  case BEAM__TAG_BOXED:
    if (t.raw == 0)
      return BEAM_EBADTERM;
    break;
  case BEAM__TAG_ERROR:
    return beam_term_error(t);
  default:
    return BEAM_EBADTERM;
  }
  if (beam__is_pid(t) || beam__is_box_of(t, BEAM__SUB_EXTPID)) {
    beam__pid_view_t v;
    beam__pid_view(t, &v);
    put8(w, NEW_PID_EXT);
    int rc = put_atom(w, v.node);
    put32(w, v.id);
    put32(w, v.serial);
    put32(w, v.creation);
    return rc;
  }
  const uint64_t *p = beam__box_ptr(t);
  size_t n = (size_t) BEAM__HDR_SIZE(p[0]);
  switch (BEAM__HDR_SUB(p[0])) {
  case BEAM__SUB_FLOAT: {
    uint64_t bits;
    memcpy(&bits, p + 1, 8);
    put8(w, NEW_FLOAT_EXT);
    put32(w, (uint32_t) (bits >> 32));
    put32(w, (uint32_t) bits);
    return 0;
  }
  case BEAM__SUB_BIGINT:
    return put_big(w, beam__big_neg(t), beam__big_limbs(t), n);
  case BEAM__SUB_HEAPBIN:
  case BEAM__SUB_REFBIN: {
    size_t len;
    const void *d = beam_binary_data(t, &len);
    if (len > UINT32_MAX)
      return BEAM_ESYSLIMIT;
    put8(w, BINARY_EXT);
    put32(w, (uint32_t) len);
    put(w, d, len);
    return 0;
  }
  case BEAM__SUB_REF: {
    beam__ref_view_t v;
    beam__ref_view(t, &v);
    put8(w, NEWER_REFERENCE_EXT);
    put16(w, v.n);
    int rc = put_atom(w, v.node);
    put32(w, v.creation);
    for (unsigned i = 0; i < v.n; i++)
      put32(w, v.w[i]);
    return rc;
  }
  case BEAM__SUB_HMAP: { /* in trie order: OTP 25's bytes (map.h) */
    size_t count = beam__trie_size(t);
    if (count > UINT32_MAX)
      return BEAM_ESYSLIMIT;
    put8(w, MAP_EXT);
    put32(w, (uint32_t) count);
    int rc = 0;
    frame_t *f = fs_push(st, &rc);
    beam__trie_iter_t *it = f ? tries_push(&st->tries) : NULL;
    if (f == NULL || it == NULL)
      return rc ? rc : BEAM_ENOMEM;
    beam__trie_iter_init(it, t);
    f->kind = F_TRIE;
    f->i = 0;
    f->n = st->tries.sp - 1;
    return 0;
  }
  case BEAM__SUB_TUPLE:
  case BEAM__SUB_MAP: {
    int map = BEAM__HDR_SUB(p[0]) == BEAM__SUB_MAP;
    if (n > UINT32_MAX)
      return BEAM_ESYSLIMIT;
    if (map) {
      put8(w, MAP_EXT);
      put32(w, (uint32_t) n);
    } else if (n <= 255) {
      put8(w, SMALL_TUPLE_EXT);
      put8(w, (unsigned) n);
    } else {
      put8(w, LARGE_TUPLE_EXT);
      put32(w, (uint32_t) n);
    }
    if (n == 0)
      return 0;
    int rc = 0;
    frame_t *f = fs_push(st, &rc);
    if (f != NULL) {
      f->kind = map ? F_MAP : F_TUPLE;
      f->box = (uint64_t *) p;
      f->i = 0;
      f->n = map ? 2 * n : n;
    }
    return rc;
  }
  default:
    return BEAM_EBADTERM;
  }
}

/* The whole encoding of 't' (131, then the term) through 'w'. */
static int write_term(wr_t *w, beam_term_t t) {
  fstack_t st;
  fs_init(&st, SIZE_MAX);
  put8(w, VERSION_MAGIC);
  int rc = put_term(w, t, &st);
  while (rc == 0 && st.s.sp > 0) {
    frame_t *f = &st.s.f[st.s.sp - 1];
    beam_term_t next;
    if (f->kind == F_TRIE) {
      if (f->i) { /* the value of the pair whose key went last */
        f->i = 0;
        next = beam__mk(f->rest);
      } else {
        beam_term_t k, v;
        if (!beam__trie_next(&st.tries.f[f->n], &k, &v)) {
          st.tries.sp--;
          st.s.sp--;
          continue;
        }
        f->i = 1;
        f->rest = v.raw;
        next = k;
      }
    } else if (f->kind == F_LIST) {
      beam_term_t rest = beam__mk(f->rest);
      if (beam__tag(rest) == BEAM__TAG_LIST) {
        const uint64_t *c = beam__list_ptr(rest);
        next = beam__mk(c[0]);
        f->rest = c[1];
      } else {
        next = rest; /* the tail replaces the frame */
        st.s.sp--;
      }
    } else {
      size_t i = f->i++, half = f->n / 2;
      if (f->kind == F_TUPLE)
        next = beam__mk(f->box[1 + i]);
      else /* MAP_EXT order: k1 v1 k2 v2 ... */
        next = beam__mk(f->box[1 + (i & 1 ? half : 0) + i / 2]);
      if (f->i == f->n)
        st.s.sp--; /* the last element replaces the frame */
    }
    rc = put_term(w, next, &st);
  }
  fs_fini(&st);
  return rc;
}

static const beam_etf_opts_t *opts_or_default(const beam_etf_opts_t *o) {
  return o != NULL ? o : &default_opts;
}

/* Plain encoding into a new block; '*len' its size. */
static int encode_plain(beam_term_t t, unsigned flags, unsigned char **out,
                        size_t *len) {
  wr_t w = {NULL, 0, flags};
  int rc = write_term(&w, t);
  if (rc < 0)
    return rc;
  unsigned char *buf = beam__malloc(w.pos);
  if (buf == NULL)
    return BEAM_ENOMEM;
  wr_t w2 = {buf, 0, flags};
  rc = write_term(&w2, t);
  beam_assert(rc < 0 || w2.pos == w.pos);
  if (rc < 0) {
    beam__free(buf);
    return rc;
  }
  *out = buf;
  *len = w.pos;
  return 0;
}

/* Compress 'plain' (len bytes, starting with 131) in place of itself when
** that is no longer, as erl does: 131, 80, inflated size, zlib stream. */
static int compress_block(unsigned char **block, size_t *len, int level) {
  size_t ulen = *len - 1;
  if (*len <= 6 || ulen > UINT32_MAX)
    return 0; /* cannot get smaller / does not fit the size field */
  uLongf zcap = (uLongf) (*len - 6);
  unsigned char *z = beam__malloc(*len);
  if (z == NULL)
    return BEAM_ENOMEM;
  /* Only output no longer than the plain form is wanted (erl keeps the
  ** compressed form at equal length; checked against erl 25): compress2
  ** fails with Z_BUF_ERROR when it does not fit. */
  int zr = compress2(z + 6, &zcap, *block + 1, (uLong) ulen,
                     level ? level : Z_DEFAULT_COMPRESSION);
  if (zr == Z_OK) {
    z[0] = VERSION_MAGIC;
    z[1] = COMPRESSED;
    z[2] = (unsigned char) (ulen >> 24);
    z[3] = (unsigned char) (ulen >> 16);
    z[4] = (unsigned char) (ulen >> 8);
    z[5] = (unsigned char) ulen;
    beam__free(*block);
    *block = z;
    *len = zcap + 6;
    return 0;
  }
  beam__free(z);
  return zr == Z_OK || zr == Z_BUF_ERROR ? 0 : BEAM_ENOMEM;
}

int beam_etf_encode_alloc(beam_term_t t, const beam_etf_opts_t *opts,
                          void **out, size_t *len) {
  if (out == NULL || len == NULL)
    return BEAM_EINVAL;
  opts = opts_or_default(opts);
  if (opts->level < 0 || opts->level > 9)
    return BEAM_EINVAL;
  unsigned char *buf;
  size_t n;
  int rc = encode_plain(t, opts->flags, &buf, &n);
  if (rc < 0)
    return rc;
  if (opts->flags & BEAM_ETF_COMPRESSED)
    rc = compress_block(&buf, &n, opts->level);
  if (rc < 0) {
    beam__free(buf);
    return rc;
  }
  *out = buf;
  *len = n;
  return 0;
}

int beam_etf_encode(beam_term_t t, const beam_etf_opts_t *opts, void *buf,
                    size_t size, size_t *len) {
  if (len == NULL || (buf == NULL && size > 0))
    return BEAM_EINVAL;
  opts = opts_or_default(opts);
  if (opts->level < 0 || opts->level > 9)
    return BEAM_EINVAL;
  if (opts->flags & BEAM_ETF_COMPRESSED) {
    void *block;
    size_t n;
    int rc = beam_etf_encode_alloc(t, opts, &block, &n);
    if (rc < 0)
      return rc;
    *len = n;
    if (n <= size)
      memcpy(buf, block, n);
    beam__free(block);
    return n <= size ? 0 : BEAM_ERANGE;
  }
  wr_t w = {NULL, 0, opts->flags};
  int rc = write_term(&w, t);
  if (rc < 0)
    return rc;
  *len = w.pos;
  if (w.pos > size)
    return BEAM_ERANGE;
  wr_t w2 = {buf, 0, opts->flags};
  return write_term(&w2, t);
}

beam_term_t beam_term_to_binary(beam_term_t t, const beam_etf_opts_t *opts) {
  opts = opts_or_default(opts);
  if (opts->level < 0 || opts->level > 9)
    return beam_error_term(BEAM_EINVAL);
  if (opts->flags & BEAM_ETF_COMPRESSED) {
    void *block;
    size_t n;
    int rc = beam_etf_encode_alloc(t, opts, &block, &n);
    if (rc < 0)
      return beam_error_term(rc);
    beam_term_t b = beam_binary(block, n);
    beam__free(block);
    return b;
  }
  wr_t w = {NULL, 0, opts->flags};
  int rc = write_term(&w, t);
  if (rc < 0)
    return beam_error_term(rc);
  unsigned char *data;
  beam_term_t b = beam__binary_alloc(w.pos, &data);
  if (beam_is_error(b))
    return b;
  wr_t w2 = {data, 0, opts->flags};
  rc = write_term(&w2, t);
  return rc < 0 ? beam_error_term(rc) : b;
}

/* ==== Decoding ==== */

typedef struct rd {
  const unsigned char *p, *end;
  unsigned flags;
  beam__heap_t *h;
} rd_t;

#define NEED(d, n)                                                             \
  do {                                                                         \
    if ((size_t) ((d)->end - (d)->p) < (size_t) (n))                           \
      return BEAM_EBADARG;                                                     \
  } while (0)

static size_t left(const rd_t *d) {
  return (size_t) (d->end - d->p);
}

static unsigned get8(rd_t *d) {
  return *d->p++;
}

static unsigned get16(rd_t *d) {
  unsigned v = (unsigned) d->p[0] << 8 | d->p[1];
  d->p += 2;
  return v;
}

static uint32_t get32(rd_t *d) {
  uint32_t v = (uint32_t) d->p[0] << 24 | (uint32_t) d->p[1] << 16 |
               (uint32_t) d->p[2] << 8 | d->p[3];
  d->p += 4;
  return v;
}

/* The code for an error term that a constructor gave on decoded input:
** malformed input (EINVAL) is the caller's badarg; ENOMEM, ESYSLIMIT
** pass through. */
static int ctor_err(beam_term_t t) {
  int e = beam_term_error(t);
  return e == BEAM_EINVAL || e == BEAM_ENOENT ? BEAM_EBADARG : e;
}

/* An atom in any of the four atom encodings. */
static int get_atom(rd_t *d, beam_term_t *out) {
  NEED(d, 1);
  unsigned tag = get8(d);
  size_t n;
  int latin1 = tag == ATOM_EXT || tag == SMALL_ATOM_EXT;
  if (tag == ATOM_EXT || tag == ATOM_UTF8_EXT) {
    NEED(d, 2);
    n = get16(d);
  } else if (tag == SMALL_ATOM_EXT || tag == SMALL_ATOM_UTF8_EXT) {
    NEED(d, 1);
    n = get8(d);
  } else {
    return BEAM_EBADARG;
  }
  NEED(d, n);
  unsigned char buf[2 * 255];
  const char *name = (const char *) d->p;
  size_t len = n;
  if (latin1 && n > 255)
    return BEAM_EBADARG; /* longer than any atom */
  if (latin1 && !is_ascii(d->p, n)) { /* ASCII reads as it is */
    len = 0;
    for (size_t i = 0; i < n; i++)
      len += beam__utf8_put(d->p[i], buf + len);
    name = (const char *) buf;
  }
  d->p += n;
  beam_term_t a = (d->flags & BEAM_ETF_SAFE) ? beam__atom_find(name, len)
                                             : beam_atom_len(name, len);
  if (beam_is_error(a))
    return ctor_err(a);
  *out = a;
  return 0;
}

/* SMALL_BIG/LARGE_BIG body: sign byte, 'n' little-endian bytes. */
static int get_big(rd_t *d, size_t n, uint64_t *dst) {
  NEED(d, 1);
  int neg = get8(d) != 0;
  NEED(d, n);
  size_t nl = (n + 7) / 8;
  uint64_t small_buf[4];
  uint64_t *limbs = nl <= 4 ? small_buf : beam__malloc(nl * 8);
  if (limbs == NULL)
    return BEAM_ENOMEM;
  memset(limbs, 0, nl * 8);
  for (size_t i = 0; i < n; i++)
    limbs[i / 8] |= (uint64_t) d->p[i] << (8 * (i % 8));
  d->p += n;
  beam_term_t t = beam__int_from_limbs(neg, limbs, nl);
  if (limbs != small_buf)
    beam__free(limbs);
  if (beam_is_error(t))
    return ctor_err(t);
  *dst = t.raw;
  return 0;
}

static int get_float(rd_t *d, int old, uint64_t *dst) {
  double v;
  if (old) { /* FLOAT_EXT: "%.20e" text in 31 bytes, NUL padded */
    NEED(d, 31);
    char s[32], *end;
    memcpy(s, d->p, 31);
    s[31] = '\0';
    d->p += 31;
    v = strtod(s, &end);
    if (end == s)
      return BEAM_EBADARG;
  } else {
    NEED(d, 8);
    uint64_t bits = (uint64_t) get32(d) << 32;
    bits |= get32(d);
    memcpy(&v, &bits, 8);
  }
  beam_term_t t = beam_float(v); /* NaN and infinities: EINVAL */
  if (beam_is_error(t))
    return ctor_err(t);
  *dst = t.raw;
  return 0;
}

/* NEW_PID_EXT / PID_EXT after the tag. */
static int get_pid(rd_t *d, int creation_bytes, uint64_t *dst) {
  beam__pid_view_t v;
  int rc = get_atom(d, &v.node);
  if (rc < 0)
    return rc;
  NEED(d, 8 + creation_bytes);
  v.id = get32(d);
  v.serial = get32(d);
  v.creation = creation_bytes == 4 ? get32(d) : get8(d);
  beam_term_t t = beam__pid_from_view(&v);
  if (beam_is_error(t))
    return ctor_err(t);
  *dst = t.raw;
  return 0;
}

/* NEWER_REFERENCE_EXT / NEW_REFERENCE_EXT / REFERENCE_EXT after the tag. */
static int get_ref(rd_t *d, unsigned tag, uint64_t *dst) {
  beam__ref_view_t v;
  unsigned n = 1;
  if (tag != REFERENCE_EXT) {
    NEED(d, 2);
    n = get16(d);
    if (n == 0 || n > BEAM__REF_MAX_WORDS)
      return BEAM_EBADARG;
  }
  int rc = get_atom(d, &v.node);
  if (rc < 0)
    return rc;
  if (tag == REFERENCE_EXT) {
    NEED(d, 5);
    v.w[0] = get32(d);
    v.creation = get8(d);
  } else {
    NEED(d, (tag == NEWER_REFERENCE_EXT ? 4 : 1) + 4 * (size_t) n);
    v.creation = tag == NEWER_REFERENCE_EXT ? get32(d) : get8(d);
    for (unsigned i = 0; i < n; i++)
      v.w[i] = get32(d);
  }
  v.n = n;
  beam_term_t t = beam__ref_from_view(&v);
  if (beam_is_error(t))
    return ctor_err(t);
  *dst = t.raw;
  return 0;
}

static uint64_t *halloc(rd_t *d, size_t words) {
  return beam__heap_alloc(d->h, words);
}

#define AGAIN 1 /* get_term: decode the next term into the same slot */

/* One term into '*dst': leaves entirely; a container gets its box and a
** frame whose slots the caller fills next. */
static int get_term(rd_t *d, uint64_t *dst, fstack_t *st) {
  NEED(d, 1);
  unsigned tag = get8(d);
  int rc = 0;
  switch (tag) {
  case SMALL_INTEGER_EXT:
    NEED(d, 1);
    *dst = ((uint64_t) get8(d) << 3) | BEAM__TAG_SMALL;
    return 0;
  case INTEGER_EXT:
    NEED(d, 4);
    *dst = beam_int((int32_t) get32(d)).raw; /* always small */
    return 0;
  case SMALL_BIG_EXT:
    NEED(d, 1);
    return get_big(d, get8(d), dst);
  case LARGE_BIG_EXT:
    NEED(d, 4);
    return get_big(d, get32(d), dst);
  case NEW_FLOAT_EXT:
  case FLOAT_EXT:
    return get_float(d, tag == FLOAT_EXT, dst);
  case ATOM_EXT:
  case SMALL_ATOM_EXT:
  case ATOM_UTF8_EXT:
  case SMALL_ATOM_UTF8_EXT: {
    beam_term_t a;
    d->p--;
    rc = get_atom(d, &a);
    *dst = a.raw;
    return rc;
  }
  case NIL_EXT:
    *dst = BEAM__NIL_RAW;
    return 0;
  case STRING_EXT: {
    NEED(d, 2);
    size_t n = get16(d);
    NEED(d, n);
    if (n == 0) {
      *dst = BEAM__NIL_RAW;
      return 0;
    }
    uint64_t *c = halloc(d, 2 * n);
    if (c == NULL)
      return BEAM_ENOMEM;
    for (size_t i = 0; i < n; i++) {
      c[2 * i] = ((uint64_t) d->p[i] << 3) | BEAM__TAG_SMALL;
      c[2 * i + 1] =
          i + 1 < n ? (uint64_t) (uintptr_t) (c + 2 * i + 2) | BEAM__TAG_LIST
                    : BEAM__NIL_RAW;
    }
    d->p += n;
    *dst = (uint64_t) (uintptr_t) c | BEAM__TAG_LIST;
    return 0;
  }
  case BINARY_EXT:
  case BIT_BINARY_EXT: {
    NEED(d, tag == BINARY_EXT ? 4 : 5);
    size_t n = get32(d);
    if (tag == BIT_BINARY_EXT) {
      unsigned bits = get8(d);
      if (n == 0 || bits == 0 || bits > 8)
        return BEAM_EBADARG;
      if (bits != 8)
        return BEAM_ETYPE; /* a bitstring: cbeam has whole bytes only */
    }
    NEED(d, n);
    unsigned char *data;
    beam_term_t b = beam__binary_alloc(n, &data);
    if (beam_is_error(b))
      return beam_term_error(b);
    memcpy(data, d->p, n);
    d->p += n;
    *dst = b.raw;
    return 0;
  }
  case SMALL_TUPLE_EXT:
  case LARGE_TUPLE_EXT:
  case MAP_EXT: {
    size_t n;
    if (tag == SMALL_TUPLE_EXT) {
      NEED(d, 1);
      n = get8(d);
    } else {
      NEED(d, 4);
      n = get32(d);
    }
    int map = tag == MAP_EXT;
    /* Each element takes at least one byte, so a count the input cannot
    ** hold is refused before allocating for it. */
    if ((map ? n > left(d) / 2 : n > left(d)))
      return BEAM_EBADARG;
    uint64_t *p = halloc(d, 1 + (map ? 2 * n : n));
    if (p == NULL)
      return BEAM_ENOMEM;
    p[0] = BEAM__HDR(map ? BEAM__SUB_MAP : BEAM__SUB_TUPLE, n);
    *dst = (uint64_t) (uintptr_t) p;
    if (n == 0)
      return 0;
    frame_t *f = fs_push(st, &rc);
    if (f == NULL)
      return rc;
    f->kind = map ? F_MAP : F_TUPLE;
    f->box = p;
    f->rest = (uint64_t) (uintptr_t) dst; /* a large map goes back here */
    f->i = 0;
    f->n = map ? 2 * n : n;
    return 0;
  }
  case LIST_EXT: {
    NEED(d, 4);
    size_t n = get32(d);
    if (n == 0)
      return AGAIN;   /* no cells: the term is the tail itself */
    if (n >= left(d)) /* n elements and a tail */
      return BEAM_EBADARG;
    uint64_t *c = halloc(d, 2 * n);
    if (c == NULL)
      return BEAM_ENOMEM;
    for (size_t i = 0; i + 1 < n; i++)
      c[2 * i + 1] = (uint64_t) (uintptr_t) (c + 2 * i + 2) | BEAM__TAG_LIST;
    *dst = (uint64_t) (uintptr_t) c | BEAM__TAG_LIST;
    frame_t *f = fs_push(st, &rc);
    if (f == NULL)
      return rc;
    f->kind = F_LIST;
    f->box = c;
    f->i = 0;
    f->n = n;
    return 0;
  }
  case NEW_PID_EXT:
  case PID_EXT:
    return get_pid(d, tag == NEW_PID_EXT ? 4 : 1, dst);
  case NEWER_REFERENCE_EXT:
  case NEW_REFERENCE_EXT:
  case REFERENCE_EXT:
    return get_ref(d, tag, dst);
  case NEW_FUN_EXT:
  case FUN_EXT:
  case EXPORT_EXT:
  case PORT_EXT:
  case NEW_PORT_EXT:
  case V4_PORT_EXT:
    return BEAM_ETYPE; /* valid Erlang, but no such cbeam terms */
  default:
    return BEAM_EBADARG; /* incl. COMPRESSED inside a term, ATOM_CACHE_REF */
  }
}

/* ---- Maps: sort the pairs of a finished MAP_EXT ---- */

static void swap_pair(uint64_t *k, uint64_t *v, size_t a, size_t b) {
  uint64_t t = k[a];
  k[a] = k[b];
  k[b] = t;
  t = v[a];
  v[a] = v[b];
  v[b] = t;
}

static void sift_down(uint64_t *k, uint64_t *v, size_t root, size_t n) {
  for (;;) {
    size_t c = 2 * root + 1;
    if (c >= n)
      return;
    if (c + 1 < n && beam__cmp_exact(beam__mk(k[c]), beam__mk(k[c + 1])) < 0)
      c++;
    if (beam__cmp_exact(beam__mk(k[root]), beam__mk(k[c])) >= 0)
      return;
    swap_pair(k, v, root, c);
    root = c;
  }
}

/* A decoded map whose last value arrived: more than 32 pairs become a
** trie, written over the flat box's place in 'slot' (the box is left as
** garbage); up to 32 are heapsorted in place by map-key order (erl emits
** small maps sorted, so usually one comparison per key is all the heap
** build does). Duplicate keys: EBADARG. */
static int map_finish(uint64_t *box, uint64_t *slot) {
  size_t n = (size_t) BEAM__HDR_SIZE(box[0]);
  if (n > BEAM__MAP_FLAT_MAX) {
    size_t distinct;
    beam_term_t m = beam__trie_from_pairs(box + 1, box + 1 + n, n, &distinct);
    if (beam_is_error(m))
      return beam_term_error(m);
    if (distinct != n)
      return BEAM_EBADARG;
    *slot = m.raw;
    return 0;
  }
  uint64_t *k = box + 1, *v = box + 1 + n;
  int sorted = 1;
  for (size_t i = 1; i < n && sorted; i++)
    sorted = beam__cmp_exact(beam__mk(k[i - 1]), beam__mk(k[i])) < 0;
  if (sorted)
    return 0;
  for (size_t i = n / 2; i-- > 0;)
    sift_down(k, v, i, n);
  for (size_t end = n; end-- > 1;) {
    swap_pair(k, v, 0, end);
    sift_down(k, v, 0, end);
  }
  for (size_t i = 1; i < n; i++)
    if (beam__cmp_exact(beam__mk(k[i - 1]), beam__mk(k[i])) == 0)
      return BEAM_EBADARG;
  return 0;
}

/* The slot the next child of the top frame goes to. The last slot of a
** tuple or list (its tail) pops the frame: nothing is left to do there. */
static uint64_t *next_slot(fstack_t *st) {
  frame_t *f = &st->s.f[st->s.sp - 1];
  size_t i = f->i++;
  switch (f->kind) {
  case F_TUPLE:
    if (f->i == f->n)
      st->s.sp--;
    return &f->box[1 + i];
  case F_LIST:
    if (i < f->n)
      return &f->box[2 * i];
    st->s.sp--;
    return &f->box[2 * f->n - 1]; /* the tail */
  default: {
    size_t half = f->n / 2;
    return &f->box[1 + (i & 1 ? half : 0) + i / 2];
  }
  }
}

/* One term (no version byte) from 'd' into '*out'. */
static int read_term(rd_t *d, size_t max_depth, uint64_t *out) {
  fstack_t st;
  fs_init(&st, max_depth);
  uint64_t *dst = out;
  int rc;
  for (;;) {
    rc = get_term(d, dst, &st);
    if (rc == AGAIN)
      continue;
    if (rc < 0)
      break;
    /* Pick the next slot, finishing maps whose last value just arrived. */
    int more = 0;
    while (st.s.sp > 0 && !more) {
      frame_t *f = &st.s.f[st.s.sp - 1];
      if (f->kind == F_MAP && f->i == f->n) {
        rc = map_finish(f->box, (uint64_t *) (uintptr_t) f->rest);
        st.s.sp--;
        if (rc < 0)
          break;
      } else {
        dst = next_slot(&st);
        more = 1;
      }
    }
    if (!more)
      break;
  }
  fs_fini(&st);
  return rc;
}

/* Inflate the body of a compressed term: 'z' holds the 4-byte size and
** the zlib stream. On success '*body' is a malloc()ed block of '*blen'
** bytes and '*zused' the compressed bytes the stream took. */
static int inflate_body(const unsigned char *z, size_t zlen, size_t max,
                        unsigned char **body, size_t *blen, size_t *zused) {
  if (zlen < 4)
    return BEAM_EBADARG;
  size_t ulen =
      (size_t) z[0] << 24 | (size_t) z[1] << 16 | (size_t) z[2] << 8 | z[3];
  z += 4, zlen -= 4;
  /* Deflate cannot expand more than ~1032:1, so a bigger claim is a lie:
  ** refuse it before allocating anything. */
  if (ulen == 0 || ulen > max || ulen / ZLIB_MAX_RATIO > zlen)
    return BEAM_EBADARG;
  unsigned char *out = beam__malloc(ulen);
  if (out == NULL)
    return BEAM_ENOMEM;
  z_stream s;
  memset(&s, 0, sizeof s);
  if (inflateInit(&s) != Z_OK) {
    beam__free(out);
    return BEAM_ENOMEM;
  }
  s.next_in = (Bytef *) (uintptr_t) z;
  s.avail_in = (uInt) BEAM_MIN(zlen, (size_t) UINT32_MAX);
  s.next_out = out;
  s.avail_out = (uInt) ulen;
  /* One call: the output buffer is exactly the claimed size, so the
  ** stream must end precisely when it is full. */
  int zr = inflate(&s, Z_FINISH);
  size_t got = ulen - s.avail_out, took = zlen - s.avail_in;
  inflateEnd(&s);
  if (zr != Z_STREAM_END || got != ulen) {
    beam__free(out);
    return zr == Z_MEM_ERROR ? BEAM_ENOMEM : BEAM_EBADARG;
  }
  *body = out;
  *blen = ulen;
  *zused = 4 + took;
  return 0;
}

static int decode(const unsigned char *data, size_t len,
                  const beam_etf_opts_t *o, size_t *used, beam_term_t *out) {
  size_t depth = o->max_depth ? o->max_depth : BEAM_ETF_MAX_DEPTH;
  if (len < 2 || data[0] != VERSION_MAGIC)
    return BEAM_EBADARG;
  rd_t d = {data + 1, data + len, o->flags, beam__heap_current()};
  int rc;
  if (data[1] == COMPRESSED) {
    unsigned char *body;
    size_t blen, zused;
    rc = inflate_body(data + 2, len - 2,
                      o->max_inflate ? o->max_inflate : BEAM_ETF_MAX_INFLATE,
                      &body, &blen, &zused);
    if (rc < 0)
      return rc;
    rd_t b = {body, body + blen, o->flags, d.h};
    rc = read_term(&b, depth, &out->raw);
    if (rc == 0 && b.p != b.end)
      rc = BEAM_EBADARG; /* the inflated body is exactly one term */
    beam__free(body);
    d.p = data + 2 + zused;
  } else {
    rc = read_term(&d, depth, &out->raw);
  }
  if (rc < 0)
    return rc;
  if (used != NULL)
    *used = (size_t) (d.p - data);
  else if (d.p != d.end)
    return BEAM_EBADARG;
  return 0;
}

beam_term_t beam_etf_decode(const void *data, size_t len,
                            const beam_etf_opts_t *opts, size_t *used) {
  if (data == NULL && len > 0)
    return beam_error_term(BEAM_EINVAL);
  opts = opts_or_default(opts);
  beam_mark_t mark = beam_arena_mark();
  beam_term_t t;
  int rc = decode(data, len, opts, used, &t);
  if (rc < 0) {
    beam_arena_release(mark); /* nothing half-built stays behind */
    return beam_error_term(rc);
  }
  return t;
}

beam_term_t beam_binary_to_term(beam_term_t bin, const beam_etf_opts_t *opts) {
  if (beam_is_error(bin))
    return bin;
  if (!beam_is_binary(bin))
    return beam_error_term(BEAM_ETYPE);
  size_t len;
  const void *data = beam_binary_data(bin, &len);
  return beam_etf_decode(data, len, opts, NULL);
}
