/* SPDX-License-Identifier: MIT */
/*
** gc.c: a process's heap, collected: copying, generational, precise from
** the roots its caller names.
**
** The problem. A process that lives for years builds terms every
** iteration and keeps some of them (a server's state). Arena marks free
** what an iteration built only if nothing of it is kept; anything kept
** leaks. So the heap is collected the way the BEAM collects one: copy what
** the roots reach, drop the rest, at a cost proportional to what survives.
**
** Roots. C code's terms live in its locals, which the collector cannot
** see, so the caller names them: beam_gc(&state, &msg) keeps what those
** reach and rewrites them to the copies. A term not named and used after
** the collection points into freed memory: ASan reports it as a
** heap-use-after-free (heap.c keeps every chunk on malloc under ASan so
** that it can). Plain builds do not check.
**
** Generations, without a write barrier. Terms are immutable, and a
** container is only ever built from terms that already exist, so an object
** refers only to objects made before it (or outside the heap). Hence no
** object made before a collection can point at one made after it: a
** *minor* collection copies the roots' young objects (everything built or
** received since the last collection) into the old generation and never
** looks inside old objects, which cannot lead back to young ones. Its cost
** is what survives of the young generation; a large state that a loop
** keeps is copied once, when it is young, and not again. A *major*
** collection copies everything reachable into a fresh old generation; it
** runs when asked, or when the old generation has doubled since the last
** major one (amortised O(1) copying per byte kept, the BEAM's fullsweep in
** spirit). Message blocks adopted by receive are young like the chunks.
**
** The copy is Cheney's: each root's object is copied to the to-space, then
** a scan pointer walks the to-space and copies what the copies point at,
** so there is no recursion and no stack. That needs a to-space whose
** objects can be walked linearly: a word with tag 111 is a boxed object's
** header (its size skips the payload), anything else starts a list cell
** (term.h). A copied object's first word is overwritten with its new
** address (a boxed pointer, tag 000, which no header has); a copied list
** cell gets a FORWARD header in its first word and the address in its
** second.
**
** Which pointers to follow: a word that points into a from-space range
** (young chunks and adopted blocks; old chunks too for a major one) is
** copied; any other pointer (an old object during a minor collection, a
** term of another heap) is left alone. The ranges are sorted once per
** collection and searched by bisection.
**
** Out of memory. Everything the collection needs (the range table and a
** to-space as large as what it may keep) is allocated before the first
** word moves, so a failure returns BEAM_ENOMEM with the heap unchanged.
**
** Binaries. A REFBIN box holds one reference on its shared bytes. A copied
** box carries the reference to its copy, which joins the old generation's
** offheap list; after the copy, the from-space boxes that were not copied
** drop theirs. A binary is freed exactly when its last holder collects it
** away or exits.
*/
#include "heap.h"
#include "map.h"

#include <stdarg.h>

#define MIN_OLD_CHUNK (64u * 1024u)
#define FORWARD_CELL BEAM__HDR(BEAM__SUB_FORWARD, 0)

/* ---- From-space ranges ---- */

typedef struct range {
  uintptr_t lo, hi;
} range_t;

typedef struct gc {
  beam__heap_t *h;
  range_t *r;
  size_t nr;
  uintptr_t lo, hi;   /* the ranges' span: a quick no for most old words */
  uint64_t *hp, *end; /* to-space bump pointer and limit */
} gc_t;

static int by_lo(const void *a, const void *b) {
  uintptr_t x = ((const range_t *) a)->lo, y = ((const range_t *) b)->lo;
  return x < y ? -1 : x > y;
}

static inline bool in_from_space(const gc_t *g, uintptr_t a) {
  if (a < g->lo || a >= g->hi) /* an old object (minor), or another heap */
    return false;
  size_t lo = 0, hi = g->nr;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (a < g->r[mid].lo)
      hi = mid;
    else if (a >= g->r[mid].hi)
      lo = mid + 1;
    else
      return true;
  }
  return false;
}

static size_t chunk_words(const beam__heap_t *h, const beam__chunk_t *c,
                          bool young) {
  const char *start = (const char *) c + BEAM__CHUNK_HDR;
  const char *end = (const char *) c + c->size;
  if (young && c == h->chunks)
    end = h->top;
  else if (!young && c == h->old)
    end = h->old_top;
  return (size_t) (end - start) / 8;
}

static void add_chunks(gc_t *g, beam__chunk_t *c, bool young, size_t *words) {
  for (; c != NULL; c = c->next) {
    uintptr_t lo = (uintptr_t) beam__chunk_start(c);
    g->r[g->nr++] = (range_t){lo, (uintptr_t) c + c->size};
    *words += chunk_words(g->h, c, young);
  }
}

static size_t count_chunks(const beam__chunk_t *c) {
  size_t n = 0;
  for (; c != NULL; c = c->next)
    n++;
  return n;
}

static size_t count_adopted(const beam__msg_t *m) {
  size_t n = 0;
  for (; m != NULL; m = atomic_load_explicit(&m->next, memory_order_relaxed))
    n++;
  return n;
}

/* ---- Copying ---- */

/* Words of the object at 'p', header or list cell. */
static size_t object_words(const uint64_t *p) {
  if (!beam__is_header(p[0]))
    return 2; /* a list cell */
  size_t first, n;
  return beam__box_layout(p, &first, &n);
}

/* The copy of the term in word 'w' (copied now if it was not yet). */
static inline __attribute__((always_inline)) uint64_t evacuate(gc_t *g,
                                                              uint64_t w) {
  beam_term_t t = beam__mk(w);
  uint64_t tag = beam__tag(t);
  if (tag == BEAM__TAG_LIST) {
    uint64_t *c = beam__list_ptr(t);
    if (!in_from_space(g, (uintptr_t) c))
      return w;
    if (c[0] == FORWARD_CELL)
      return c[1] | BEAM__TAG_LIST;
    uint64_t *q = g->hp;
    g->hp += 2;
    q[0] = c[0];
    q[1] = c[1];
    c[0] = FORWARD_CELL;
    c[1] = (uint64_t) (uintptr_t) q;
    return (uint64_t) (uintptr_t) q | BEAM__TAG_LIST;
  }
  if (tag != BEAM__TAG_BOXED || w == 0)
    return w;
  uint64_t *p = beam__box_ptr(t);
  if (!in_from_space(g, (uintptr_t) p))
    return w;
  if (!beam__is_header(p[0]))
    return p[0]; /* forwarded: the new address */
  size_t n = object_words(p);
  uint64_t *q = g->hp;
  g->hp += n;
  memcpy(q, p, n * 8);
  if (BEAM__HDR_SUB(p[0]) == BEAM__SUB_REFBIN) {
    q[3] = (uint64_t) (uintptr_t) g->h->old_offheap; /* the reference moves */
    g->h->old_offheap = q;
  }
  p[0] = (uint64_t) (uintptr_t) q;
  return p[0];
}

/* Cheney's scan of the to-space from 'scan' to the bump pointer. */
static void scan(gc_t *g, uint64_t *scan) {
  while (scan < g->hp) {
    if (!beam__is_header(scan[0])) { /* list cell: both words are terms */
      scan[0] = evacuate(g, scan[0]);
      scan[1] = evacuate(g, scan[1]);
      scan += 2;
      continue;
    }
    size_t first, nterms, n = beam__box_layout(scan, &first, &nterms);
    for (size_t i = first; i < first + nterms; i++)
      scan[i] = evacuate(g, scan[i]);
    scan += n;
  }
  beam_assert(scan == g->hp && g->hp <= g->end);
}

/* ---- Dropping from-space ---- */

/* A REFBIN box left behind (not forwarded) drops its reference. */
static void drop_unreached(uint64_t *box) {
  while (box != NULL) {
    uint64_t *next = (uint64_t *) (uintptr_t) box[3];
    if (beam__is_header(box[0])) /* never copied */
      beam__bin_unref((beam__bin_t *) (uintptr_t) box[1]);
    box = next;
  }
}

static void free_chunks(beam__heap_t *h, beam__chunk_t *c) {
  while (c != NULL) {
    beam__chunk_t *next = c->next;
    h->bytes -= c->size;
    beam__chunk_free(c);
    c = next;
  }
}

static void free_young(beam__heap_t *h) {
  drop_unreached(h->offheap);
  for (beam__msg_t *m = h->adopted, *next; m != NULL; m = next) {
    next = atomic_load_explicit(&m->next, memory_order_relaxed);
    drop_unreached(m->offheap);
    h->bytes -= m->size;
    beam__free(m); /* its binaries: drop_unreached above */
  }
  free_chunks(h, h->chunks);
  h->chunks = NULL;
  h->top = h->end = NULL;
  h->offheap = NULL;
  h->adopted = NULL;
}

/* ---- The collection ---- */

size_t beam__heap_young_bytes(const beam__heap_t *h) {
  return h->bytes - h->old_bytes;
}

/* A to-space chunk of 'words' or more (the most a collection may keep),
** linked as the newest old chunk. For a minor collection twice that, so
** that the next ones promote into its tail; not more, since a mapped
** chunk's first touches are what a minor collection would pay for. */
static beam__chunk_t *new_old_chunk(size_t words, bool major, size_t exact) {
  if (exact)
    return beam__chunk_new(BEAM__CHUNK_HDR + exact);
  size_t bytes = BEAM__CHUNK_HDR + (major ? 1 : 2) * words * 8;
  bytes = BEAM_MAX(bytes, (size_t) MIN_OLD_CHUNK);
  return beam__chunk_new(bytes);
}

/* 'exact': a major collection whose to-space is exactly that many bytes
** (what an earlier one kept): beam__heap_compact. */
static int collect(beam__heap_t *h, beam_term_t **roots, size_t n,
                   bool major, size_t exact) {
  /* Major when what the old generation keeps has doubled since the last
  ** major one, or when its chunks are mostly empty tails. */
  if (!major &&
      (h->old_used > 2 * BEAM_MAX(h->old_after_major, (size_t) MIN_OLD_CHUNK) ||
       h->old_bytes > 4 * BEAM_MAX(h->old_used, (size_t) 4 * MIN_OLD_CHUNK)))
    major = true;
  gc_t g = {h, NULL, 0, 0, 0, NULL, NULL};
  size_t nr = count_chunks(h->chunks) + count_adopted(h->adopted) +
              (major ? count_chunks(h->old) : 0);
  g.r = beam__malloc((nr ? nr : 1) * sizeof *g.r);
  if (g.r == NULL)
    return BEAM_ENOMEM;
  size_t words = 0; /* what may survive, at most */
  add_chunks(&g, h->chunks, true, &words);
  for (beam__msg_t *m = h->adopted; m != NULL;
       m = atomic_load_explicit(&m->next, memory_order_relaxed)) {
    uintptr_t lo = (uintptr_t) (m + 1);
    g.r[g.nr++] = (range_t){lo, (uintptr_t) m + m->size};
    words += (m->size - sizeof *m) / 8;
  }
  if (major)
    add_chunks(&g, h->old, false, &words);
  qsort(g.r, g.nr, sizeof *g.r, by_lo);
  g.lo = g.nr ? g.r[0].lo : 0;
  g.hi = g.nr ? g.r[g.nr - 1].hi : 0;

  /* The to-space: the old generation's free tail if the young survivors
  ** fit there, else a new chunk; for a major collection always a new one,
  ** which becomes the whole old generation. */
  beam__chunk_t *fresh = NULL;
  if (major || (size_t) (h->old_end - h->old_top) < words * 8) {
    if ((fresh = new_old_chunk(words, major, exact)) == NULL) {
      beam__free(g.r);
      return BEAM_ENOMEM;
    }
    g.hp = (uint64_t *) (void *) beam__chunk_start(fresh);
    g.end = (uint64_t *) (void *) ((char *) fresh + fresh->size);
  } else {
    g.hp = (uint64_t *) (void *) h->old_top;
    g.end = (uint64_t *) (void *) h->old_end;
  }
  beam__chunk_t *from_old = NULL;
  uint64_t *from_old_offheap = NULL;
  if (major) { /* the old generation is from-space now */
    from_old = h->old;
    from_old_offheap = h->old_offheap;
    h->old = NULL;
    h->old_offheap = NULL;
    h->old_bytes = 0; /* 'bytes' drops as free_chunks frees them */
    h->old_used = 0;
  }
  uint64_t *start = g.hp;
  for (size_t i = 0; i < n; i++)
    if (roots[i] != NULL)
      roots[i]->raw = evacuate(&g, roots[i]->raw);
  scan(&g, start);
  size_t kept = (size_t) ((char *) g.hp - (char *) start);

  free_young(h);
  if (major) {
    drop_unreached(from_old_offheap);
    free_chunks(h, from_old);
  }
  if (fresh != NULL) {
    /* Sized for the worst case; give back what the survivors left. */
    beam__chunk_trim(fresh, (const char *) g.hp);
    g.end = (uint64_t *) (void *) ((char *) fresh + fresh->size);
    fresh->next = h->old;
    h->old = fresh;
    h->old_bytes += fresh->size;
    h->bytes += fresh->size;
  }
  h->old_top = (char *) g.hp;
  h->old_end = (char *) g.end;
  h->old_used += kept;
  if (major) {
    h->old_after_major = h->old_used;
    h->major_gcs++;
  } else {
    h->minor_gcs++;
  }
  h->live_after_gc = h->old_used;
  beam__free(g.r);
  return 0;
}

int beam__heap_collect(beam__heap_t *h, beam_term_t **roots, size_t n,
                       bool major) {
  return collect(h, roots, n, major, 0);
}

int beam__heap_compact(beam__heap_t *h, beam_term_t **roots, size_t n) {
  int rc = collect(h, roots, n, true, 0);
  if (rc == 0)
    rc = collect(h, roots, n, true, h->old_used + 8);
  return rc;
}

/* ---- The public calls ---- */

#define MIN_YOUNG (64u * 1024u) /* beam_gc_maybe's least young size */

int beam_gc_roots(beam_term_t *const *roots, size_t n, unsigned flags) {
  if ((n > 0 && roots == NULL) || (flags & ~(unsigned) BEAM_GC_MAJOR))
    return BEAM_EINVAL;
  beam__heap_t *h = beam__heap_current();
  return beam__heap_collect(h, (beam_term_t **) (uintptr_t) roots, n,
                            flags & BEAM_GC_MAJOR);
}

int beam_gc_due(void) {
  const beam__heap_t *h = beam__heap_current();
  return beam__heap_young_bytes(h) >=
         BEAM_MAX((size_t) MIN_YOUNG, h->live_after_gc / 2);
}

/* Roots from a NULL-terminated list, collected with 'flags'. */
static int gc_va(beam_term_t *first, va_list ap) {
  enum { MAX_ROOTS = 64 };
  beam_term_t *roots[MAX_ROOTS];
  size_t n = 0;
  for (beam_term_t *r = first; r != NULL; r = va_arg(ap, beam_term_t *)) {
    if (n == MAX_ROOTS)
      return BEAM_EINVAL; /* use beam_gc_roots for more */
    roots[n++] = r;
  }
  return beam_gc_roots(roots, n, 0);
}

int(beam_gc)(beam_term_t *root, ...) {
  va_list ap;
  va_start(ap, root);
  int rc = gc_va(root, ap);
  va_end(ap);
  return rc;
}

int(beam_gc_maybe)(beam_term_t *root, ...) {
  if (!beam_gc_due())
    return 0;
  va_list ap;
  va_start(ap, root);
  int rc = gc_va(root, ap);
  va_end(ap);
  return rc < 0 ? rc : 1;
}
