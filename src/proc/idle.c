/* SPDX-License-Identifier: MIT */
/*
** idle.c: a process that waits for long gives its stack page back.
**
** Why. A process blocked in receive holds only a few hundred bytes of live
** stack (its frames down to the switch), but the page they sit on is 4 KiB
** of resident memory, which is most of what an idle process costs. After a
** while of waiting, its live stack is saved compactly on the malloc heap
** (zero words left out: a stack is mostly zeros and a few pointers), the
** pages go back to the OS (MADV_DONTNEED, merged across neighbours), and
** the first switch into it copies the words back to the same addresses (C
** code holds pointers into its own stack, such as the '&from' a receive
** fills in). Address space is plentiful; resident pages are not.
**
** Which processes. commit_wait stamps each wait with the idle epoch (a
** counter that moves every STEP_MS) and lists the process's pid on its
** scheduler once ('idle_listed'). A pass over a scheduler's list, once per
** step and at most BUDGET pids per call, drops processes that run again or
** died, keeps those that have not waited long enough, and freezes the
** rest: by default a process is frozen after 500-600 ms of waiting
** (beam_config_t.idle_stack_ms), and a process that keeps waiting and
** waking is looked at once per pass, not once per wait. Shorter would
** cost work that ends within a second (skynet, 1.1M processes: 9% of its
** time went to saving and restoring stacks at 100-200 ms), for memory
** that a waiting process only holds briefly anyway.
** Frozen processes are off the list: an idle runtime does no work at all.
**
** Ownership. Freezing takes the process from WAITING (or SLEEPING) to
** FREEZING by CAS, so no waker and no other scheduler can resume it
** meanwhile: a waker's CAS fails, exactly as if the process were running.
** Putting the state back goes through commit_wait, which, like any wait,
** then looks at the mailbox, the signal flag and the deadline: whatever
** came while it was frozen wakes it (proc.c's handshake).
**
** Dropping a pid races with the process waiting again elsewhere; both
** sides store their flag and then load the other's, seq_cst, so at least
** one of them lists it (and the exchange on 'idle_listed' lists it once).
**
** Hibernation (beam_hibernate) discards the stack outright. Its release
** is batched (a system call and a TLB shootdown per hibernation cost
** spawn-and-hibernate storms 2x), but the process waits at once: its
** 'hib_release' says PENDING, and whichever comes first wins it by CAS:
** the batch's flush (RELEASING, then NONE once the pages are gone) or the
** process's next thaw (NONE: the pages stay, a first frame goes on them;
** a thaw that finds RELEASING waits the few microseconds of the madvise).
** The batch holds pids, not descriptors, so a process that woke and died
** meanwhile is simply not found. A scheduler stuck in a C loop therefore
** only delays giving the memory back, never a wake-up.
**
** Sanitizers: the stack copy reads and writes another context's frames,
** whose ASan redzones are poisoned; the copy loops are not instrumented.
*/
#include "idle.h"
#include "../sched/runq.h"
#include "../sched/sched.h"
#include "../timer/timers.h"
#include "ptab.h"
#include "stack.h"

#include <malloc.h>

#define STEP_MS 100 /* epoch length; a pass per scheduler per epoch */
#define BUDGET 16384 /* pids looked at per call */
#define BATCH 256    /* processes frozen per release */
#define TRIM_BYTES ((size_t) 16 << 20) /* freed saved stacks per trim */

enum { HIB_NONE = 0, HIB_PENDING, HIB_RELEASING }; /* 'hib_release' */

static inline void cpu_relax(void) {
#if defined(__x86_64__)
  __asm__ volatile("pause");
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

_Atomic uint32_t beam__idle_epoch = 1;
static _Atomic uint64_t epoch_next_ms;
static _Atomic size_t freed_bytes; /* saved stacks freed since a trim */
static _Atomic size_t live_count, live_bytes; /* saved stacks now */
static _Atomic size_t hibernated;             /* discarded stacks now */
/* Epochs a wait must have lasted (beam_config_t.idle_stack_ms); 0: never.
** Set at boot, before any scheduler runs. */
static uint32_t min_epochs = 6;

void beam__idle_configure(int64_t ms) {
  /* Waited at least 'ms': 'ms' rounded up to epochs, plus the one in
  ** progress when the wait began; saturated far beyond any uptime. */
  int64_t epochs = ms / STEP_MS + (ms % STEP_MS != 0) + 1;
  min_epochs = ms < 0                      ? 0
               : epochs >= UINT32_MAX / 2 ? UINT32_MAX / 2
                                          : (uint32_t) epochs;
  /* The clock restarts with each run (beam__rt_now_ms). */
  atomic_store_explicit(&epoch_next_ms, 0, memory_order_relaxed);
}

/* A saved stack: 'words' words from the saved sp to the top; a bitmap of
** which are nonzero, then those words in order. */
typedef struct beam__idle_stack {
  uint32_t words, kept;
  uint64_t data[];
} beam__idle_stack_t;

static size_t bitmap_words(size_t words) {
  return (words + 63) / 64;
}

static size_t saved_bytes(const beam__idle_stack_t *f) {
  return sizeof *f + (bitmap_words(f->words) + f->kept) * sizeof(uint64_t);
}

static void free_saved(beam__idle_stack_t *f) {
  if (!f)
    return;
  size_t n = saved_bytes(f);
  atomic_fetch_add_explicit(&freed_bytes, n, memory_order_relaxed);
  atomic_fetch_sub_explicit(&live_bytes, n, memory_order_relaxed);
  atomic_fetch_sub_explicit(&live_count, 1, memory_order_relaxed);
  beam__free(f);
}

void beam__idle_stats(size_t *away, size_t *bytes) {
  *away = atomic_load_explicit(&live_count, memory_order_relaxed) +
          atomic_load_explicit(&hibernated, memory_order_relaxed);
  *bytes = atomic_load_explicit(&live_bytes, memory_order_relaxed);
}

/* A million saved stacks freed on wake leave a million small holes that
** malloc keeps; once enough went, hand the free pages back. */
static void maybe_trim(void) {
  if (atomic_load_explicit(&freed_bytes, memory_order_relaxed) < TRIM_BYTES)
    return;
  if (atomic_exchange_explicit(&freed_bytes, 0, memory_order_relaxed) >=
      TRIM_BYTES) /* one scheduler trims */
    malloc_trim(0);
}

static int pidvec_push(beam__pidvec_t *v, uint64_t pid) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? 2 * v->cap : 1024;
    uint64_t *nv = beam__realloc(v->v, cap * sizeof *nv);
    if (!nv)
      return BEAM_ENOMEM;
    v->v = nv;
    v->cap = cap;
  }
  v->v[v->n++] = pid;
  return 0;
}

void beam__idle_list(beam__sched_t *s, beam__proc_t *p) {
  if (min_epochs == 0)
    return;
  if (atomic_exchange_explicit(&p->idle_listed, true, memory_order_seq_cst))
    return;
  if (pidvec_push(&s->idle.in, p->pid.raw) != 0) /* best effort */
    atomic_store_explicit(&p->idle_listed, false, memory_order_relaxed);
}

/* ---- Saving and restoring a stack ---- */

BEAM_NO_SANITIZE_ADDRESS
static beam__idle_stack_t *save(const uint64_t *sp, size_t words) {
  size_t kept = 0;
  for (size_t i = 0; i < words; i++)
    kept += sp[i] != 0;
  size_t nb = bitmap_words(words);
  beam__idle_stack_t *f =
      beam__malloc(sizeof *f + (nb + kept) * sizeof(uint64_t));
  if (!f)
    return NULL;
  f->words = (uint32_t) words;
  f->kept = (uint32_t) kept;
  uint64_t *bits = f->data, *out = f->data + nb;
  for (size_t b = 0; b < nb; b++)
    bits[b] = 0;
  for (size_t i = 0; i < words; i++)
    if (sp[i] != 0) {
      bits[i / 64] |= (uint64_t) 1 << (i % 64);
      *out++ = sp[i];
    }
  atomic_fetch_add_explicit(&live_bytes, saved_bytes(f), memory_order_relaxed);
  atomic_fetch_add_explicit(&live_count, 1, memory_order_relaxed);
  return f;
}

BEAM_NO_SANITIZE_ADDRESS
static void restore(uint64_t *sp, const beam__idle_stack_t *f) {
  const uint64_t *bits = f->data, *in = f->data + bitmap_words(f->words);
  for (size_t i = 0; i < f->words; i++)
    sp[i] = (bits[i / 64] >> (i % 64)) & 1 ? *in++ : 0;
}

static uint64_t *stack_top(const beam__proc_t *p) {
  return (uint64_t *) ((char *) p->ctx.stack_lo + p->ctx.stack_size);
}

void beam__idle_thaw(beam__proc_t *p) {
  beam__idle_stack_t *f = p->frozen;
  p->pflags &= ~(uint32_t) BEAM__PF_AWAY;
  beam__stack_canary_reset(p);
  if (f) {
    restore((uint64_t *) p->ctx.sp, f);
    p->frozen = NULL;
    free_saved(f);
    return;
  }
  /* Hibernated: a new first frame on the empty stack, once no release
  ** of it is under way (see the top). */
  atomic_fetch_sub_explicit(&hibernated, 1, memory_order_relaxed);
  uint8_t rel = HIB_PENDING;
  if (!atomic_compare_exchange_strong_explicit(&p->hib_release, &rel,
                                               HIB_NONE, memory_order_acquire,
                                               memory_order_acquire))
    while (atomic_load_explicit(&p->hib_release, memory_order_acquire) ==
           HIB_RELEASING)
      cpu_relax();
#ifdef BEAM_ASAN
  __asan_unpoison_memory_region(p->ctx.stack_lo, p->ctx.stack_size);
#endif
  beam__ctx_make(&p->ctx, beam__proc_entry);
}

/* Release the stacks of the hibernations gathered so far that no thaw
** took back (see the top): one madvise for neighbours. */
static void flush_hibernated(beam__sched_t *s) {
  beam__proc_t *rel[BEAM__HIB_BATCH];
  unsigned n = 0;
  for (unsigned i = 0; i < s->idle.hib_n; i++) {
    beam__proc_t *p = beam__ptab_lookup((beam_pid_t){s->idle.hib[i]});
    uint8_t pending = HIB_PENDING;
    if (p && atomic_compare_exchange_strong_explicit(
                 &p->hib_release, &pending, HIB_RELEASING,
                 memory_order_acquire, memory_order_relaxed))
      rel[n++] = p;
  }
  s->idle.hib_n = 0;
  beam__stack_release_stacks(rel, n);
  for (unsigned i = 0; i < n; i++)
    atomic_store_explicit(&rel[i]->hib_release, HIB_NONE,
                          memory_order_release);
}

void beam__idle_flush(beam__sched_t *s) {
  if (s->idle.hib_n > 0)
    flush_hibernated(s);
}

void beam__idle_hibernated(beam__sched_t *s, beam__proc_t *p) {
  beam__ctx_fini(&p->ctx); /* its TSan fiber; thaw makes a new one */
  p->pflags |= BEAM__PF_AWAY;
  atomic_fetch_add_explicit(&hibernated, 1, memory_order_relaxed);
  if (p->mbox.inner_len > 0) { /* erlang:hibernate/3 wakes at once */
    atomic_store_explicit(&p->state, BEAM__P_RUNNABLE, memory_order_relaxed);
    beam__sched_ready(s, p, false);
    return;
  }
  /* The release waits for a batch (full, 1 ms old at the next pick, or
  ** when the scheduler looks for work elsewhere or benches); the wait
  ** does not (see the top). */
  atomic_store_explicit(&p->hib_release, HIB_PENDING, memory_order_relaxed);
  if (s->idle.hib_n == 0)
    s->idle.hib_due_ms = beam__rt_now_ms() + 1;
  s->idle.hib[s->idle.hib_n++] = p->pid.raw;
  if (s->idle.hib_n == BEAM__HIB_BATCH)
    flush_hibernated(s);
  beam__sched_commit_wait(s, p, BEAM__P_WAITING, false);
}

void beam__idle_discard(beam__proc_t *p) {
  if ((p->pflags & BEAM__PF_AWAY) && p->frozen == NULL)
    atomic_fetch_sub_explicit(&hibernated, 1, memory_order_relaxed);
  p->pflags &= ~(uint32_t) BEAM__PF_AWAY;
  free_saved(p->frozen);
  p->frozen = NULL;
}

/* ---- Passes ---- */

typedef struct frozen {
  beam__proc_t *p;
  uint32_t st;
} frozen_t;

/* Save the stacks of processes [0, n) (all FREEZING), release their memory,
** and put them back to waiting. */
static void freeze(beam__sched_t *s, frozen_t *v, size_t n) {
  beam__proc_t *rel[BATCH];
  size_t nrel = 0;
  for (size_t i = 0; i < n; i++) {
    beam__proc_t *p = v[i].p;
    /* Hibernated, or frozen already by an older listing: no stack to
    ** save. ('pflags' is ours to read: the CAS made us the owner.) */
    if (p->pflags & BEAM__PF_AWAY)
      continue;
    uint64_t *sp = p->ctx.sp;
    p->frozen = save(sp, (size_t) (stack_top(p) - sp));
    if (p->frozen) {
      p->pflags |= BEAM__PF_AWAY;
      rel[nrel++] = p;
    }
  }
  beam__stack_release_stacks(rel, nrel);
  for (size_t i = 0; i < n; i++)
    beam__sched_commit_wait(s, v[i].p, v[i].st, false);
}

/* Take 'pid' off the list unless it is waiting again (see the top). */
static bool drop(beam__proc_t *p) {
  atomic_store_explicit(&p->idle_listed, false, memory_order_seq_cst);
  uint32_t st = atomic_load_explicit(&p->state, memory_order_seq_cst);
  if (st != BEAM__P_WAITING && st != BEAM__P_SLEEPING)
    return true;
  return atomic_exchange_explicit(&p->idle_listed, true, memory_order_seq_cst);
}

/* What to do with one listed pid: keep it listed (true) or not. */
static bool look_at(beam__proc_t *p, uint32_t epoch, frozen_t *batch,
                    size_t *nb) {
  uint32_t st = atomic_load_explicit(&p->state, memory_order_seq_cst);
  if (st != BEAM__P_WAITING && st != BEAM__P_SLEEPING)
    return !drop(p);
  uint32_t since = atomic_load_explicit(&p->wait_epoch, memory_order_relaxed);
  if (epoch - since < min_epochs)
    return true;
  uint32_t expected = st;
  if (!atomic_compare_exchange_strong_explicit(
          &p->state, &expected, BEAM__P_FREEZING, memory_order_seq_cst,
          memory_order_relaxed))
    return true; /* woken meanwhile: the next pass decides */
  atomic_store_explicit(&p->idle_listed, false, memory_order_relaxed);
  batch[(*nb)++] = (frozen_t){p, st};
  return false;
}

static void advance_epoch(uint64_t now_ms) {
  uint64_t next = atomic_load_explicit(&epoch_next_ms, memory_order_relaxed);
  if (now_ms >= next &&
      atomic_compare_exchange_strong_explicit(&epoch_next_ms, &next,
                                              now_ms + STEP_MS,
                                              memory_order_relaxed,
                                              memory_order_relaxed))
    atomic_fetch_add_explicit(&beam__idle_epoch, 1, memory_order_relaxed);
}

uint64_t beam__idle_step(beam__sched_t *s, uint64_t now_ms) {
  maybe_trim();
  if (s->idle.hib_n > 0)
    flush_hibernated(s);
  if (s->idle.pass.n == 0) {
    if (s->idle.in.n == 0)
      return UINT64_MAX;
    if (now_ms < s->idle.next_ms)
      return s->idle.next_ms;
    /* A new pass: what was listed since the last one. The spent vector
    ** does not keep the size a burst of spawns once gave it. */
    if (s->idle.pass.cap > 65536) {
      beam__free(s->idle.pass.v);
      s->idle.pass = (beam__pidvec_t){0};
    }
    beam__pidvec_t t = s->idle.pass;
    s->idle.pass = s->idle.in;
    s->idle.in = t;
    s->idle.next_ms = now_ms + STEP_MS;
  }
  advance_epoch(now_ms);
  uint32_t epoch = atomic_load_explicit(&beam__idle_epoch,
                                        memory_order_relaxed);
  frozen_t batch[BATCH];
  size_t nb = 0;
  for (int k = 0; k < BUDGET && s->idle.pass.n > 0; k++) {
    uint64_t pid = s->idle.pass.v[--s->idle.pass.n];
    beam__proc_t *p = beam__ptab_lookup((beam_pid_t){pid});
    if (p && look_at(p, epoch, batch, &nb) &&
        pidvec_push(&s->idle.in, pid) != 0)
      atomic_store_explicit(&p->idle_listed, false, memory_order_relaxed);
    if (nb == BATCH) {
      freeze(s, batch, nb);
      nb = 0;
    }
  }
  freeze(s, batch, nb);
  return s->idle.pass.n > 0 ? now_ms : s->idle.next_ms;
}

void beam__idle_thread_fini(beam__sched_t *s) {
  beam__free(s->idle.in.v);
  beam__free(s->idle.pass.v);
  s->idle.in = (beam__pidvec_t){0};
  s->idle.pass = (beam__pidvec_t){0};
}
