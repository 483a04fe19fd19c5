/* SPDX-License-Identifier: MIT */
/*
** cmp.c: Erlang's term order, exact equality and hashing.
**
** Order (beam_compare): number < atom < reference < fun < port < pid <
** tuple < map < nil < list < bitstring; error terms (ours, not Erlang's)
** sort before everything. Within a type:
**  - numbers by value, across small, big and float. Erlang converts the
**    less precise operand (int -> float while |f| < 2^53, else float ->
**    int); both conversions are exact in those ranges, so its rule is the
**    same as comparing the mathematical values, which we do directly (no
**    conversion, no GMP allocation). Ties between an int and a float
**    compare 0: 1 == 1.0;
**  - atoms by name, code point by code point (UTF-8 byte order is code
**    point order);
**  - refs by node name, creation, then their words as a number; pids by
**    serial, ID, node name, creation (OTP 25's orders, checked against
**    erl; local ones are node 'nonode@nohost', creation 0, see term.h);
**  - tuples by arity, then element by element;
**  - maps by size, then keys in map-key order, then values in key order;
**  - lists element by element (a proper prefix is smaller; an improper
**    tail compares as a term); binaries bytewise, then by length.
**
** Exact order (beam__cmp_exact, Erlang's map-key order and the basis of
** =:=): the same, except that numbers of different types never tie: every
** integer sorts before every float, and -0.0 before 0.0 (OTP 27: 0.0 =/=
** -0.0). It returns 0 exactly for =:= terms, so it can key sorted maps.
**
** Hash (beam_hash): consistent with beam_equal. Immediates hash their word
** (atoms hash their index: stable within one run, not across runs), floats
** their bits, integers their unique representation, compound terms combine
** their parts in order. Mixing is MurmurHash2-64A for bytes and the
** MurmurHash3 64-bit finaliser for words (both public-domain designs by
** Austin Appleby, written here from their published descriptions):
** well-studied avalanche at ~1 multiply per 8 bytes, which matters because
** maps and the registry hash binaries. A Debian library (xxhash) would be a
** new dependency for ~40 lines of code.
**
** No recursion (walk.h): pending pairs (compare) and terms (hash) wait in
** an explicit stack, so a term nested a million deep costs heap, not C
** stack; ordinary terms (under 32 levels) allocate nothing. [any]
*/
#include "map.h"
#include "term.h"
#include "walk.h"

#include <math.h>

#include <gmp.h>

enum { R_ERROR = -1, R_NUMBER, R_ATOM, R_REF, R_FUN, R_PORT, R_PID, R_TUPLE,
       R_MAP, R_NIL, R_LIST, R_BINARY };

static int rank(beam_term_t t) {
  switch (beam_type(t)) {
  case BEAM_T_INT:
  case BEAM_T_FLOAT:
    return R_NUMBER;
  case BEAM_T_ATOM:
    return R_ATOM;
  case BEAM_T_REF:
    return R_REF;
  case BEAM_T_PID:
    return R_PID;
  case BEAM_T_TUPLE:
    return R_TUPLE;
  case BEAM_T_MAP:
    return R_MAP;
  case BEAM_T_NIL:
    return R_NIL;
  case BEAM_T_LIST:
    return R_LIST;
  case BEAM_T_BINARY:
    return R_BINARY;
  default:
    return R_ERROR;
  }
}

#define SIGN(x) ((x) < 0 ? -1 : (x) > 0)

static int cmp_u64(uint64_t a, uint64_t b) {
  return a < b ? -1 : a > b;
}

/* ---- Numbers ---- */

static int64_t small_val(beam_term_t t) {
  return (int64_t) t.raw >> 3;
}

/* Integer 'a' (small or big) against finite double 'f', exactly. */
static int int_vs_float(beam_term_t a, double f) {
  if (beam__tag(a) == BEAM__TAG_SMALL) {
    int64_t i = small_val(a);
    if (f >= 0x1p63)
      return -1;
    if (f < -0x1p63)
      return 1;
    int64_t t = (int64_t) f; /* truncates toward zero, exact here */
    if (i != t)
      return i < t ? -1 : 1;
    double frac = f - (double) t; /* exact: |f| < 2^63 and t = trunc(f) */
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
  }
  mpz_t z;
  mpz_roinit_n(z, (const mp_limb_t *) beam__big_limbs(a),
               beam__big_neg(a) ? -(mp_size_t) beam__big_nlimbs(a)
                                : (mp_size_t) beam__big_nlimbs(a));
  int c = mpz_cmp_d(z, f); /* exact, no allocation */
  return SIGN(c);
}

static int cmp_ints(beam_term_t a, beam_term_t b) {
  int as = beam__tag(a) == BEAM__TAG_SMALL, bs = beam__tag(b) == BEAM__TAG_SMALL;
  if (as && bs) {
    int64_t x = small_val(a), y = small_val(b);
    return x < y ? -1 : x > y;
  }
  if (as) /* |big| > any small */
    return beam__big_neg(b) ? 1 : -1;
  if (bs)
    return beam__big_neg(a) ? -1 : 1;
  int na = beam__big_neg(a), nb = beam__big_neg(b);
  if (na != nb)
    return na ? -1 : 1;
  size_t la = beam__big_nlimbs(a), lb = beam__big_nlimbs(b);
  int c = la != lb ? (la < lb ? -1 : 1)
                   : SIGN(mpn_cmp((const mp_limb_t *) beam__big_limbs(a),
                                  (const mp_limb_t *) beam__big_limbs(b),
                                  (mp_size_t) la));
  return na ? -c : c;
}

static int cmp_numbers(beam_term_t a, beam_term_t b, int exact) {
  int fa = beam__is_box_of(a, BEAM__SUB_FLOAT),
      fb = beam__is_box_of(b, BEAM__SUB_FLOAT);
  if (!fa && !fb)
    return cmp_ints(a, b);
  if (fa && fb) {
    double x = beam__float_val(a), y = beam__float_val(b);
    if (x < y)
      return -1;
    if (x > y)
      return 1;
    if (!exact)
      return 0;
    return signbit(x) == signbit(y) ? 0 : signbit(x) ? -1 : 1;
  }
  if (exact)
    return fa ? 1 : -1; /* map-key order: integers before floats */
  return fa ? -int_vs_float(b, beam__float_val(a))
            : int_vs_float(a, beam__float_val(b));
}

/* ---- Everything ---- */

static int cmp_bytes(beam_term_t a, beam_term_t b) {
  size_t la, lb;
  const void *pa = beam_binary_data(a, &la), *pb = beam_binary_data(b, &lb);
  size_t n = la < lb ? la : lb;
  int c = n ? memcmp(pa, pb, n) : 0;
  if (c != 0)
    return SIGN(c);
  return cmp_u64(la, lb);
}

static int cmp_atoms(beam_term_t a, beam_term_t b) {
  if (a.raw == b.raw)
    return 0;
  int c = strcmp(beam_atom_name(a), beam_atom_name(b));
  return SIGN(c);
}

/* OTP 25's pid order: serial, then number (ID), then node name, then
** creation (checked against erl: a pid's node matters least). */
static int cmp_pids(beam_term_t a, beam_term_t b) {
  beam__pid_view_t x, y;
  beam__pid_view(a, &x);
  beam__pid_view(b, &y);
  if (x.serial != y.serial)
    return cmp_u64(x.serial, y.serial);
  if (x.id != y.id)
    return cmp_u64(x.id, y.id);
  int c = cmp_atoms(x.node, y.node);
  if (c != 0)
    return c;
  return cmp_u64(x.creation, y.creation);
}

/* Words of a ref without its trailing zero words (Erlang compares
** #Ref<..> words as a number: extra high zero words do not count). */
static unsigned ref_len(const beam__ref_view_t *v) {
  unsigned n = v->n;
  while (n > 1 && v->w[n - 1] == 0)
    n--;
  return n;
}

/* OTP's ref order: node name, creation, then the words as a number. */
static int cmp_refs(beam_term_t a, beam_term_t b) {
  if (BEAM__HDR_SIZE(beam__box_hdr(a)) == 0 &&
      BEAM__HDR_SIZE(beam__box_hdr(b)) == 0)
    return cmp_u64(beam__box_ptr(a)[1], beam__box_ptr(b)[1]); /* local */
  beam__ref_view_t x, y;
  beam__ref_view(a, &x);
  beam__ref_view(b, &y);
  int c = cmp_atoms(x.node, y.node);
  if (c != 0)
    return c;
  if (x.creation != y.creation)
    return cmp_u64(x.creation, y.creation);
  unsigned n = ref_len(&x), m = ref_len(&y);
  if (n != m)
    return n < m ? -1 : 1;
  for (unsigned i = n; i-- > 0;)
    if (x.w[i] != y.w[i])
      return cmp_u64(x.w[i], y.w[i]);
  return 0;
}

/* Pending pairs of a comparison: 'n' elements from 'p' and 'q', compared
** in map-key order when 'exact'. */
typedef struct pairs {
  const uint64_t *p, *q;
  size_t n;
  int exact;
} pairs_t;
BEAM__WALK_STACK(pairstack, pairs_t)

/* Non-container terms of the same rank (or containers whose words are
** equal: not reached). */
static int cmp_leaf(int r, beam_term_t a, beam_term_t b, int exact) {
  switch (r) {
  case R_NUMBER:
    return cmp_numbers(a, b, exact);
  case R_ATOM:
    return cmp_atoms(a, b);
  case R_REF:
    return cmp_refs(a, b);
  case R_PID:
    return cmp_pids(a, b);
  case R_BINARY:
    return cmp_bytes(a, b);
  default: /* errors, nil, and words no type names */
    return cmp_u64(a.raw, b.raw);
  }
}

/* Sorted pairs of trie maps, freed when the comparison ends. */
typedef struct sorted {
  beam_term_t map;
  const uint64_t *keys;
} sorted_t;
BEAM__WALK_STACK_N(sortedstack, sorted_t, 4)

typedef struct cmpstate {
  pairstack_t s;
  sortedstack_t sorted;
} cmpstate_t;

/* A map's keys then values in map-key order (term.h): in place for a flat
** map, sorted out of a trie into memory the comparison keeps. */
static const uint64_t *map_pairs(cmpstate_t *st, beam_term_t m, size_t *n) {
  const uint64_t *keys, *vals;
  if (beam__map_pairs(m, &keys, &vals, n) != 0)
    BEAM_PANIC("out of memory comparing maps of %zu keys",
               beam_map_size(m));
  if (beam__is_trie(m))
    *sortedstack_push_nofail(&st->sorted) = (sorted_t){m, keys};
  return keys; /* the values follow at keys + n */
}

/* Maps by size, then keys in map-key order, then values in key order. */
static int cmp_open_map(cmpstate_t *st, beam_term_t *a, beam_term_t *b,
                        int *exact) {
  size_t n = beam_map_size(*a), m = beam_map_size(*b);
  if (n != m)
    return n < m ? -1 : 1;
  if (n == 0)
    return 2;
  const uint64_t *p = map_pairs(st, *a, &n), *q = map_pairs(st, *b, &m);
  *pairstack_push_nofail(&st->s) = (pairs_t){p + n, q + n, n, *exact};
  if (n > 1)
    *pairstack_push_nofail(&st->s) = (pairs_t){p + 1, q + 1, n - 1, 1};
  *exact = 1; /* keys: always in map-key order */
  *a = beam__mk(p[0]);
  *b = beam__mk(q[0]);
  return 0;
}

/* Containers: 0 and their elements pushed (the first pair in '*a', '*b')
** when the shapes agree, else the answer. Lists push only their tails. */
static int cmp_open(cmpstate_t *st, int r, beam_term_t *a, beam_term_t *b,
                    int *exact) {
  pairstack_t *s = &st->s;
  const uint64_t *p, *q;
  if (r == R_LIST) {
    p = beam__list_ptr(*a), q = beam__list_ptr(*b);
    *pairstack_push_nofail(s) = (pairs_t){p + 1, q + 1, 1, *exact};
    *a = beam__mk(p[0]);
    *b = beam__mk(q[0]);
    return 0;
  }
  if (r == R_MAP)
    return cmp_open_map(st, a, b, exact);
  p = beam__box_ptr(*a), q = beam__box_ptr(*b);
  size_t n = (size_t) BEAM__HDR_SIZE(p[0]), m = (size_t) BEAM__HDR_SIZE(q[0]);
  if (n != m)
    return n < m ? -1 : 1;
  if (n == 0)
    return 2; /* equal, nothing inside */
  if (n > 1) {
    *pairstack_push_nofail(s) = (pairs_t){p + 2, q + 2, n - 1, *exact};
  }
  *a = beam__mk(p[1]);
  *b = beam__mk(q[1]);
  return 0;
}

/* The next pair that differs in its words, or 0 when the walk is over. */
static int cmp_next(pairstack_t *s, beam_term_t *a, beam_term_t *b,
                    int *exact) {
  while (s->sp > 0) {
    pairs_t *top = &s->f[s->sp - 1];
    *a = beam__mk(*top->p++);
    *b = beam__mk(*top->q++);
    *exact = top->exact;
    if (--top->n == 0)
      s->sp--;
    if (a->raw != b->raw)
      return 1;
  }
  return 0;
}

static int cmp(beam_term_t a, beam_term_t b, int exact) {
  if (a.raw == b.raw)
    return 0;
  cmpstate_t st;
  pairstack_init(&st.s);
  sortedstack_init(&st.sorted);
  int c = 0;
  for (;;) {
    int ra = rank(a), rb = rank(b);
    if (ra != rb) {
      c = ra < rb ? -1 : 1;
      break;
    }
    if (ra == R_LIST || ra == R_TUPLE || ra == R_MAP) {
      c = cmp_open(&st, ra, &a, &b, &exact);
      if (c == 2)
        c = 0;
      else if (c != 0)
        break;
      else if (a.raw != b.raw)
        continue;
    } else if ((c = cmp_leaf(ra, a, b, exact)) != 0) {
      break;
    }
    if (!cmp_next(&st.s, &a, &b, &exact))
      break;
  }
  pairstack_fini(&st.s);
  for (size_t i = 0; i < st.sorted.sp; i++)
    beam__map_pairs_free(st.sorted.f[i].map, st.sorted.f[i].keys);
  sortedstack_fini(&st.sorted);
  return c;
}

int beam_compare(beam_term_t a, beam_term_t b) {
  return cmp(a, b, 0);
}

int beam__cmp_exact(beam_term_t a, beam_term_t b) {
  return cmp(a, b, 1);
}

int beam_equal(beam_term_t a, beam_term_t b) {
  if (a.raw == b.raw)
    return 1;
  /* Two different immediates are never equal: skip the general walk. */
  if (beam__is_immediate(a) || beam__is_immediate(b))
    return 0;
  return cmp(a, b, 1) == 0;
}

/* ---- Hashing ---- */

static uint64_t fmix64(uint64_t x) {
  x ^= x >> 33;
  x *= UINT64_C(0xff51afd7ed558ccd);
  x ^= x >> 33;
  x *= UINT64_C(0xc4ceb9fe1a85ec53);
  x ^= x >> 33;
  return x;
}

uint64_t beam__hash_bytes(const void *data, size_t len, uint64_t seed) {
  const uint64_t m = UINT64_C(0xc6a4a7935bd1e995);
  const int r = 47;
  const unsigned char *p = data;
  uint64_t h = seed ^ (len * m);
  for (; len >= 8; len -= 8, p += 8) {
    uint64_t k;
    memcpy(&k, p, 8);
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  if (len > 0) {
    uint64_t k = 0;
    for (size_t i = 0; i < len; i++)
      k |= (uint64_t) p[i] << (8 * i);
    h ^= k;
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

/* Order-dependent accumulation; the result is finalised by fmix64. */
static uint64_t step(uint64_t h, uint64_t x) {
  h ^= x + UINT64_C(0x9e3779b97f4a7c15) + (h << 6) + (h >> 2);
  return h;
}

/* Pending terms of a hash walk: 'n' from 'p'. */
typedef struct terms {
  const uint64_t *p;
  size_t n;
} terms_t;
BEAM__WALK_STACK(termstack, terms_t)

/* A term that holds no others. */
static uint64_t hash_leaf(beam_term_t t, const uint64_t *p, uint64_t h) {
  size_t n = (size_t) BEAM__HDR_SIZE(p[0]);
  switch (BEAM__HDR_SUB(p[0])) {
  case BEAM__SUB_FLOAT:
    return step(h, fmix64(p[1] ^ UINT64_C(0xf10a7)));
  case BEAM__SUB_BIGINT:
    return step(h, beam__hash_bytes(p + 1, (n + 1) * 8, 0xb16));
  case BEAM__SUB_HEAPBIN:
  case BEAM__SUB_REFBIN: {
    size_t len;
    const void *d = beam_binary_data(t, &len);
    return step(h, beam__hash_bytes(d, len, 0xb1));
  }
  case BEAM__SUB_REF: {
    /* Through the view: a local ref equals an extended one with the same
    ** words plus trailing zero words. */
    beam__ref_view_t v;
    beam__ref_view(t, &v);
    uint64_t x = step(fmix64(v.node.raw), v.creation);
    for (unsigned i = 0; i < ref_len(&v); i++)
      x = step(x, v.w[i]);
    return step(h, fmix64(x));
  }
  case BEAM__SUB_EXTPID:
    return step(h, beam__hash_bytes(p + 1, 4 * 8, 0x91d));
  default:
    return step(h, fmix64(t.raw));
  }
}

/* Pre-order, as a recursive walk would go: a list cell mixes a marker,
** then its head, then its tail; a tuple or map its header, then its
** elements in order. */
static uint64_t hash(beam_term_t t) {
  termstack_t s;
  termstack_init(&s);
  uint64_t h = 0;
  for (;;) {
    if (beam__is_immediate(t) || t.raw == 0) {
      h = step(h, fmix64(t.raw));
    } else if (beam__tag(t) == BEAM__TAG_LIST) {
      const uint64_t *c = beam__list_ptr(t);
      h = step(h, 0x4c);
      *termstack_push_nofail(&s) = (terms_t){c + 1, 1};
      t = beam__mk(c[0]);
      continue;
    } else {
      const uint64_t *p = beam__box_ptr(t);
      unsigned sub = BEAM__HDR_SUB(p[0]);
      if (sub == BEAM__SUB_TUPLE || sub == BEAM__SUB_MAP ||
          sub == BEAM__SUB_HMAP || sub == BEAM__SUB_HNODE ||
          sub == BEAM__SUB_HCOLL) {
        /* A trie hashes its nodes: equal maps have equal tries (map.h). */
        size_t first, elems;
        beam__box_layout(p, &first, &elems);
        for (size_t i = 0; i < first; i++)
          h = step(h, fmix64(p[i]));
        if (elems > 0)
          *termstack_push_nofail(&s) = (terms_t){p + first, elems};
      } else {
        h = hash_leaf(t, p, h);
      }
    }
    if (s.sp == 0)
      break;
    terms_t *top = &s.f[s.sp - 1];
    t = beam__mk(*top->p++);
    if (--top->n == 0)
      s.sp--;
  }
  termstack_fini(&s);
  return h;
}

uint64_t beam_hash(beam_term_t t) {
  return fmix64(hash(t));
}
