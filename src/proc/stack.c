/* SPDX-License-Identifier: MIT */
/*
** stack.c: process stacks, a million at a time on default kernel settings.
**
** Layout. Stacks of one size class are fixed-size *slots* carved from large
** MAP_NORESERVE regions (one VMA each, pages fault in on first touch,
** MADV_NOHUGEPAGE so a touched stack never costs 2 MiB). A slot is
**
**     lo                                                         hi
**     | guard page | stack, growing down ...  | process descriptor |
**
** so a fresh process touches one page for its descriptor and the top of its
** stack together (DESIGN-NOTES §2: the first touch of a page costs 3-10 us
** here; that page is the whole price of an idle process).
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
** sigaltstack: the handler checks the fault address against the running
** process's guard and reports "stack overflow in process <0.N.S>" before
** aborting. (Turning it into that process's crash instead is issue #4.)
**
** Reuse. Each scheduler keeps up to BEAM__STACK_CACHE warm slots of the
** default class (LIFO, no system call: spawn after exit reuses hot memory).
** Slots beyond that go to the class's global free list after
** MADV_DONTNEED, which returns their memory to the OS at once: after a
** million processes end, RSS falls back.
**
** Threading: regions, free lists and the guard budget are under the class
** lock; the per-scheduler cache is touched only by its scheduler.
*/
#include "../sched/sched.h"

#include <dlfcn.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#define MAX_CLASSES 16
#define REGION_BYTES ((size_t) 64 << 20) /* 64 MiB of address space */
#define CANARY UINT64_C(0xcbea4dead5eed5ee)
#define ALTSTACK_BYTES ((size_t) 64 << 10)

typedef struct region {
  struct region *next;
  char *base;
  size_t bytes;
} region_t;

typedef struct stack_class {
  size_t slot_size; /* bytes, guard + stack + descriptor */
  size_t usable;    /* stack bytes the process may use */
  region_t *regions;
  char *bump, *bump_end; /* never-used slots of the newest region */
  void **free;           /* global free slots (memory already released) */
  size_t nfree, free_cap;
} stack_class_t;

enum guard_mode { GUARD_MADVISE, GUARD_MPROTECT, GUARD_CANARY };

static struct {
  pthread_mutex_t lock;
  stack_class_t cls[MAX_CLASSES];
  unsigned nclass;
  size_t page;
  size_t desc_bytes; /* descriptor size rounded to a cache line */
  enum guard_mode guard;
  long mprotect_budget;
  struct sigaction old_segv, old_bus;
  bool handler_installed;
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

/* ---- Overflow reporting ---- */

static void say(const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(2, s, n);
    if (w <= 0)
      return;
    s += w;
    n -= (size_t) w;
  }
}

static void report_overflow(beam__proc_t *p) {
  char buf[256], pid[48];
  beam_pid_print(pid, sizeof pid, p->pid);
  Dl_info info;
  const char *fn = "?";
  if (dladdr((void *) (uintptr_t) p->fn, &info) && info.dli_sname)
    fn = info.dli_sname;
  snprintf(buf, sizeof buf,
           "cbeam: stack overflow in process %s (entry %s, stack %zu "
           "bytes); aborting\n",
           pid, fn, p->ctx.stack_size);
  say(buf);
}

static bool in_guard(beam__proc_t *p, uintptr_t addr) {
  uintptr_t lo = (uintptr_t) p->ctx.stack_lo;
  /* The guard page, and anything a large frame jumped to below it. */
  return addr < lo + 256 && addr + st.page * 16 >= lo;
}

static void on_fault(int sig, siginfo_t *si, void *uc) {
  beam__sched_t *s = beam__tls()->sched;
  beam__proc_t *p = s ? s->current : NULL;
  if (p && in_guard(p, (uintptr_t) si->si_addr)) {
    report_overflow(p);
    signal(SIGABRT, SIG_DFL);
    abort();
  }
  /* Not ours: hand it to whoever was there before, or die as usual. */
  struct sigaction *old = sig == SIGSEGV ? &st.old_segv : &st.old_bus;
  if (old->sa_flags & SA_SIGINFO && old->sa_sigaction) {
    old->sa_sigaction(sig, si, uc);
    return;
  }
  if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN &&
      old->sa_handler) {
    old->sa_handler(sig);
    return;
  }
  signal(sig, SIG_DFL); /* returning re-faults and kills with the signal */
}

void beam__stack_check(beam__proc_t *p) {
  if (BEAM_LIKELY(!(p->pflags & BEAM__PF_CANARY)))
    return;
  uint64_t *c = (uint64_t *) p->ctx.stack_lo;
  if (BEAM_UNLIKELY(*c != CANARY)) {
    report_overflow(p);
    abort();
  }
}

void beam__stack_thread_init(beam__sched_t *s) {
  s->stack_cached = 0;
  s->altstack = beam__malloc(ALTSTACK_BYTES);
  if (s->altstack) {
    stack_t ss = {.ss_sp = s->altstack, .ss_size = ALTSTACK_BYTES};
    sigaltstack(&ss, NULL);
  }
}

void beam__stack_thread_fini(beam__sched_t *s) {
  for (unsigned i = 0; i < s->stack_cached; i++) {
    stack_class_t *c = &st.cls[0];
    char *lo = s->stack_cache[i];
    madvise(slot_lo(lo) + st.page, c->slot_size - st.page, MADV_DONTNEED);
    pthread_mutex_lock(&st.lock);
    c->free[c->nfree++] = lo; /* capacity reserved at region creation */
    pthread_mutex_unlock(&st.lock);
  }
  s->stack_cached = 0;
  if (s->altstack) {
    stack_t ss = {.ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    beam__free(s->altstack);
    s->altstack = NULL;
  }
}

/* ---- Classes and regions ---- */

int beam__stack_init(size_t default_usable) {
  st.page = (size_t) sysconf(_SC_PAGESIZE);
  st.desc_bytes = round_up(sizeof(beam__proc_t), BEAM_CACHELINE);
  st.nclass = 0;
  st.guard = GUARD_MADVISE;
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
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &st.old_segv);
  sigaction(SIGBUS, &sa, &st.old_bus);
  st.handler_installed = true;
  return 0;
}

void beam__stack_fini(void) {
  for (unsigned i = 0; i < st.nclass; i++) {
    stack_class_t *c = &st.cls[i];
    region_t *r = c->regions;
    while (r) {
      region_t *next = r->next;
      munmap(r->base, r->bytes);
      beam__free(r);
      r = next;
    }
    beam__free(c->free);
    memset(c, 0, sizeof *c);
  }
  st.nclass = 0;
  if (st.handler_installed) {
    sigaction(SIGSEGV, &st.old_segv, NULL);
    sigaction(SIGBUS, &st.old_bus, NULL);
    st.handler_installed = false;
  }
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
  c->slot_size = round_up(st.page + usable + st.desc_bytes, st.page);
  return (int) st.nclass++;
}

/* Under st.lock: a new region for class 'c'. */
static int grow(stack_class_t *c) {
  size_t slots = REGION_BYTES / c->slot_size;
  if (slots < 16)
    slots = 16;
  size_t bytes = slots * c->slot_size;
  region_t *r = beam__malloc(sizeof *r);
  void **nf = beam__realloc(c->free, (c->free_cap + slots) * sizeof *nf);
  if (!r || !nf) {
    beam__free(r);
    if (nf)
      c->free = nf;
    return BEAM_ENOMEM;
  }
  c->free = nf;
  c->free_cap += slots;
  void *base = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) {
    beam__free(r);
    return BEAM_ENOMEM;
  }
  madvise(base, bytes, MADV_NOHUGEPAGE);
  r->base = base;
  r->bytes = bytes;
  r->next = c->regions;
  c->regions = r;
  c->bump = base;
  c->bump_end = (char *) base + bytes;
  return 0;
}

/* A never-used slot gets its guard once; it survives MADV_DONTNEED.
** Returns the slot as stored in free lists: its address, with the low bit
** set when it has no guard (so its canary must be kept and checked; a
** guarded slot never writes the canary, which would touch a second page). */
static char *guard_slot(char *lo) {
  if (st.guard == GUARD_MADVISE) {
    if (madvise(lo, st.page, MADV_GUARD_INSTALL) == 0)
      return lo;
    st.guard = GUARD_MPROTECT; /* kernel < 6.13, or Valgrind */
  }
  if (st.guard == GUARD_MPROTECT) {
    if (st.mprotect_budget > 0 && mprotect(lo, st.page, PROT_NONE) == 0) {
      st.mprotect_budget--;
      return lo;
    }
    st.guard = GUARD_CANARY;
  }
  return lo + 1;
}

static beam__proc_t *prepare(stack_class_t *c, unsigned cls, char *tagged) {
  char *lo = slot_lo(tagged);
  beam__proc_t *p = (beam__proc_t *) (lo + c->slot_size - st.desc_bytes);
  memset(p, 0, sizeof *p);
  p->stack_class = cls;
  p->ctx.stack_lo = lo + st.page;
  p->ctx.stack_size = (size_t) ((char *) p - (lo + st.page));
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
  char *lo = (char *) p->ctx.stack_lo - st.page;
  return (p->pflags & BEAM__PF_CANARY) ? lo + 1 : lo;
}

beam__proc_t *beam__stack_alloc(beam__sched_t *s, size_t usable) {
  if (usable == 0 && s && s->stack_cached > 0)
    return prepare(&st.cls[0], 0, s->stack_cache[--s->stack_cached]);
  pthread_mutex_lock(&st.lock);
  if (st.nclass == 0 && class_for(beam__rt.stack_size) != 0) {
    pthread_mutex_unlock(&st.lock);
    return NULL;
  }
  int cls = usable == 0 ? 0 : class_for(usable);
  if (cls < 0) {
    pthread_mutex_unlock(&st.lock);
    return NULL;
  }
  stack_class_t *c = &st.cls[cls];
  char *lo = NULL;
  if (c->nfree > 0) {
    lo = c->free[--c->nfree];
  } else {
    if (c->bump == NULL || c->bump + c->slot_size > c->bump_end) {
      if (grow(c) != 0) {
        pthread_mutex_unlock(&st.lock);
        return NULL;
      }
    }
    lo = guard_slot(c->bump);
    c->bump += c->slot_size;
  }
  pthread_mutex_unlock(&st.lock);
  return prepare(c, (unsigned) cls, lo);
}

void beam__stack_free(beam__sched_t *s, beam__proc_t *p) {
  unsigned cls = p->stack_class;
  stack_class_t *c = &st.cls[cls];
  char *tagged = slot_tagged(p);
  if (cls == 0 && s && s->stack_cached < BEAM__STACK_CACHE) {
    s->stack_cache[s->stack_cached++] = tagged;
    return;
  }
  madvise(slot_lo(tagged) + st.page, c->slot_size - st.page, MADV_DONTNEED);
  pthread_mutex_lock(&st.lock);
  c->free[c->nfree++] = tagged;
  pthread_mutex_unlock(&st.lock);
}
