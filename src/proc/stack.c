/* SPDX-License-Identifier: MIT */
/*
** stack.c: process stacks, a million at a time on default kernel settings.
**
** Layout. Stacks of one size class are fixed-size *slots* carved from large
** MAP_NORESERVE regions (one VMA each, pages fault in on first touch,
** MADV_NOHUGEPAGE so a touched stack never costs 2 MiB). A region is
** aligned to its own size (a power of two), and its first pages hold the
** descriptors of all its slots, densely:
**
**     base                                                            base+R
**     | descriptors 0..n-1 | guard | stack 0 ... | guard | stack 1 ... | ...
**
** so slot i and descriptor i find each other by arithmetic on the address
** (desc_of). The descriptor is not on the stack's page: a process that
** waits for long can give its stack page back (idle.c) while senders
** still find its mailbox, and eight descriptors share a page.
**
** Guards. vm.max_map_count (65,530 by default) caps classic PROT_NONE
** guards near 32,000 (each splits a VMA in two, DESIGN-NOTES §0). So:
**  1. MADV_GUARD_INSTALL (Linux >= 6.13) puts the guard in the page tables,
**     not in a VMA: a million guarded stacks stay one VMA per region. The
**     marker survives MADV_DONTNEED, so it is installed once per slot.
**  2. If the kernel refuses it, mprotect guards up to a budget computed from
**     the sysctl and the maps already in use, with a safety margin.
**  3. Past the budget, a canary word at the stack's lowest address,
**     checked on every switch out of the process (late but never silent).
** An overflow into a guard raises SIGSEGV, handled on a per-scheduler
** sigaltstack (fault.c): the process crashes with {stack_overflow, Bytes}.
** A canary found overwritten is different: the overflow has already
** written over the neighbouring slot, so that one aborts.
**
** Reuse (DESIGN-NOTES §2: a page's first touch costs 3-10 us here, far
** more than the rest of a spawn). A slot that a process used is *warm*: its
** descriptor page and the top of its stack are resident. Warm slots are
** reused before anything else, and their memory goes back to the OS only
** once they have stayed unused for a while, as Go's scavenger does:
**  - each scheduler keeps up to BEAM__STACK_CACHE warm slots of the default
**    class (LIFO, no lock); it spills or refills half a cache at a time
**    to or from the class's global lists, so the lock is taken once per
**    BATCH spawns even when processes exit on another scheduler than the
**    one that spawns (the common case with stealing);
**  - global lists, in order of preference: 'warm' (freed since the last
**    scavenge step), 'aged' (freed before it), 'cold' (memory released),
**    then never-used slots carved from the newest region;
**  - every SCAVENGE_MS a scheduler passing through its loop (or about to
**    park) runs one step: it releases every 'aged' slot with MADV_DONTNEED,
**    in address order with neighbours merged into one call (a million
**    contiguous slots cost a handful of system calls and TLB shootdowns,
**    not a million), moves them to 'cold', and 'warm' becomes 'aged'. So a
**    slot unused for 1-2 steps returns its memory: after a million
**    processes end, RSS falls back within ~200 ms, busy or idle.
** A parked scheduler sets its timeout so that pending steps still happen.
**
** Threading: regions, the global lists and the guard budget are under
** 'st.lock'; a scheduler's cache is touched only by that scheduler; one
** scavenge step runs at a time ('scavenging') and does its system calls
** outside the lock, on chunks it took out of 'aged'.
*/
#include "stack.h"
#include "../sched/qsbr.h"
#include "../sched/sched.h"

#include <malloc.h>
#include <signal.h>
#include <sys/mman.h>
#ifdef BEAM_ASAN
#include <sanitizer/lsan_interface.h>
#endif
#include <unistd.h>


#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#define MAX_CLASSES 16
#define REGION_BYTES ((size_t) 64 << 20) /* 64 MiB of address space */
#define CANARY UINT64_C(0xcbea4dead5eed5ee)
#define ALTSTACK_BYTES ((size_t) 64 << 10)
#define SCAVENGE_MS 100 /* period of a scavenge step */
#define TRIM_SLOTS 1024 /* slots released in a step that call malloc_trim */

typedef struct region {
  struct region *next;
  char *base;
  size_t bytes;
} region_t;

/* Slots as stored in lists: tagged addresses (see guard_slot). */
typedef struct slot_list {
  char **v;
  size_t n;
} slot_list_t;

typedef struct stack_class {
  size_t slot_size;    /* bytes, guard + stack */
  size_t usable;       /* stack bytes the process may use */
  size_t region_bytes; /* a power of two: regions are aligned to it */
  size_t desc_area;    /* bytes at a region's start for its descriptors */
  size_t nslots;       /* slots per region */
  unsigned slot_shift; /* slot_size = odd << slot_shift ... */
  uint64_t slot_inv;   /* ... and odd * slot_inv == 1 (mod 2^64) */
  region_t *regions;
  char *bump, *bump_end;        /* never-used slots of the newest region */
  slot_list_t warm, aged, cold; /* see "Reuse" above */
  size_t cap; /* capacity of each list: every slot ever carved */
} stack_class_t;

enum guard_mode { GUARD_MADVISE, GUARD_MPROTECT, GUARD_CANARY };

static struct {
  pthread_mutex_t lock;
  stack_class_t cls[MAX_CLASSES];
  unsigned nclass;
  size_t page;
  size_t guard_bytes; /* below each stack: at least a page (stack.h) */
  size_t desc_bytes; /* descriptor size rounded to a cache line */
  enum guard_mode guard;
  long mprotect_budget;
  bool coalesce; /* no mprotect guards: neighbours' release may merge */
  _Atomic uint64_t next_scavenge_ms;
  _Atomic size_t resident; /* slots in 'warm' + 'aged', all classes */
  _Atomic bool scavenging;
} st = {.lock = PTHREAD_MUTEX_INITIALIZER};

static char *slot_lo(char *tagged) {
  return (char *) ((uintptr_t) tagged & ~(uintptr_t) 1);
}

static size_t round_up(size_t v, size_t to) {
  return (v + to - 1) / to * to;
}

static long count_maps(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  long n = 0;
  int c;
  if (!f)
    return 1000;
  while ((c = fgetc(f)) != EOF)
    n += c == '\n';
  fclose(f);
  return n;
}

static long max_map_count(void) {
  FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
  long v = 65530;
  if (f) {
    if (fscanf(f, "%ld", &v) != 1)
      v = 65530;
    fclose(f);
  }
  return v;
}

/* ---- Overflow reporting (canary mode) ---- */

void beam__stack_check(beam__proc_t *p) {
  if (BEAM_LIKELY(!(p->pflags & BEAM__PF_CANARY)))
    return;
  uint64_t *c = (uint64_t *) p->ctx.stack_lo;
  if (BEAM_UNLIKELY(*c != CANARY)) {
    char pid[48];
    beam_pid_print(pid, sizeof pid, p->pid);
    BEAM_PANIC("stack overflow in process %s (entry %s, stack %zu bytes), "
               "found by its canary: the neighbouring slot is damaged",
               pid, beam__fn_name(p->fn), p->ctx.stack_size);
  }
}

void beam__stack_thread_init(beam__sched_t *s) {
  s->stacks.cached = 0;
  s->stacks.altstack = beam__malloc(ALTSTACK_BYTES);
  if (s->stacks.altstack) {
    stack_t ss = {.ss_sp = s->stacks.altstack, .ss_size = ALTSTACK_BYTES};
    sigaltstack(&ss, NULL);
  }
}

static void spill(beam__sched_t *s, unsigned n);

void beam__stack_release_cache(beam__sched_t *s) {
  spill(s, s->stacks.cached);
}

void beam__stack_thread_fini(beam__sched_t *s) {
  beam__stack_release_cache(s);
  if (s->stacks.altstack) {
    stack_t ss = {.ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    beam__free(s->stacks.altstack);
    s->stacks.altstack = NULL;
  }
}

/* ---- Classes and regions ---- */

int beam__stack_init(size_t default_usable, size_t guard_bytes) {
  st.page = (size_t) sysconf(_SC_PAGESIZE);
  st.guard_bytes = round_up(guard_bytes ? guard_bytes : st.page, st.page);
  st.desc_bytes = round_up(sizeof(beam__proc_t), BEAM_CACHELINE);
  /* Eight to a page; a field more and the idle figure grows by 64 B. The
  ** sanitizer builds add to the context (ctx.h), and lay out as they may. */
#if !defined(BEAM_ASAN) && !defined(BEAM_TSAN)
  BEAM_STATIC_ASSERT(sizeof(beam__proc_t) <= 512, "descriptor fits 512 B");
  BEAM_STATIC_ASSERT(offsetof(beam__proc_t, mbox.head) % BEAM_CACHELINE == 0,
                     "the queue head starts a line");
  BEAM_STATIC_ASSERT(offsetof(beam__proc_t, state) % BEAM_CACHELINE == 0,
                     "what senders read starts a line");
  BEAM_STATIC_ASSERT(offsetof(beam__proc_t, yield_reason) ==
                         offsetof(beam__proc_t, state) + BEAM_CACHELINE,
                     "nothing written at every switch shares senders' line");
#endif
  st.nclass = 0;
  st.guard = GUARD_MADVISE;
  st.coalesce = true;
  atomic_store(&st.next_scavenge_ms, 0);
  atomic_store(&st.resident, 0);
  atomic_store(&st.scavenging, false);
  st.mprotect_budget = (max_map_count() - count_maps()) / 2 - 4096;
  if (st.mprotect_budget < 0)
    st.mprotect_budget = 0;
  if (getenv("BEAM_STACK_GUARD")) { /* tests: force the fallbacks */
    const char *g = getenv("BEAM_STACK_GUARD");
    st.guard = !strcmp(g, "mprotect") ? GUARD_MPROTECT
               : !strcmp(g, "canary") ? GUARD_CANARY
                                      : GUARD_MADVISE;
  }
  (void) default_usable;
  return 0;
}

size_t beam__stack_desc_bytes(void) {
  /* What stack_init sets, computed again: beam_memory may ask from any
  ** thread while a beam_run boots, so it must not read 'st'. */
  return round_up(sizeof(beam__proc_t), BEAM_CACHELINE);
}

size_t beam__stack_guard_bytes(void) {
  return st.guard_bytes;
}

void beam__stack_fini(void) {
  for (unsigned i = 0; i < st.nclass; i++) {
    stack_class_t *c = &st.cls[i];
    region_t *r = c->regions;
    while (r) {
      region_t *next = r->next;
#ifdef BEAM_ASAN
      __lsan_unregister_root_region(r->base, c->desc_area);
#endif
      munmap(r->base, r->bytes);
      beam__free(r);
      r = next;
    }
    beam__free(c->warm.v);
    beam__free(c->aged.v);
    beam__free(c->cold.v);
    memset(c, 0, sizeof *c);
  }
  st.nclass = 0;
}

/* Under st.lock. */
static int class_for(size_t usable) {
  usable = round_up(usable < 16384 ? 16384 : usable, st.page);
  for (unsigned i = 0; i < st.nclass; i++)
    if (st.cls[i].usable == usable)
      return (int) i;
  if (st.nclass == MAX_CLASSES)
    return -1;
  stack_class_t *c = &st.cls[st.nclass];
  memset(c, 0, sizeof *c);
  c->usable = usable;
  c->slot_size = round_up(st.guard_bytes + usable, st.page);
  size_t per = c->slot_size + st.desc_bytes;
  c->region_bytes = REGION_BYTES;
  while (c->region_bytes < 16 * per + st.page)
    c->region_bytes *= 2;
  c->nslots = c->region_bytes / per;
  while (round_up(c->nslots * st.desc_bytes, st.page) +
             c->nslots * c->slot_size >
         c->region_bytes)
    c->nslots--;
  c->desc_area = round_up(c->nslots * st.desc_bytes, st.page);
  /* desc_of divides exact multiples of slot_size: a shift and a multiply
  ** by the odd part's inverse (Newton's iteration doubles its bits). */
  c->slot_shift = (unsigned) __builtin_ctzll(c->slot_size);
  uint64_t odd = c->slot_size >> c->slot_shift, inv = odd;
  for (int k = 0; k < 5; k++)
    inv *= 2 - odd * inv;
  c->slot_inv = inv;
  return (int) st.nclass++;
}

/* Under st.lock: room in every list for 'more' further slots. Lists that
** grew stay grown if a later one fails (harmless: 'cap' is unchanged). */
static int reserve(stack_class_t *c, size_t more) {
  slot_list_t *lists[3] = {&c->warm, &c->aged, &c->cold};
  for (int i = 0; i < 3; i++) {
    char **v = beam__realloc(lists[i]->v, (c->cap + more) * sizeof *v);
    if (!v)
      return BEAM_ENOMEM;
    lists[i]->v = v;
  }
  c->cap += more;
  return 0;
}

/* 'bytes' of fresh address space aligned to 'bytes' (a power of two). */
static void *map_aligned(size_t bytes) {
  /* Reserve twice the size inaccessible (no commit charge even under
  ** strict overcommit), keep the aligned part, make only that writable. */
  char *m = mmap(NULL, 2 * bytes, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED)
    return NULL;
  char *base = (char *) round_up((uintptr_t) m, bytes);
  if (base > m)
    munmap(m, (size_t) (base - m));
  if (base + bytes < m + 2 * bytes)
    munmap(base + bytes, (size_t) (m + 2 * bytes - (base + bytes)));
  if (mprotect(base, bytes, PROT_READ | PROT_WRITE) != 0) {
    munmap(base, bytes);
    return NULL;
  }
  return base;
}

/* Under st.lock: a new region for class 'c'. */
static int grow(stack_class_t *c) {
  region_t *r = beam__malloc(sizeof *r);
  if (!r || reserve(c, c->nslots) != 0) {
    beam__free(r);
    return BEAM_ENOMEM;
  }
  char *base = map_aligned(c->region_bytes);
  if (base == NULL) {
    beam__free(r);
    return BEAM_ENOMEM;
  }
  madvise(base, c->region_bytes, MADV_NOHUGEPAGE);
#ifdef BEAM_ASAN
  /* Descriptors point at heap blocks (heaps, saved stacks) that nothing
  ** else may reach when a program exits with processes still alive. */
  __lsan_register_root_region(base, c->desc_area);
#endif
  r->base = base;
  r->bytes = c->region_bytes;
  r->next = c->regions;
  c->regions = r;
  c->bump = base + c->desc_area;
  c->bump_end = c->bump + c->nslots * c->slot_size;
  return 0;
}

/* The descriptor of the slot at 'lo' (see "Layout"). */
static beam__proc_t *desc_of(const stack_class_t *c, const char *lo) {
  uintptr_t base = (uintptr_t) lo & ~(uintptr_t) (c->region_bytes - 1);
  uint64_t off = (uintptr_t) lo - base - c->desc_area; /* i * slot_size */
  uint64_t i = (off >> c->slot_shift) * c->slot_inv;
  return (beam__proc_t *) (base + i * st.desc_bytes);
}

/* A never-used slot gets its guard once; it survives MADV_DONTNEED.
** Returns the slot as stored in free lists: its address, with the low bit
** set when it has no guard (so its canary must be kept and checked; a
** guarded slot never writes the canary, which would touch a second page). */
static char *guard_slot(char *lo) {
  if (st.guard == GUARD_MADVISE) {
    if (madvise(lo, st.guard_bytes, MADV_GUARD_INSTALL) == 0)
      return lo;
    st.guard = GUARD_MPROTECT; /* kernel < 6.13, or Valgrind */
  }
  if (st.guard == GUARD_MPROTECT) {
    if (st.mprotect_budget > 0 &&
        mprotect(lo, st.guard_bytes, PROT_NONE) == 0) {
      st.mprotect_budget--;
      st.coalesce = false; /* releases must not span PROT_NONE pages */
      return lo;
    }
    st.guard = GUARD_CANARY;
  }
  return lo + 1;
}

static beam__proc_t *prepare(stack_class_t *c, unsigned cls, char *tagged) {
  char *lo = slot_lo(tagged);
  beam__proc_t *p = desc_of(c, lo);
  memset(p, 0, sizeof *p);
  p->stack_class = cls;
  p->ctx.stack_lo = lo + st.guard_bytes;
  p->ctx.stack_size = c->slot_size - st.guard_bytes;
#ifdef BEAM_ASAN
  __asan_unpoison_memory_region(p->ctx.stack_lo, p->ctx.stack_size);
#endif
  if (tagged != lo) {
    p->pflags |= BEAM__PF_CANARY;
    *(uint64_t *) p->ctx.stack_lo = CANARY;
  }
  return p;
}

/* The slot as stored in free lists (see guard_slot). */
static char *slot_tagged(beam__proc_t *p) {
  char *lo = (char *) p->ctx.stack_lo - st.guard_bytes;
  return (p->pflags & BEAM__PF_CANARY) ? lo + 1 : lo;
}

/* ---- Reuse ---- */

/* Under st.lock: one slot of class 'c', warmest first; NULL if out of
** memory. */
static char *take(stack_class_t *c) {
  if (c->warm.n > 0 || c->aged.n > 0) {
    atomic_fetch_sub_explicit(&st.resident, 1, memory_order_relaxed);
    return c->warm.n > 0 ? c->warm.v[--c->warm.n] : c->aged.v[--c->aged.n];
  }
  if (c->cold.n > 0)
    return c->cold.v[--c->cold.n];
  if (c->bump == NULL || c->bump + c->slot_size > c->bump_end)
    if (grow(c) != 0)
      return NULL;
  char *lo = guard_slot(c->bump);
  c->bump += c->slot_size;
  return lo;
}

/* Under st.lock (capacity: every slot is in at most one list). */
static void put_warm(stack_class_t *c, char *tagged) {
  c->warm.v[c->warm.n++] = tagged;
  atomic_fetch_add_explicit(&st.resident, 1, memory_order_relaxed);
}

/* Under st.lock: the default class, made on first use. */
static stack_class_t *default_class(void) {
  if (st.nclass == 0 && class_for(beam__rt.stack_size) != 0)
    return NULL;
  return &st.cls[0];
}

/* Move the 'n' oldest slots of 's''s cache (the bottom of its LIFO) to the
** global warm list. */
static void spill(beam__sched_t *s, unsigned n) {
  if (n == 0)
    return;
  pthread_mutex_lock(&st.lock);
  for (unsigned i = 0; i < n; i++)
    put_warm(&st.cls[0], s->stacks.cache[i]);
  pthread_mutex_unlock(&st.lock);
  s->stacks.cached -= n;
  memmove(s->stacks.cache, s->stacks.cache + n,
          s->stacks.cached * sizeof *s->stacks.cache);
}

/* Fill half of 's''s cache from the global lists (or fresh slots). */
static void refill(beam__sched_t *s) {
  pthread_mutex_lock(&st.lock);
  stack_class_t *c = default_class();
  while (c && s->stacks.cached < BEAM__STACK_BATCH) {
    bool fresh = c->warm.n + c->aged.n + c->cold.n == 0;
    char *lo = take(c);
    if (!lo)
      break;
    s->stacks.cache[s->stacks.cached++] = lo;
    if (fresh && s->stacks.cached >= BEAM__STACK_BATCH / 8)
      break; /* carving guards costs a system call each: a few at a time */
  }
  pthread_mutex_unlock(&st.lock);
}

beam__proc_t *beam__stack_alloc(beam__sched_t *s, size_t usable) {
  if (usable == 0 && s) {
    /* A spawning process holds no other descriptor, so this is a
    ** quiescent point: publishing it lets dead processes on other
    ** schedulers be reclaimed even while this one spawns without pause
    ** (else every spawn would carve a fresh slot), and reclaiming our own
    ** dead may refill the cache. */
    if (s->stacks.cached == 0)
      beam__qsbr_quiescent(s);
    if (s->stacks.cached == 0)
      refill(s);
    if (s->stacks.cached == 0)
      return NULL;
    return prepare(&st.cls[0], 0, s->stacks.cache[--s->stacks.cached]);
  }
  pthread_mutex_lock(&st.lock);
  int cls = default_class() == NULL ? -1 : usable == 0 ? 0 : class_for(usable);
  char *lo = cls < 0 ? NULL : take(&st.cls[cls]);
  pthread_mutex_unlock(&st.lock);
  return lo ? prepare(&st.cls[cls], (unsigned) cls, lo) : NULL;
}

void beam__stack_free(beam__sched_t *s, beam__proc_t *p) {
  unsigned cls = p->stack_class;
  char *tagged = slot_tagged(p);
  if (cls == 0 && s) {
    if (s->stacks.cached == BEAM__STACK_CACHE)
      spill(s, BEAM__STACK_BATCH);
    s->stacks.cache[s->stacks.cached++] = tagged;
    return;
  }
  pthread_mutex_lock(&st.lock);
  put_warm(&st.cls[cls], tagged);
  pthread_mutex_unlock(&st.lock);
}

/* ---- Stacks saved elsewhere (idle.c) ---- */

static int by_stack(const void *a, const void *b) {
  uintptr_t x = (uintptr_t) (*(beam__proc_t *const *) a)->ctx.stack_lo;
  uintptr_t y = (uintptr_t) (*(beam__proc_t *const *) b)->ctx.stack_lo;
  return x < y ? -1 : x > y;
}

void beam__stack_release_stacks(beam__proc_t **v, size_t n) {
  if (n == 0)
    return;
  pthread_mutex_lock(&st.lock);
  bool coalesce = st.coalesce;
  pthread_mutex_unlock(&st.lock);
  qsort(v, n, sizeof *v, by_stack);
  for (size_t i = 0; i < n;) {
    char *lo = v[i]->ctx.stack_lo;
    char *hi = lo + v[i]->ctx.stack_size;
    size_t j = i + 1;
    /* A neighbour's guard in between is a marker DONTNEED keeps. */
    while (coalesce && j < n &&
           (char *) v[j]->ctx.stack_lo - st.guard_bytes == hi) {
      hi = (char *) v[j]->ctx.stack_lo + v[j]->ctx.stack_size;
      j++;
    }
    madvise(lo, (size_t) (hi - lo), MADV_DONTNEED);
    i = j;
  }
}

void beam__stack_canary_reset(beam__proc_t *p) {
  if (p->pflags & BEAM__PF_CANARY)
    *(uint64_t *) p->ctx.stack_lo = CANARY;
}

/* ---- Scavenging ---- */

static int by_address(const void *a, const void *b) {
  uintptr_t x = (uintptr_t) *(char *const *) a;
  uintptr_t y = (uintptr_t) *(char *const *) b;
  return x < y ? -1 : x > y;
}

/* Give back the descriptor pages that slots [lo, lo + n slots) cover
** entirely (partial pages hold live neighbours). */
static void release_descs(const stack_class_t *c, const char *lo, size_t n) {
  uintptr_t a = (uintptr_t) desc_of(c, lo);
  uintptr_t b = a + n * st.desc_bytes;
  a = round_up(a, st.page);
  b -= b % st.page;
  if (a < b)
    madvise((void *) a, b - a, MADV_DONTNEED);
}

/* Release the memory of 'n' slots of class 'c' (not under the lock), in
** address order: runs of neighbours share one madvise for their stacks
** (when 'coalesce' allows) and one for their descriptors. */
static void release(stack_class_t *c, char **v, size_t n, bool coalesce) {
  qsort(v, n, sizeof *v, by_address);
  for (size_t i = 0; i < n;) {
    char *lo = slot_lo(v[i]);
    size_t j = i + 1;
    while (j < n && slot_lo(v[j]) == lo + (j - i) * c->slot_size)
      j++;
    /* The first guard stays out of the range; inner ones are guard
    ** markers, which MADV_DONTNEED leaves in place. */
    for (size_t k = i; k < j; k = coalesce ? j : k + 1)
      madvise(slot_lo(v[k]) + st.guard_bytes,
              (coalesce ? j - k : 1) * c->slot_size - st.guard_bytes,
              MADV_DONTNEED);
    release_descs(c, lo, j - i);
    i = j;
  }
}

/* One step for class 'c': release what was 'aged' at the start, then
** 'warm' becomes 'aged'. Chunks keep the lock free during system calls;
** allocations meanwhile may take from either list. */
static size_t scavenge_class(stack_class_t *c) {
  size_t released = 0;
  enum { CHUNK = 2048 };
  char *chunk[CHUNK];
  pthread_mutex_lock(&st.lock);
  bool coalesce = st.coalesce;
  while (c->aged.n > 0) { /* 'aged' grows only below, so this ends */
    size_t n = c->aged.n < CHUNK ? c->aged.n : CHUNK;
    c->aged.n -= n;
    memcpy(chunk, c->aged.v + c->aged.n, n * sizeof *chunk);
    atomic_fetch_sub_explicit(&st.resident, n, memory_order_relaxed);
    pthread_mutex_unlock(&st.lock);
    release(c, chunk, n, coalesce);
    released += n;
    pthread_mutex_lock(&st.lock);
    memcpy(c->cold.v + c->cold.n, chunk, n * sizeof *chunk);
    c->cold.n += n;
  }
  slot_list_t empty = c->aged;
  c->aged = c->warm;
  c->warm = empty;
  pthread_mutex_unlock(&st.lock);
  return released;
}

uint64_t beam__stack_scavenge(uint64_t now_ms) {
  uint64_t next = atomic_load_explicit(&st.next_scavenge_ms,
                                       memory_order_relaxed);
  if (atomic_load_explicit(&st.resident, memory_order_relaxed) == 0)
    return UINT64_MAX;
  if (now_ms < next)
    return next;
  if (atomic_exchange_explicit(&st.scavenging, true, memory_order_acquire))
    return now_ms + SCAVENGE_MS;
  atomic_store_explicit(&st.next_scavenge_ms, now_ms + SCAVENGE_MS,
                        memory_order_relaxed);
  pthread_mutex_lock(&st.lock);
  unsigned nclass = st.nclass; /* classes are only ever added */
  pthread_mutex_unlock(&st.lock);
  size_t released = 0;
  for (unsigned i = 0; i < nclass; i++)
    released += scavenge_class(&st.cls[i]);
  /* Many processes gone: their heaps were freed to malloc as small
  ** blocks, which it keeps unless asked to hand free pages back. */
  if (released >= TRIM_SLOTS)
    malloc_trim(0);
  atomic_store_explicit(&st.scavenging, false, memory_order_release);
  return now_ms + SCAVENGE_MS;
}
