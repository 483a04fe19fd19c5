/* SPDX-License-Identifier: MIT */
/*
** map.c: persistent maps, flat up to 32 keys and hash tries above (the
** layout and its invariants are in map.h).
**
** Why a trie. Maps are immutable, so a put returns a new map. A flat map
** copies all its keys and values per put, which is right for small maps
** (a few cache lines, binary search, no hashing) and ruinous for a
** 100,000-key state. A trie copies only the path from the root to the
** changed slot: at most 8 nodes of at most 16 entries for any size a
** machine holds (2^32 keys fill 8 levels), so put, get and remove are
** O(log n) and the untouched subtrees are shared between the old map and
** the new one.
**
** Why CHAMP's layout and OTP's hash. Pairs live inline in their node
** (no cell per key) and the node's two bitmaps tell pairs from children,
** so a node is one allocation and a lookup touches one line per level.
** The hash is OTP 25's, 4 bits a level with its generations: then
** visiting each node's slots from 15 down to 0 lists the pairs in exactly
** OTP's order, which is what ETF must write (map.h). The trie is
** canonical (map.h), so two equal maps have the same tree and the same
** iteration order, which keeps hashing and equality simple.
**
** Collisions. Keys whose hashes agree in both 32-bit generations reach
** level 16 together and share a collision node, kept sorted. Only keys
** OTP treats as one can do that in practice (0.0 and -0.0, distinct keys
** in cbeam), but the structure is total.
**
** Allocation: every node is built whole on the current heap; a failed
** allocation returns BEAM_ENOMEM and leaves the old map as it was.
*/
#include "map.h"
#include "heap.h"

/* ---- Layout ---- */

size_t beam__box_layout(const uint64_t *p, size_t *first, size_t *n) {
  size_t size = (size_t) BEAM__HDR_SIZE(p[0]);
  *first = 1;
  *n = 0;
  switch (BEAM__HDR_SUB(p[0])) {
  case BEAM__SUB_TUPLE: *n = size; return 1 + size;
  case BEAM__SUB_MAP: *n = 2 * size; return 1 + 2 * size;
  case BEAM__SUB_HMAP: *first = 3; *n = size; return 3 + size;
  case BEAM__SUB_HNODE: *first = 2; *n = size; return 2 + size;
  case BEAM__SUB_HCOLL: *n = size; return 1 + size;
  case BEAM__SUB_FLOAT: return 2;
  case BEAM__SUB_BIGINT: return 2 + size;
  case BEAM__SUB_HEAPBIN: return 1 + (size + 7) / 8;
  case BEAM__SUB_REFBIN: return 4;
  case BEAM__SUB_REF: return beam__ref_box_words(p[0]);
  case BEAM__SUB_EXTPID: return 5;
  default:
    BEAM_PANIC("bad header %#llx at %p", (unsigned long long) p[0],
               (const void *) p);
  }
}

static unsigned kind(const uint64_t *p) {
  return BEAM__HDR_SUB(p[0]);
}
static uint32_t datamap(const uint64_t *p) {
  return (uint32_t) p[1] & 0xffff;
}
static uint32_t nodemap(const uint64_t *p) {
  return ((uint32_t) p[1] >> 16) & 0xffff;
}
/* First term word: pairs, then children. */
static const uint64_t *terms(const uint64_t *p) {
  switch (kind(p)) {
  case BEAM__SUB_HMAP: return p + 3;
  case BEAM__SUB_HNODE: return p + 2;
  default: return p + 1; /* HCOLL */
  }
}
static size_t nterms(const uint64_t *p) {
  return (size_t) BEAM__HDR_SIZE(p[0]);
}
/* Bits set in a 16-bit map. Inline: without -mpopcnt (not every x86-64
** has the instruction) __builtin_popcount is a call into libgcc. */
static inline unsigned pop16(uint32_t x) {
  x = x - ((x >> 1) & 0x5555);
  x = (x & 0x3333) + ((x >> 2) & 0x3333);
  x = (x + (x >> 4)) & 0x0f0f;
  return (x + (x >> 8)) & 0x1f;
}
static unsigned rank_below(uint32_t map, uint32_t bit) {
  return pop16(map & (bit - 1));
}

/* ---- Hashes, one generation at a time ---- */

typedef struct khash {
  beam_term_t key;
  uint32_t h[BEAM__TRIE_MAX_LEVEL / 8];
  unsigned have; /* generations computed */
} khash_t;

static unsigned nibble(khash_t *k, unsigned level) {
  unsigned g = level / 8;
  while (k->have <= g) {
    k->h[k->have] = beam__map_hash(k->key, k->have);
    k->have++;
  }
  return (k->h[g] >> (4 * (level % 8))) & 15;
}

static int same_key(uint64_t a, beam_term_t b) {
  return a == b.raw || beam__cmp_exact(beam__mk(a), b) == 0;
}

/* ---- Building nodes ---- */

static uint64_t *alloc_words(size_t n) {
  return beam__heap_alloc(beam__heap_current(), n);
}

/* A node of kind 'k' with its header and raw words written and 'n' term
** words to fill at the pointer returned (NULL when out of memory). */
static uint64_t *node_alloc(unsigned k, uint32_t dm, uint32_t nm,
                            size_t count, size_t n, uint64_t **box) {
  size_t raw = k == BEAM__SUB_HMAP ? 2 : k == BEAM__SUB_HNODE ? 1 : 0;
  uint64_t *q = alloc_words(1 + raw + n);
  if (q == NULL)
    return NULL;
  q[0] = BEAM__HDR(k, n);
  if (raw >= 1)
    q[1] = (uint64_t) (dm | nm << 16);
  if (raw == 2)
    q[2] = count;
  *box = q;
  return q + 1 + raw;
}

/* A node of kind 'k' with 'pairs' (2 * np words) then 'kids' (nk). */
static beam_term_t node(unsigned k, uint32_t dm, uint32_t nm, size_t count,
                        const uint64_t *pairs, size_t np,
                        const uint64_t *kids, size_t nk) {
  uint64_t *q, *t = node_alloc(k, dm, nm, count, 2 * np + nk, &q);
  if (t == NULL)
    return beam_error_term(BEAM_ENOMEM);
  if (np > 0)
    memcpy(t, pairs, np * 16);
  if (nk > 0)
    memcpy(t + 2 * np, kids, nk * 8);
  return beam__mk((uint64_t) (uintptr_t) q);
}

/* A copy of node 'p' with its terms edited: pair 'drop_pair' removed
** (or -1), pair 'add_at' inserted before (or -1), child 'drop_kid' removed,
** child 'add_kid_at' inserted, at the bitmaps given. */
typedef struct edit {
  uint32_t dm, nm;
  size_t count;
  int drop_pair, add_pair_at;
  uint64_t add_k, add_v;
  int drop_kid, add_kid_at;
  uint64_t add_kid;
  int set_val; /* pair whose value becomes 'add_v' (or -1) */
  int set_kid; /* child that becomes 'add_kid' (or -1) */
} edit_t;

static edit_t no_edit(const uint64_t *p) {
  edit_t e = {datamap(p), nodemap(p), 0, -1, -1, 0, 0, -1, -1, 0, -1, -1};
  if (kind(p) == BEAM__SUB_HMAP)
    e.count = (size_t) p[2];
  return e;
}

static beam_term_t edited(const uint64_t *p, const edit_t *e) {
  unsigned k = kind(p);
  const uint64_t *t = terms(p);
  size_t np, nk;
  if (k == BEAM__SUB_HCOLL)
    np = nterms(p) / 2, nk = 0;
  else
    np = pop16(datamap(p)), nk = pop16(nodemap(p));
  size_t wp = np + (e->add_pair_at >= 0) - (e->drop_pair >= 0);
  size_t wk = nk + (e->add_kid_at >= 0) - (e->drop_kid >= 0);
  size_t n = 2 * wp + wk;
  uint64_t *q, *out = node_alloc(k, e->dm, e->nm, e->count, n, &q);
  if (out == NULL)
    return beam_error_term(BEAM_ENOMEM);
  uint64_t *start = out;
  /* pairs: copy runs around the one dropped or added */
  size_t i = 0;
  for (; i < np; i++) {
    if ((int) i == e->add_pair_at) {
      *out++ = e->add_k;
      *out++ = e->add_v;
    }
    if ((int) i == e->drop_pair)
      continue;
    *out++ = t[2 * i];
    *out++ = (int) i == e->set_val ? e->add_v : t[2 * i + 1];
  }
  if ((int) np == e->add_pair_at) {
    *out++ = e->add_k;
    *out++ = e->add_v;
  }
  const uint64_t *kids = t + 2 * np;
  for (i = 0; i < nk; i++) {
    if ((int) i == e->add_kid_at)
      *out++ = e->add_kid;
    if ((int) i == e->drop_kid)
      continue;
    *out++ = (int) i == e->set_kid ? e->add_kid : kids[i];
  }
  if ((int) nk == e->add_kid_at)
    *out++ = e->add_kid;
  beam_assert(out == start + n);
  return beam__mk((uint64_t) (uintptr_t) q);
}

/* ---- Lookup ---- */

int beam__trie_get(beam_term_t m, beam_term_t key, beam_term_t *value) {
  khash_t kh = {key, {0}, 0};
  const uint64_t *p = beam__box_ptr(m);
  for (unsigned level = 0;; level++) {
    const uint64_t *t = terms(p);
    if (kind(p) == BEAM__SUB_HCOLL) {
      for (size_t i = 0; i < nterms(p); i += 2)
        if (same_key(t[i], key)) {
          *value = beam__mk(t[i + 1]);
          return 1;
        }
      return 0;
    }
    uint32_t bit = 1u << nibble(&kh, level);
    if (datamap(p) & bit) {
      unsigned i = rank_below(datamap(p), bit);
      if (!same_key(t[2 * i], key))
        return 0;
      *value = beam__mk(t[2 * i + 1]);
      return 1;
    }
    if (!(nodemap(p) & bit))
      return 0;
    unsigned np = (unsigned) pop16(datamap(p));
    p = beam__box_ptr(beam__mk(t[2 * np + rank_below(nodemap(p), bit)]));
  }
}

/* ---- Insertion ---- */

/* A subtree holding two pairs whose keys differ, from 'level' down. */
static beam_term_t merge(unsigned level, khash_t *a, uint64_t av, khash_t *b,
                         uint64_t bv) {
  if (level == BEAM__TRIE_MAX_LEVEL) {
    bool a_first = beam__cmp_exact(a->key, b->key) < 0;
    uint64_t pairs[4] = {a_first ? a->key.raw : b->key.raw,
                         a_first ? av : bv, a_first ? b->key.raw : a->key.raw,
                         a_first ? bv : av};
    return node(BEAM__SUB_HCOLL, 0, 0, 0, pairs, 2, NULL, 0);
  }
  unsigned ia = nibble(a, level), ib = nibble(b, level);
  if (ia == ib) {
    beam_term_t kid = merge(level + 1, a, av, b, bv);
    if (beam_is_error(kid))
      return kid;
    return node(BEAM__SUB_HNODE, 0, 1u << ia, 0, NULL, 0, &kid.raw, 1);
  }
  uint64_t pairs[4];
  bool a_first = ia < ib;
  pairs[0] = a_first ? a->key.raw : b->key.raw;
  pairs[1] = a_first ? av : bv;
  pairs[2] = a_first ? b->key.raw : a->key.raw;
  pairs[3] = a_first ? bv : av;
  return node(BEAM__SUB_HNODE, (1u << ia) | (1u << ib), 0, 0, pairs, 2, NULL,
              0);
}

static beam_term_t insert_coll(const uint64_t *p, khash_t *kh, uint64_t v,
                               int *grew) {
  const uint64_t *t = terms(p);
  size_t n = nterms(p) / 2, at = n;
  edit_t e = no_edit(p);
  for (size_t i = 0; i < n; i++) {
    int c = beam__cmp_exact(beam__mk(t[2 * i]), kh->key);
    if (c == 0) {
      if (t[2 * i + 1] == v)
        return beam__mk((uint64_t) (uintptr_t) p);
      e.set_val = (int) i;
      e.add_v = v;
      return edited(p, &e);
    }
    if (c > 0 && at == n)
      at = i;
  }
  *grew = 1;
  e.add_pair_at = (int) at;
  e.add_k = kh->key.raw;
  e.add_v = v;
  return edited(p, &e);
}

/* The node at 'level' with 'key' => 'v' put in; '*grew' set if the key
** is new. The same node when nothing changes. */
static beam_term_t insert(const uint64_t *p, unsigned level, khash_t *kh,
                          uint64_t v, int *grew) {
  if (kind(p) == BEAM__SUB_HCOLL)
    return insert_coll(p, kh, v, grew);
  const uint64_t *t = terms(p);
  uint32_t dm = datamap(p), nm = nodemap(p), bit = 1u << nibble(kh, level);
  unsigned np = (unsigned) pop16(dm);
  edit_t e = no_edit(p);
  if (dm & bit) {
    unsigned i = rank_below(dm, bit);
    if (same_key(t[2 * i], kh->key)) {
      if (t[2 * i + 1] == v)
        return beam__mk((uint64_t) (uintptr_t) p);
      e.set_val = (int) i;
      e.add_v = v;
      return edited(p, &e);
    }
    khash_t old = {beam__mk(t[2 * i]), {0}, 0};
    beam_term_t kid = merge(level + 1, &old, t[2 * i + 1], kh, v);
    if (beam_is_error(kid))
      return kid;
    *grew = 1;
    e.dm = dm & ~bit;
    e.nm = nm | bit;
    e.drop_pair = (int) i;
    e.add_kid_at = (int) rank_below(nm, bit);
    e.add_kid = kid.raw;
    e.count += 1;
    return edited(p, &e);
  }
  if (nm & bit) {
    unsigned j = rank_below(nm, bit);
    const uint64_t *kidp = beam__box_ptr(beam__mk(t[2 * np + j]));
    beam_term_t kid = insert(kidp, level + 1, kh, v, grew);
    if (beam_is_error(kid) || kid.raw == t[2 * np + j])
      return beam_is_error(kid) ? kid : beam__mk((uint64_t) (uintptr_t) p);
    e.set_kid = (int) j;
    e.add_kid = kid.raw;
    e.count += (size_t) *grew;
    return edited(p, &e);
  }
  *grew = 1;
  e.dm = dm | bit;
  e.add_pair_at = (int) rank_below(dm, bit);
  e.add_k = kh->key.raw;
  e.add_v = v;
  e.count += 1;
  return edited(p, &e);
}

beam_term_t beam__trie_put(beam_term_t m, beam_term_t key, beam_term_t v) {
  khash_t kh = {key, {0}, 0};
  int grew = 0;
  return insert(beam__box_ptr(m), 0, &kh, v.raw, &grew);
}

/* ---- Building a trie from many pairs at once ----
** ETF decode and the 33rd key hand over all pairs together: sorting them
** by hash path and building each node once makes no garbage, where one
** put per pair would copy a path per pair. */

typedef struct item {
  uint64_t k, v;
  size_t order;    /* input position: later duplicates win */
  uint32_t h[2];   /* hashes, generation 1 on demand */
  bool have1;
} item_t;

/* A hash's nibbles in path order: level 0's is the most significant. */
static uint32_t path(uint32_t h) {
  uint32_t r = 0;
  for (int i = 0; i < 8; i++, h >>= 4)
    r = r << 4 | (h & 15);
  return r;
}

static uint32_t gen1(item_t *it) {
  if (!it->have1) {
    it->h[1] = path(beam__map_hash(beam__mk(it->k), 1));
    it->have1 = true;
  }
  return it->h[1];
}

/* Path order, then key order (collisions), then input order. */
static int by_path(const void *a, const void *b) {
  item_t *x = (item_t *) (uintptr_t) a, *y = (item_t *) (uintptr_t) b;
  if (x->h[0] != y->h[0])
    return x->h[0] < y->h[0] ? -1 : 1;
  if (gen1(x) != gen1(y))
    return x->h[1] < y->h[1] ? -1 : 1;
  int c = beam__cmp_exact(beam__mk(x->k), beam__mk(y->k));
  if (c != 0)
    return c;
  return x->order < y->order ? -1 : x->order > y->order;
}

static unsigned item_nibble(item_t *it, unsigned level) {
  uint32_t p = level < 8 ? it->h[0] : gen1(it);
  return (p >> (28 - 4 * (level % 8))) & 15;
}

/* The node at 'level' for items[0..n) (sorted, distinct keys, n >= 2). */
static beam_term_t build(item_t *items, size_t n, unsigned level,
                         unsigned node_kind) {
  if (level == BEAM__TRIE_MAX_LEVEL) {
    uint64_t *pairs = beam__malloc(n * 16);
    if (pairs == NULL)
      return beam_error_term(BEAM_ENOMEM);
    for (size_t i = 0; i < n; i++)
      pairs[2 * i] = items[i].k, pairs[2 * i + 1] = items[i].v;
    beam_term_t r = node(BEAM__SUB_HCOLL, 0, 0, 0, pairs, n, NULL, 0);
    beam__free(pairs);
    return r;
  }
  uint64_t pairs[32], kids[16];
  uint32_t dm = 0, nm = 0;
  size_t np = 0, nk = 0;
  for (size_t i = 0; i < n;) {
    unsigned slot = item_nibble(&items[i], level);
    size_t j = i + 1;
    while (j < n && item_nibble(&items[j], level) == slot)
      j++;
    if (j - i == 1) {
      dm |= 1u << slot;
      pairs[2 * np] = items[i].k;
      pairs[2 * np + 1] = items[i].v;
      np++;
    } else {
      beam_term_t kid = build(items + i, j - i, level + 1, BEAM__SUB_HNODE);
      if (beam_is_error(kid))
        return kid;
      nm |= 1u << slot;
      kids[nk++] = kid.raw;
    }
    i = j;
  }
  return node(node_kind, dm, nm, n, pairs, np, kids, nk);
}

beam_term_t beam__trie_from_pairs(const uint64_t *keys, const uint64_t *vals,
                                  size_t n, size_t *distinct) {
  item_t *items = beam__malloc((n ? n : 1) * sizeof *items);
  if (items == NULL)
    return beam_error_term(BEAM_ENOMEM);
  for (size_t i = 0; i < n; i++)
    items[i] = (item_t){keys[i], vals[i], i, {path(beam__map_hash(
                                                  beam__mk(keys[i]), 0)), 0},
                        false};
  qsort(items, n, sizeof *items, by_path);
  size_t w = 0; /* equal keys are neighbours: keep the last given */
  for (size_t i = 0; i < n; i++) {
    if (w > 0 && beam__cmp_exact(beam__mk(items[w - 1].k),
                                 beam__mk(items[i].k)) == 0)
      w--;
    items[w++] = items[i];
  }
  beam_term_t m;
  if (w >= 2) {
    m = build(items, w, 0, BEAM__SUB_HMAP);
  } else { /* a root of at most one pair */
    uint32_t dm = w ? 1u << item_nibble(&items[0], 0) : 0;
    uint64_t pair[2] = {w ? items[0].k : 0, w ? items[0].v : 0};
    m = node(BEAM__SUB_HMAP, dm, 0, w, pair, w, NULL, 0);
  }
  beam__free(items);
  if (!beam_is_error(m) && distinct)
    *distinct = w;
  return m;
}

/* ---- Removal ---- */

enum { DEL_NONE, DEL_NODE, DEL_PAIR };

/* The node at 'level' without 'key': DEL_NONE (not there), DEL_NODE
** ('*out' the new node), DEL_PAIR (it shrank to one pair, '*k' '*v', which
** the parent takes in; never the root, which holds over 32 keys), or an
** error code. */
static int delete(const uint64_t *p, unsigned level, khash_t *kh,
                  beam_term_t *out, uint64_t *k, uint64_t *v) {
  const uint64_t *t = terms(p);
  bool root = kind(p) == BEAM__SUB_HMAP;
  edit_t e = no_edit(p);
  if (kind(p) == BEAM__SUB_HCOLL) {
    size_t n = nterms(p) / 2;
    for (size_t i = 0; i < n; i++)
      if (same_key(t[2 * i], kh->key)) {
        if (n == 2) {
          *k = t[2 * (1 - i)];
          *v = t[2 * (1 - i) + 1];
          return DEL_PAIR;
        }
        e.drop_pair = (int) i;
        *out = edited(p, &e);
        return beam_is_error(*out) ? beam_term_error(*out) : DEL_NODE;
      }
    return DEL_NONE;
  }
  uint32_t dm = datamap(p), nm = nodemap(p), bit = 1u << nibble(kh, level);
  unsigned np = (unsigned) pop16(dm),
           nk = (unsigned) pop16(nm);
  if (dm & bit) {
    unsigned i = rank_below(dm, bit);
    if (!same_key(t[2 * i], kh->key))
      return DEL_NONE;
    if (!root && np == 2 && nk == 0) { /* one pair left: it moves up */
      *k = t[2 * (1 - i)];
      *v = t[2 * (1 - i) + 1];
      return DEL_PAIR;
    }
    e.dm = dm & ~bit;
    e.drop_pair = (int) i;
    e.count -= 1;
  } else if (nm & bit) {
    unsigned j = rank_below(nm, bit);
    const uint64_t *kidp = beam__box_ptr(beam__mk(t[2 * np + j]));
    beam_term_t kid;
    uint64_t kk, kv;
    int r = delete(kidp, level + 1, kh, &kid, &kk, &kv);
    if (r == DEL_NONE || r < 0)
      return r;
    e.count -= 1;
    if (r == DEL_NODE) {
      e.set_kid = (int) j;
      e.add_kid = kid.raw;
    } else { /* DEL_PAIR: the child's last pair takes its slot */
      if (!root && np == 0 && nk == 1) {
        *k = kk;
        *v = kv;
        return DEL_PAIR;
      }
      e.nm = nm & ~bit;
      e.dm = dm | bit;
      e.drop_kid = (int) j;
      e.add_pair_at = (int) rank_below(dm, bit);
      e.add_k = kk;
      e.add_v = kv;
    }
  } else {
    return DEL_NONE;
  }
  *out = edited(p, &e);
  return beam_is_error(*out) ? beam_term_error(*out) : DEL_NODE;
}

/* ---- Walking in OTP's order ---- */

void beam__trie_iter_init(beam__trie_iter_t *it, beam_term_t m) {
  it->depth = 0;
  it->node[0] = beam__box_ptr(m);
  it->pos[0] = 15;
}

static void push(beam__trie_iter_t *it, const uint64_t *p) {
  int d = ++it->depth;
  beam_assert(d <= BEAM__TRIE_MAX_LEVEL);
  it->node[d] = p;
  it->pos[d] = kind(p) == BEAM__SUB_HCOLL ? (int) (nterms(p) / 2) - 1 : 15;
}

bool beam__trie_next(beam__trie_iter_t *it, beam_term_t *k, beam_term_t *v) {
  while (it->depth >= 0) {
    const uint64_t *p = it->node[it->depth];
    const uint64_t *t = terms(p);
    int *pos = &it->pos[it->depth];
    if (kind(p) == BEAM__SUB_HCOLL) {
      if (*pos >= 0) {
        *k = beam__mk(t[2 * *pos]);
        *v = beam__mk(t[2 * *pos + 1]);
        (*pos)--;
        return true;
      }
      it->depth--;
      continue;
    }
    uint32_t dm = datamap(p), nm = nodemap(p);
    while (*pos >= 0) {
      uint32_t bit = 1u << *pos;
      (*pos)--;
      if (dm & bit) {
        unsigned i = rank_below(dm, bit);
        *k = beam__mk(t[2 * i]);
        *v = beam__mk(t[2 * i + 1]);
        return true;
      }
      if (nm & bit) {
        unsigned np = (unsigned) pop16(dm);
        push(it, beam__box_ptr(beam__mk(t[2 * np + rank_below(nm, bit)])));
        break;
      }
    }
    if (p == it->node[it->depth] && *pos < 0)
      it->depth--;
  }
  return false;
}

/* ---- Flat maps ---- */

/* Binary search: 1 and '*at' = index if found, else 0 and '*at' = the
** insertion point. */
static int flat_find(const uint64_t *p, beam_term_t key, size_t *at) {
  size_t lo = 0, hi = (size_t) BEAM__HDR_SIZE(p[0]);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = beam__cmp_exact(beam__mk(p[1 + mid]), key);
    if (c == 0) {
      *at = mid;
      return 1;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *at = lo;
  return 0;
}

/* A flat map of 'n' sorted pairs. */
static beam_term_t flat(const uint64_t *keys, const uint64_t *vals,
                        size_t n) {
  uint64_t *q = alloc_words(1 + 2 * n);
  if (q == NULL)
    return beam_error_term(BEAM_ENOMEM);
  q[0] = BEAM__HDR(BEAM__SUB_MAP, n);
  memcpy(q + 1, keys, n * 8);
  memcpy(q + 1 + n, vals, n * 8);
  return beam__mk((uint64_t) (uintptr_t) q);
}

static beam_term_t flat_put(beam_term_t map, beam_term_t key,
                            beam_term_t value) {
  const uint64_t *p = beam__box_ptr(map);
  size_t n = (size_t) BEAM__HDR_SIZE(p[0]), at;
  const uint64_t *ks = p + 1, *vs = p + 1 + n;
  if (flat_find(p, key, &at)) {
    if (vs[at] == value.raw)
      return map;
    beam_term_t m = flat(ks, vs, n);
    if (!beam_is_error(m))
      beam__box_ptr(m)[1 + n + at] = value.raw;
    return m;
  }
  if (n == BEAM__MAP_FLAT_MAX) { /* the 33rd key: a trie */
    beam_term_t m = beam__trie_from_pairs(ks, vs, n, NULL);
    return beam_is_error(m) ? m : beam__trie_put(m, key, value);
  }
  uint64_t *q = alloc_words(1 + 2 * (n + 1));
  if (q == NULL)
    return beam_error_term(BEAM_ENOMEM);
  q[0] = BEAM__HDR(BEAM__SUB_MAP, n + 1);
  uint64_t *qk = q + 1, *qv = q + 2 + n;
  memcpy(qk, ks, at * 8);
  memcpy(qv, vs, at * 8);
  qk[at] = key.raw;
  qv[at] = value.raw;
  memcpy(qk + at + 1, ks + at, (n - at) * 8);
  memcpy(qv + at + 1, vs + at, (n - at) * 8);
  return beam__mk((uint64_t) (uintptr_t) q);
}

/* ---- Sorted pairs ---- */

typedef struct kv {
  uint64_t k, v;
} kv_t;

static int by_key(const void *a, const void *b) {
  return beam__cmp_exact(beam__mk(((const kv_t *) a)->k),
                         beam__mk(((const kv_t *) b)->k));
}

int beam__map_pairs(beam_term_t m, const uint64_t **keys,
                    const uint64_t **vals, size_t *n) {
  const uint64_t *p = beam__box_ptr(m);
  if (!beam__is_trie(m)) {
    *n = (size_t) BEAM__HDR_SIZE(p[0]);
    *keys = p + 1;
    *vals = p + 1 + *n;
    return 0;
  }
  size_t count = beam__trie_size(m);
  kv_t *pairs = beam__malloc(count * sizeof *pairs);
  uint64_t *out = beam__malloc(count * 16);
  if (pairs == NULL || out == NULL) {
    beam__free(pairs);
    beam__free(out);
    return BEAM_ENOMEM;
  }
  beam__trie_iter_t it;
  beam__trie_iter_init(&it, m);
  beam_term_t k, v;
  size_t i = 0;
  while (beam__trie_next(&it, &k, &v))
    pairs[i++] = (kv_t){k.raw, v.raw};
  beam_assert(i == count);
  qsort(pairs, count, sizeof *pairs, by_key);
  for (i = 0; i < count; i++) {
    out[i] = pairs[i].k;
    out[count + i] = pairs[i].v;
  }
  beam__free(pairs);
  *keys = out;
  *vals = out + count;
  *n = count;
  return 0;
}

void beam__map_pairs_free(beam_term_t m, const uint64_t *keys) {
  if (beam__is_trie(m))
    beam__free((void *) (uintptr_t) keys);
}

/* ---- The public calls ---- */

beam_term_t beam_map_new(void) {
  uint64_t *p = alloc_words(1);
  if (p == NULL)
    return beam_error_term(BEAM_ENOMEM);
  p[0] = BEAM__HDR(BEAM__SUB_MAP, 0);
  return beam__mk((uint64_t) (uintptr_t) p);
}

int beam_is_map(beam_term_t t) {
  return beam__is_box_of(t, BEAM__SUB_MAP) || beam__is_trie(t);
}

size_t beam_map_size(beam_term_t m) {
  if (beam__is_trie(m))
    return beam__trie_size(m);
  return beam_is_map(m) ? (size_t) BEAM__HDR_SIZE(beam__box_hdr(m)) : 0;
}

static int args_bad(beam_term_t a, beam_term_t b, beam_term_t c) {
  int e = beam__term_bad(a);
  if (e == 0)
    e = beam__term_bad(b);
  if (e == 0)
    e = beam__term_bad(c);
  return e;
}

beam_term_t beam_map_put(beam_term_t map, beam_term_t key, beam_term_t value) {
  int err = args_bad(map, key, value);
  if (err != 0)
    return beam_error_term(err);
  if (!beam_is_map(map))
    return beam_error_term(BEAM_ETYPE);
  return beam__is_trie(map) ? beam__trie_put(map, key, value)
                            : flat_put(map, key, value);
}

int beam_map_get(beam_term_t map, beam_term_t key, beam_term_t *value) {
  if (!beam_is_map(map))
    return BEAM_ETYPE;
  beam_term_t v;
  if (beam__is_trie(map)) {
    if (!beam__trie_get(map, key, &v))
      return 0;
  } else {
    const uint64_t *p = beam__box_ptr(map);
    size_t at;
    if (!flat_find(p, key, &at))
      return 0;
    v = beam__mk(p[1 + BEAM__HDR_SIZE(p[0]) + at]);
  }
  if (value)
    *value = v;
  return 1;
}

/* A trie that shrank to 32 keys becomes flat again (canonical form). */
static beam_term_t to_flat(beam_term_t m) {
  const uint64_t *ks, *vs;
  size_t n;
  if (beam__map_pairs(m, &ks, &vs, &n) != 0)
    return beam_error_term(BEAM_ENOMEM);
  beam_term_t f = flat(ks, vs, n);
  beam__map_pairs_free(m, ks);
  return f;
}

beam_term_t beam_map_remove(beam_term_t map, beam_term_t key) {
  int err = args_bad(map, key, beam_nil());
  if (err != 0)
    return beam_error_term(err);
  if (!beam_is_map(map))
    return beam_error_term(BEAM_ETYPE);
  if (!beam__is_trie(map)) {
    const uint64_t *p = beam__box_ptr(map);
    size_t n = (size_t) BEAM__HDR_SIZE(p[0]), at;
    if (!flat_find(p, key, &at))
      return map;
    uint64_t *q = alloc_words(1 + 2 * (n - 1));
    if (q == NULL)
      return beam_error_term(BEAM_ENOMEM);
    q[0] = BEAM__HDR(BEAM__SUB_MAP, n - 1);
    uint64_t *qk = q + 1, *qv = q + n;
    memcpy(qk, p + 1, at * 8);
    memcpy(qk + at, p + 2 + at, (n - at - 1) * 8);
    memcpy(qv, p + 1 + n, at * 8);
    memcpy(qv + at, p + 2 + n + at, (n - at - 1) * 8);
    return beam__mk((uint64_t) (uintptr_t) q);
  }
  khash_t kh = {key, {0}, 0};
  beam_term_t out;
  uint64_t k, v;
  int r = delete(beam__box_ptr(map), 0, &kh, &out, &k, &v);
  if (r < 0)
    return beam_error_term(r);
  if (r == DEL_NONE)
    return map;
  beam_assert(r == DEL_NODE);
  return beam__trie_size(out) <= BEAM__MAP_FLAT_MAX ? to_flat(out) : out;
}

/* Iteration: a flat map by index, a trie by its walk. */
enum { IT_FLAT = 1, IT_TRIE = 2 };
typedef struct iter {
  uint64_t map, mode, index;
  beam__trie_iter_t trie;
} iter_t;
BEAM_STATIC_ASSERT(sizeof(iter_t) <= sizeof(beam_map_iter_t),
                   "beam_map_iter_t holds the trie walk");

int beam_map_iter_init(beam_map_iter_t *it, beam_term_t map) {
  if (it == NULL)
    return BEAM_EINVAL;
  if (!beam_is_map(map))
    return BEAM_ETYPE;
  iter_t *i = (iter_t *) (void *) it->opaque;
  i->map = map.raw;
  i->index = 0;
  i->mode = beam__is_trie(map) ? IT_TRIE : IT_FLAT;
  if (i->mode == IT_TRIE)
    beam__trie_iter_init(&i->trie, map);
  return 0;
}

int beam_map_next(beam_map_iter_t *it, beam_term_t *key, beam_term_t *value) {
  if (it == NULL)
    return BEAM_EINVAL;
  iter_t *i = (iter_t *) (void *) it->opaque;
  if (!beam_is_map(beam__mk(i->map)) ||
      (i->mode != IT_FLAT && i->mode != IT_TRIE))
    return BEAM_EINVAL;
  beam_term_t k, v;
  if (i->mode == IT_TRIE) {
    if (!beam__trie_next(&i->trie, &k, &v))
      return 0;
  } else {
    const uint64_t *p = beam__box_ptr(beam__mk(i->map));
    size_t n = (size_t) BEAM__HDR_SIZE(p[0]);
    if (i->index >= n)
      return 0;
    k = beam__mk(p[1 + i->index]);
    v = beam__mk(p[1 + n + i->index]);
    i->index++;
  }
  if (key)
    *key = k;
  if (value)
    *value = v;
  return 1;
}

beam_term_t beam_map_fold(beam_term_t map, beam_map_fold_fn_t fn,
                          beam_term_t acc, void *ctx) {
  int err = args_bad(map, acc, beam_nil());
  if (err != 0)
    return beam_error_term(err);
  if (fn == NULL)
    return beam_error_term(BEAM_EINVAL);
  beam_map_iter_t it;
  if ((err = beam_map_iter_init(&it, map)) != 0)
    return beam_error_term(err);
  beam_term_t k, v;
  while (beam_map_next(&it, &k, &v) == 1) {
    acc = fn(k, v, acc, ctx);
    if (beam_is_error(acc))
      break; /* the callback's error stops the fold and is its result */
  }
  return acc;
}
