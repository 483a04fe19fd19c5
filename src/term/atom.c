/* SPDX-License-Identifier: MIT */
/*
** atom.c: the global table of interned atoms.
**
** An atom term is its index in this table ('index << 3 | 3'), so equality
** of atoms is equality of words and an atom is never freed while the
** library is loaded (as in the BEAM). Any thread may make atoms, inside or
** outside the runtime, and before beam_run(): the table initialises itself
** on first use through pthread_once.
**
** Two structures, both append-only:
**  - 'entries': index -> entry (name, length, hash). Segments double in
**    size (segment k holds SEG0 << k entries), so an entry never moves and
**    a reader needs no lock to follow an index it already holds.
**  - 'table': an open-addressed hash set of 'index + 1' (0 = empty), at
**    most half full. Growing builds a complete new table and publishes it
**    with one release store; the old one is kept (retired) until exit,
**    because a lock-free reader may still be probing it. Retired tables
**    together are smaller than the live one, so this costs < 2x.
**
** Lookup of an existing atom takes no lock: load the table (acquire), probe,
** load the entry (acquire). Insertion takes 'insert_lock', looks again (a
** racing thread may have won), writes the entry, then the slot; each store
** is a release paired with the readers' acquire loads, so a reader that
** sees a slot also sees the entry and its bytes. A reader probing a table
** that was just replaced may miss an atom inserted later; it then falls
** into the locked path, which checks the current table again. Rejected: a
** chained table with in-place rehash (readers would see nodes move) and a
** reader/writer lock (every beam_atom() of an existing atom would write
** the lock's cache line from every core).
**
** The first segment, the first table and the runtime's own atoms
** ('beam__am_*', term.h's BEAM__RUNTIME_ATOMS, the first indices) are
** static, so initialisation allocates nothing and cannot fail, and no
** atom the runtime needs can be refused by a full table. The table is freed by a library destructor so
** LeakSanitizer reports nothing at exit.
**
** Limits: 'limit' atoms (default 1,048,576; beam__atoms_set_limit) past
** which beam_atom() returns the error term BEAM_ESYSLIMIT; names are
** UTF-8, at most 255 code points, without NUL.
*/
#include "term.h"

#include <pthread.h>

#define SEG0         1024u /* entries in segment 0 (static) */
#define NSEGS        32    /* SEG0 << 31 is far above any limit */
#define TABLE0       2048u /* slots of the static first table */
#define MAX_CODEPTS  255
#define DEFAULT_LIMIT ((size_t) 1 << 20)
#define MAX_LIMIT    ((size_t) 1 << 32)

typedef struct entry {
  const char *name; /* NUL-terminated; for dynamic entries, just after */
  uint32_t len;     /* bytes */
  uint32_t hash;
} entry_t;

typedef struct table {
  size_t mask;           /* slots - 1 */
  struct table *retired; /* older tables, kept until exit */
  _Atomic uint32_t *slots; /* for dynamic tables, just after the struct */
} table_t;

/* ---- State ----
** 'segs', 'table' and 'count' are read by any thread without the lock
** (atomics, see each access); everything is written only under
** 'insert_lock'. */

static entry_t static_entries[] = {
#define STATIC_ENTRY(name, text) {text, sizeof text - 1, 0},
    BEAM__RUNTIME_ATOMS(STATIC_ENTRY)
#undef STATIC_ENTRY
};
#define NSTATIC (sizeof static_entries / sizeof static_entries[0])
BEAM_STATIC_ASSERT(NSTATIC == BEAM__AMI_COUNT, "one entry per runtime atom");
BEAM_STATIC_ASSERT(NSTATIC <= SEG0, "runtime atoms fit the static segment");

#define RUNTIME_ATOM(name, text)                                               \
  const beam_term_t beam__am_##name = {                                        \
      ((uint64_t) BEAM__AMI_##name << 3) | BEAM__TAG_ATOM};
BEAM__RUNTIME_ATOMS(RUNTIME_ATOM)
#undef RUNTIME_ATOM

static _Atomic(entry_t *) seg0[SEG0];
static _Atomic(_Atomic(entry_t *) *) segs[NSEGS];

static _Atomic uint32_t slots0[TABLE0];
static table_t table0 = {TABLE0 - 1, NULL, slots0};

static _Atomic(table_t *) table;
_Atomic size_t beam__atom_count; /* term.h: read by beam__term_bad */
static _Atomic size_t limit = DEFAULT_LIMIT;
static pthread_mutex_t insert_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic size_t entry_bytes; /* entries and names, for beam_memory */
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* ---- Index -> entry ---- */

static void seg_of(size_t index, unsigned *k, size_t *off) {
  size_t q = index / SEG0 + 1;
  unsigned s = 63u - (unsigned) __builtin_clzll((unsigned long long) q);
  *k = s;
  *off = index - (size_t) SEG0 * (((size_t) 1 << s) - 1);
}

static entry_t *entry_at(size_t index) {
  unsigned k;
  size_t off;
  seg_of(index, &k, &off);
  /* Acquire: pairs with the release stores in 'put_entry', so the entry's
  ** fields and name bytes are visible. */
  _Atomic(entry_t *) *seg = atomic_load_explicit(&segs[k], memory_order_acquire);
  if (seg == NULL)
    return NULL;
  return atomic_load_explicit(&seg[off], memory_order_acquire);
}

/* Under 'insert_lock'. */
static int put_entry(size_t index, entry_t *e) {
  unsigned k;
  size_t off;
  seg_of(index, &k, &off);
  _Atomic(entry_t *) *seg = atomic_load_explicit(&segs[k], memory_order_relaxed);
  if (seg == NULL) {
    seg = beam__calloc((size_t) SEG0 << k, sizeof *seg);
    if (seg == NULL)
      return BEAM_ENOMEM;
    /* Release: a reader that finds this segment sees it zeroed. */
    atomic_store_explicit(&segs[k], seg, memory_order_release);
  }
  atomic_store_explicit(&seg[off], e, memory_order_release);
  return 0;
}

/* ---- Hash set of indices ---- */

static uint32_t name_hash(const char *s, size_t len) {
  uint64_t h = beam__hash_bytes(s, len, 0x61746f6d /* "atom" */);
  return (uint32_t) (h ^ (h >> 32));
}

static long find_in(table_t *t, const char *s, size_t len, uint32_t h) {
  for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
    /* Acquire: pairs with the release in 'slot_put'; the entry it names
    ** was published before the slot. */
    uint32_t v = atomic_load_explicit(&t->slots[i], memory_order_acquire);
    if (v == 0)
      return -1;
    entry_t *e = entry_at(v - 1);
    if (e->hash == h && e->len == len && memcmp(e->name, s, len) == 0)
      return (long) (v - 1);
  }
}

static void slot_put(table_t *t, uint32_t h, uint32_t index) {
  size_t i = h & t->mask;
  while (atomic_load_explicit(&t->slots[i], memory_order_relaxed) != 0)
    i = (i + 1) & t->mask;
  atomic_store_explicit(&t->slots[i], index + 1, memory_order_release);
}

/* Under 'insert_lock': double the table. */
static int grow(void) {
  table_t *old = atomic_load_explicit(&table, memory_order_relaxed);
  size_t n = (old->mask + 1) * 2;
  table_t *t = beam__calloc(1, sizeof *t + n * sizeof(_Atomic uint32_t));
  if (t == NULL)
    return BEAM_ENOMEM;
  t->slots = (_Atomic uint32_t *) (void *) (t + 1);
  t->mask = n - 1;
  t->retired = old;
  size_t c = atomic_load_explicit(&beam__atom_count, memory_order_relaxed);
  for (size_t i = 0; i < c; i++)
    slot_put(t, entry_at(i)->hash, (uint32_t) i);
  /* Release: readers that load the new table see all its slots. */
  atomic_store_explicit(&table, t, memory_order_release);
  return 0;
}

static void init_once(void) {
  for (size_t i = 0; i < NSTATIC; i++) {
    entry_t *e = &static_entries[i];
    e->hash = name_hash(e->name, e->len);
    atomic_store_explicit(&seg0[i], e, memory_order_relaxed);
    slot_put(&table0, e->hash, (uint32_t) i);
  }
  atomic_store_explicit(&segs[0], seg0, memory_order_relaxed);
  atomic_store_explicit(&beam__atom_count, NSTATIC, memory_order_relaxed);
  /* pthread_once orders all of the above before any caller returns. */
  atomic_store_explicit(&table, &table0, memory_order_release);
}

int beam__atoms_init(void) {
  pthread_once(&once, init_once);
  return 0;
}

int beam__atoms_set_limit(size_t n) {
  beam__atoms_init();
  if (n == 0)
    n = DEFAULT_LIMIT;
  if (n > MAX_LIMIT)
    return BEAM_EINVAL;
  pthread_mutex_lock(&insert_lock);
  int rc = 0;
  if (n < atomic_load_explicit(&beam__atom_count, memory_order_relaxed))
    rc = BEAM_EINVAL;
  else /* Relaxed: read only under the lock. */
    atomic_store_explicit(&limit, n, memory_order_relaxed);
  pthread_mutex_unlock(&insert_lock);
  return rc;
}

size_t beam__atoms_bytes(void) {
  table_t *t = atomic_load_explicit(&table, memory_order_acquire);
  size_t slots = t ? (t->mask + 1) * sizeof(uint32_t) : 0;
  return sizeof seg0 + sizeof static_entries + slots +
         atomic_load_explicit(&beam__atom_count, memory_order_relaxed) *
             sizeof(entry_t *) +
         atomic_load_explicit(&entry_bytes, memory_order_relaxed);
}

size_t beam__atoms_count(void) {
  beam__atoms_init();
  return atomic_load_explicit(&beam__atom_count, memory_order_acquire);
}

/* 0 if 'name' is a valid atom name: UTF-8, <= 255 code points, no NUL. */
static int check_name(const char *name, size_t len) {
  const unsigned char *s = (const unsigned char *) name;
  size_t i = 0, n = 0;
  while (i < len) {
    uint32_t cp;
    if (beam__utf8_next(s, len, &i, &cp) < 0 || cp == 0 || ++n > MAX_CODEPTS)
      return BEAM_EINVAL;
  }
  return 0;
}

static beam_term_t atom_term(size_t index) {
  return beam__mk(((uint64_t) index << 3) | BEAM__TAG_ATOM);
}

static beam_term_t insert(const char *name, size_t len, uint32_t h) {
  beam_term_t r;
  pthread_mutex_lock(&insert_lock);
  table_t *t = atomic_load_explicit(&table, memory_order_relaxed);
  long found = find_in(t, name, len, h);
  size_t c = atomic_load_explicit(&beam__atom_count, memory_order_relaxed);
  if (found >= 0) {
    r = atom_term((size_t) found);
  } else if (c >= atomic_load_explicit(&limit, memory_order_relaxed)) {
    r = beam_error_term(BEAM_ESYSLIMIT);
  } else if ((c + 1) * 2 > t->mask + 1 && grow() < 0) {
    r = beam_error_term(BEAM_ENOMEM);
  } else {
    entry_t *e = beam__malloc(sizeof *e + len + 1);
    if (e != NULL) {
      char *copy = (char *) (e + 1);
      memcpy(copy, name, len);
      copy[len] = '\0';
      e->name = copy;
      e->len = (uint32_t) len;
      e->hash = h;
    }
    if (e == NULL || put_entry(c, e) < 0) {
      beam__free(e);
      r = beam_error_term(BEAM_ENOMEM);
    } else {
      atomic_fetch_add_explicit(&entry_bytes, sizeof *e + len + 1,
                                memory_order_relaxed);
      /* Count first, then the slot: a thread that finds the atom through
      ** its slot (acquire) must also see it counted, or beam__term_bad
      ** calls the atom it was just handed a forgery (EBADTERM). Release:
      ** beam__atoms_count() readers see the entries it counts. */
      atomic_store_explicit(&beam__atom_count, c + 1, memory_order_release);
      slot_put(atomic_load_explicit(&table, memory_order_relaxed), h,
               (uint32_t) c);
      r = atom_term(c);
    }
  }
  pthread_mutex_unlock(&insert_lock);
  return r;
}

beam_term_t beam_atom_len(const char *name, size_t len) {
  if (name == NULL || check_name(name, len) < 0)
    return beam_error_term(BEAM_EINVAL);
  beam__atoms_init();
  uint32_t h = name_hash(name, len);
  long found =
      find_in(atomic_load_explicit(&table, memory_order_acquire), name, len, h);
  if (found >= 0)
    return atom_term((size_t) found);
  return insert(name, len, h);
}

beam_term_t beam__atom_find(const char *name, size_t len) {
  if (name == NULL || check_name(name, len) < 0)
    return beam_error_term(BEAM_EINVAL);
  beam__atoms_init();
  uint32_t h = name_hash(name, len);
  long found =
      find_in(atomic_load_explicit(&table, memory_order_acquire), name, len, h);
  if (found < 0) {
    /* The table may have just been replaced: look again under the lock. */
    pthread_mutex_lock(&insert_lock);
    found = find_in(atomic_load_explicit(&table, memory_order_relaxed), name,
                    len, h);
    pthread_mutex_unlock(&insert_lock);
  }
  return found >= 0 ? atom_term((size_t) found) : beam_error_term(BEAM_ENOENT);
}

beam_term_t beam_atom(const char *name) {
  if (name == NULL)
    return beam_error_term(BEAM_EINVAL);
  return beam_atom_len(name, strlen(name));
}

const char *beam_atom_name(beam_term_t t) {
  if (beam__tag(t) != BEAM__TAG_ATOM)
    return NULL;
  size_t index = (size_t) (t.raw >> 3);
  if (index < NSTATIC)
    return static_entries[index].name; /* valid before init too */
  beam__atoms_init();
  if (index >= atomic_load_explicit(&beam__atom_count, memory_order_acquire))
    return NULL;
  entry_t *e = entry_at(index);
  return e ? e->name : NULL;
}

/* Library destructor: free what the table allocated. Runs at exit when no
** other thread should still be using atoms. */
__attribute__((destructor)) static void atoms_free(void) {
  table_t *t = atomic_load_explicit(&table, memory_order_acquire);
  if (t == NULL)
    return;
  size_t c = atomic_load_explicit(&beam__atom_count, memory_order_acquire);
  for (size_t i = NSTATIC; i < c; i++)
    beam__free(entry_at(i));
  for (unsigned k = 1; k < NSEGS; k++)
    beam__free(atomic_load_explicit(&segs[k], memory_order_relaxed));
  while (t != NULL && t != &table0) {
    table_t *older = t->retired;
    beam__free(t);
    t = older;
  }
}
