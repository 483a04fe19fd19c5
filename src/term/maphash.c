/* SPDX-License-Identifier: MIT */
/*
** maphash.c: the hash that places keys in large maps, OTP 25's.
**
** Why OTP's and not beam_hash. A map of more than 32 keys is a hash trie
** (map.c), and term_to_binary writes its pairs in trie order. OTP 25's
** order is a function of its internal map hash alone, not of the trie's
** shape or history: depth first, at every node the highest slot first,
** 4 bits per level, lowest nibble first. So a trie indexed by the same
** hash, walked the same way, writes the same bytes as erl, and the ETF of
** a large map is byte-identical to OTP 25's (tests/diff/). The function is
** written here from a description of OTP 25.2.3's make_internal_hash
** (Bob Jenkins' lookup2 mixing, one running 32-bit state updated in
** depth-first order over the term) and checked against erl's output.
** Generation g >= 1, used below trie level 8g, hashes with a salt
** derived from g.
**
** Where cbeam cannot follow OTP. OTP hashes an atom by its index in the
** node's atom table, which differs between runs of erl itself; cbeam
** hashes its name, so maps with atom keys keep a stable order of their
** own (still valid ETF, which erl decodes to the same map). A pid or ref
** of another node hashes its view's numbers (OTP hashes an address). 0.0
** and -0.0 are different keys in cbeam (OTP 27's rule) but hash alike, as
** in OTP 25; map.c gives such keys a collision node.
**
** No recursion (walk.h); no allocation for ordinary keys. [any, nofail]
*/
#include "map.h"
#include "walk.h"

#define GOLDEN UINT32_C(0x9e3779b9)
#define HC(k)  ((uint32_t) (GOLDEN * (uint32_t) (k)))
#define SALT0  UINT32_C(0xcc9e2d51)

/* ---- lookup2 ---- */

#define MIX(a, b, c)                                                           \
  do {                                                                         \
    a -= b; a -= c; a ^= c >> 13;                                              \
    b -= c; b -= a; b ^= a << 8;                                               \
    c -= a; c -= b; c ^= b >> 13;                                              \
    a -= b; a -= c; a ^= c >> 12;                                              \
    b -= c; b -= a; b ^= a << 16;                                              \
    c -= a; c -= b; c ^= b >> 5;                                               \
    a -= b; a -= c; a ^= c >> 3;                                               \
    b -= c; b -= a; b ^= a << 10;                                              \
    c -= a; c -= b; c ^= b >> 15;                                              \
  } while (0)

static uint32_t step2(uint32_t h, uint32_t x, uint32_t y, uint32_t k) {
  uint32_t a = k + x, b = k + y, c = h;
  MIX(a, b, c);
  return c;
}

static uint32_t step1(uint32_t h, uint32_t x, uint32_t k) {
  return step2(h, x, 0, k);
}

static uint32_t mark(uint32_t h, uint32_t k) {
  h ^= k;
  return (h << 17) | (h >> 15);
}

static uint32_t le32(const unsigned char *p) {
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
         (uint32_t) p[3] << 24;
}

static uint32_t block_hash(const unsigned char *p, size_t n, uint32_t init) {
  uint32_t a = GOLDEN, b = GOLDEN, c = init;
  size_t left = n;
  for (; left >= 12; left -= 12, p += 12) {
    a += le32(p);
    b += le32(p + 4);
    c += le32(p + 8);
    MIX(a, b, c);
  }
  c += (uint32_t) n;
  switch (left) { /* the low byte of c holds the length */
  case 11: c += (uint32_t) p[10] << 24; /* fall through */
  case 10: c += (uint32_t) p[9] << 16;  /* fall through */
  case 9: c += (uint32_t) p[8] << 8;    /* fall through */
  case 8: b += (uint32_t) p[7] << 24;   /* fall through */
  case 7: b += (uint32_t) p[6] << 16;   /* fall through */
  case 6: b += (uint32_t) p[5] << 8;    /* fall through */
  case 5: b += p[4];                    /* fall through */
  case 4: a += (uint32_t) p[3] << 24;   /* fall through */
  case 3: a += (uint32_t) p[2] << 16;   /* fall through */
  case 2: a += (uint32_t) p[1] << 8;    /* fall through */
  case 1: a += p[0];                    /* fall through */
  default: break;
  }
  MIX(a, b, c);
  return c;
}

/* ---- Immediates: the 64-bit words OTP hashes ---- */

static uint32_t word(uint32_t h, uint64_t w) {
  return step2(h, (uint32_t) w, (uint32_t) (w >> 32), GOLDEN);
}

static uint64_t atom_word(beam_term_t a) {
  const char *s = beam_atom_name(a);
  uint64_t name = beam__hash_bytes(s, strlen(s), 0x61746f6d) & 0x3ffffff;
  return name << 6 | 0x0B;
}

/* A local pid as OTP 25 keeps <0.num.ser> under its default process
** limit (262,144): the table slot 'pix' scrambles 'data' by cache line. */
static uint64_t pid_word(beam_term_t p) {
  beam__pid_view_t v;
  beam__pid_view(p, &v);
  uint64_t data = ((uint64_t) (v.serial & 0x1fff) << 15) | (v.id & 0x7fff);
  uint64_t pix = ((data & 0x7fff) << 3) | ((data >> 15) & 7);
  return pix << 32 | data << 4 | 0x3;
}

/* ---- The walk ---- */

/* Pending work: a run of terms (tuple elements), a flat map's pairs, a
** trie's pairs (map.c's iterator), or the rest of a list after a head that
** was not a byte. */
enum { W_TERMS, W_FLAT, W_TRIE, W_LIST_AFTER };
typedef struct work {
  unsigned kind, phase;
  const uint64_t *p; /* terms / flat map box / list cell */
  size_t i, n;       /* W_TRIE: i the pending value, n its iterator */
} work_t;
BEAM__WALK_STACK(workstack, work_t)
/* Iterators of large maps nested in the key, innermost last (a frame
** names its iterator by index: the stack may move as it grows). */
BEAM__WALK_STACK_N(iterstack, beam__trie_iter_t, 1)

typedef struct hasher {
  uint32_t h;
  workstack_t s;
  iterstack_t its;
} hasher_t;

/* A list from cell 'l' on: runs of byte heads pack four to a step. Sets
** '*next' to the term to hash after the run: the list's tail, or a head
** that is not a byte (the rest of the list is then pushed). */
static void hash_list(hasher_t *x, beam_term_t l, beam_term_t *next) {
  for (;;) {
    uint32_t sh = 0, c = 0;
    while (beam__tag(l) == BEAM__TAG_LIST) {
      const uint64_t *cell = beam__list_ptr(l);
      beam_term_t hd = beam__mk(cell[0]);
      if (beam__tag(hd) != BEAM__TAG_SMALL || (hd.raw >> 3) > 255)
        break; /* (a negative small is huge here) */
      sh = (sh << 8) + (uint32_t) (hd.raw >> 3);
      if (c == 3) {
        x->h = step1(x->h, sh, HC(4));
        sh = c = 0;
      } else {
        c++;
      }
      l = beam__mk(cell[1]);
    }
    if (c > 0)
      x->h = step2(x->h, sh, c, HC(22));
    if (beam__tag(l) != BEAM__TAG_LIST) {
      *next = l; /* the tail, with no mark */
      return;
    }
    const uint64_t *cell = beam__list_ptr(l);
    x->h = mark(x->h, HC(17));
    work_t *w = workstack_push_nofail(&x->s);
    *w = (work_t){W_LIST_AFTER, 0, cell, 0, 0};
    *next = beam__mk(cell[0]);
    return;
  }
}

/* Hash one term that is not a list; push what it contains. */
static void hash_one(hasher_t *x, beam_term_t t) {
  switch (beam__tag(t)) {
  case BEAM__TAG_SMALL: {
    /* OTP's smalls are 60 bits (-2^59 .. 2^59-1), one bit short of ours:
    ** the rest hash as the one-limb big integers they are there. */
    int64_t v = (int64_t) t.raw >> 3;
    if (v >= -(INT64_C(1) << 59) && v < (INT64_C(1) << 59)) {
      x->h = word(x->h, ((uint64_t) v << 4) | 0xF);
    } else {
      uint64_t mag = v < 0 ? -(uint64_t) v : (uint64_t) v;
      x->h = step2(x->h, (uint32_t) mag, (uint32_t) (mag >> 32),
                   v < 0 ? HC(10) : HC(11));
    }
    return;
  }
  case BEAM__TAG_ATOM:
    x->h = word(x->h, atom_word(t));
    return;
  case BEAM__TAG_PID:
    x->h = word(x->h, pid_word(t));
    return;
  case BEAM__TAG_SPEC: /* [] */
    x->h = word(x->h, 0x3B);
    return;
  case BEAM__TAG_BOXED:
    break;
  default: /* not a term: anything stable */
    x->h = word(x->h, t.raw);
    return;
  }
  const uint64_t *p = beam__box_ptr(t);
  size_t n = (size_t) BEAM__HDR_SIZE(p[0]);
  switch (BEAM__HDR_SUB(p[0])) {
  case BEAM__SUB_TUPLE:
    x->h = step1(x->h, (uint32_t) n, HC(9));
    if (n > 0)
      *workstack_push_nofail(&x->s) = (work_t){W_TERMS, 0, p + 1, 0, n};
    return;
  case BEAM__SUB_MAP:
    x->h = step1(x->h, (uint32_t) n, HC(16));
    if (n > 0)
      *workstack_push_nofail(&x->s) = (work_t){W_FLAT, 0, p, 0, n};
    return;
  case BEAM__SUB_HMAP: {
    x->h = step1(x->h, (uint32_t) beam__trie_size(t), HC(16));
    size_t at = x->its.sp;
    beam__trie_iter_init(iterstack_push_nofail(&x->its), t);
    *workstack_push_nofail(&x->s) = (work_t){W_TRIE, 0, NULL, 0, at};
    return;
  }
  case BEAM__SUB_BIGINT: {
    uint32_t k = beam__big_neg(t) ? HC(10) : HC(11);
    const uint64_t *limb = beam__big_limbs(t);
    for (size_t i = 0; i < n; i++)
      x->h = step2(x->h, (uint32_t) limb[i], (uint32_t) (limb[i] >> 32), k);
    return;
  }
  case BEAM__SUB_FLOAT: {
    double d = beam__float_val(t);
    uint64_t bits;
    if (d == 0)
      d = 0.0; /* -0.0 hashes as 0.0 */
    memcpy(&bits, &d, 8);
    x->h = step2(x->h, (uint32_t) bits, (uint32_t) (bits >> 32), HC(12));
    return;
  }
  case BEAM__SUB_HEAPBIN:
  case BEAM__SUB_REFBIN: {
    size_t len;
    const unsigned char *d = beam_binary_data(t, &len);
    uint32_t con = HC(13) + x->h;
    x->h = len == 0 ? con : block_hash(d, len, con);
    return;
  }
  case BEAM__SUB_REF: {
    beam__ref_view_t v;
    beam__ref_view(t, &v);
    uint32_t w[3] = {0, 0, 0};
    for (unsigned i = 0; i < v.n && i < 3; i++)
      w[i] = v.w[i];
    x->h = step1(x->h, w[0], HC(7));
    x->h = step2(x->h, w[1], w[2], HC(8));
    if (v.node.raw != beam__am_nonode.raw || v.creation != 0 || v.n > 3)
      x->h = word(x->h, atom_word(v.node) ^ v.creation); /* not OTP's */
    return;
  }
  case BEAM__SUB_EXTPID: {
    beam__pid_view_t v;
    beam__pid_view(t, &v);
    x->h = step2(x->h, v.id, v.serial, GOLDEN);
    x->h = word(x->h, atom_word(v.node) ^ v.creation); /* not OTP's */
    return;
  }
  default:
    x->h = word(x->h, p[0]);
    return;
  }
}

/* The next term the walk must hash, or false when it is over. */
static bool next_term(hasher_t *x, beam_term_t *t) {
  while (x->s.sp > 0) {
    work_t *w = &x->s.f[x->s.sp - 1];
    switch (w->kind) {
    case W_TERMS:
      *t = beam__mk(w->p[w->i++]);
      if (w->i == w->n)
        x->s.sp--;
      return true;
    case W_FLAT: /* k0 v0 k1 v1 ... in the box's key order */
      *t = beam__mk(w->p[1 + (w->phase ? w->n : 0) + w->i]);
      if (w->phase) {
        w->phase = 0;
        if (++w->i == w->n)
          x->s.sp--;
      } else {
        w->phase = 1;
      }
      return true;
    case W_TRIE: {
      if (w->phase) { /* the value of the pair whose key came last */
        w->phase = 0;
        *t = beam__mk(w->i);
        return true;
      }
      beam_term_t k, v;
      if (beam__trie_next(&x->its.f[w->n], &k, &v)) {
        w->phase = 1;
        w->i = v.raw;
        *t = k;
        return true;
      }
      x->its.sp--; /* the innermost: frames nest */
      x->s.sp--;
      continue;
    }
    default: { /* W_LIST_AFTER: the head of cell 'p' has been hashed */
      beam_term_t tail = beam__mk(w->p[1]);
      x->s.sp--;
      if (beam__tag(tail) == BEAM__TAG_LIST) {
        hash_list(x, tail, t);
        return true;
      }
      x->h = mark(x->h, HC(18));
      *t = tail;
      return true;
    }
    }
  }
  return false;
}

static uint32_t generation_salt(unsigned g) {
  return g == 0 ? 0 : step2(0, g, 1, HC(22));
}

uint32_t beam__map_hash(beam_term_t key, unsigned generation) {
  hasher_t x;
  x.h = generation_salt(generation) ^ SALT0;
  workstack_init(&x.s);
  iterstack_init(&x.its);
  beam_term_t t = key;
  for (;;) {
    if (beam__tag(t) == BEAM__TAG_LIST) {
      hash_list(&x, t, &t); /* 't' is now the term after the run */
      continue;
    }
    hash_one(&x, t);
    if (!next_term(&x, &t))
      break;
  }
  workstack_fini(&x.s);
  iterstack_fini(&x.its);
  return x.h;
}
