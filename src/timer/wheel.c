/* SPDX-License-Identifier: MIT */
/*
** wheel.c: a hierarchical timing wheel with cascading, 1 ms resolution, one
** per scheduler (receive timeouts, sleep, send_after). Single-threaded: the
** scheduler holds its lock around every call, so there are no atomics.
**
** Layout. 6 levels of 64 slots. A slot at level 'l' spans 64^l ms, so level
** 0 has one slot per ms and the whole wheel spans 2^36 ms (~2.2 years).
** Each slot is an intrusive list; each level has a 64-bit occupancy bitmap.
** Two more lists: 'due' (deadline <= 'now' when added: fires at the next
** advance) and 'far' (deadline beyond the wheel's span). 'now' is the time
** of the last advance: every timer with deadline <= 'now' has fired except
** those on 'due'.
**
** Filing rule. A timer with deadline 'd > now' goes to the level of the
** highest 6-bit group in which 'd' and 'now' differ, in the slot given by
** that group of 'd':  l = msb(d ^ now) / 6,  s = (d >> 6l) & 63. If they
** differ above bit 35 the timer goes on 'far'.
**
** Invariant (checked by 'beam__wheel_verify'). Every timer in slot (l, s)
** still satisfies the filing rule for the current 'now'. Consequences:
**   1. every occupied slot of level 'l' lies strictly after now's own slot
**      at that level, in the same turn of the level, so the earliest slot
**      of a level is simply its lowest set bit (no rotation, no scan);
**   2. all of level l's timers are earlier than all of level l+1's (they
**      share now's level-(l+1) slot, which lies before any occupied one),
**      and far timers are later than all of them;
**   3. level 0 is exact: each of its slots holds one deadline.
** So the next event is the start of the lowest set bit of the lowest
** non-empty level: 'next' is a few bit scans, and advance jumps from event
** to event, never visiting an empty slot (a scheduler that slept 10 s does
** a handful of steps, not 10,000).
**
** Advance(t). Repeat while the next event E <= t: set now = E; if E is a
** level-0 slot, its timers fire; if it is a higher slot, its timers are
** re-filed against the new 'now' (cascade), those with deadline == E fire
** at once. Then now = t. Setting 'now' only to event times keeps the
** invariant: 'now' never passes the start of an unprocessed slot. Each
** timer cascades at most 5 times over its life, so advance is amortised
** O(1) per timer plus O(levels) per call.
**
** Order. Events are processed in increasing time, so fired timers come out
** in deadline order. Ties keep add order because a slot is a FIFO and,
** by the invariant, two pending timers with equal deadlines are always in
** the same list (the later one was filed against a later 'now', which can
** only select the slot the earlier one has cascaded into by then). The
** 'due' list is unordered (adds must stay O(1)) and is stable-sorted when
** it fires; it is empty or tiny in practice.
**
** Far timers. A timer beyond 2^36 ms waits on 'far' with a lower bound
** 'far_min' of its deadlines; when the wheel is empty and reaches the start
** of far_min's 2^36 block, every far timer is re-filed (each at most once
** per 2.2 years of wheel time). Cancelling leaves 'far_min' low, which only
** costs one early re-filing.
**
** Rejected alternatives.
** - Linux-style non-cascading levels (DESIGN-NOTES section 7): a timer fires
**   up to one bucket late (a 5000 ms timeout in a 512 ms bucket fires late
**   by up to ~12%); receive timeouts must be exact.
** - A binary heap (libuv) or a red-black tree (libdill): O(log n) add and
**   cancel; most timeouts are cancelled, so that cost is paid for nothing.
** - BEAM's two 2^14-slot wheels: 256 KiB of heads per scheduler and
**   counter scans to find the next timeout; our bitmaps make it O(levels).
** - Clamping far timers into the top level: when 'now' is in the last slot
**   of its top-level turn there is no later slot to put them in.
**
** Known cost: 'next' is exact only within the current 64 ms block; for a
** later timer it returns the start of its slot, so a scheduler sleeping on
** it wakes at most once per level to cascade (3 wake-ups for a 5 s timeout).
*/
#include "../internal.h"
#include "wheel.h"

#define BITS      BEAM__WHEEL_SLOT_BITS
#define LEVELS    BEAM__WHEEL_LEVELS
#define SPAN_BITS (BITS * LEVELS)
#define DUE       (LEVELS * BEAM__WHEEL_SLOTS) /* index of the 'due' list */
#define FAR       (DUE + 1)                    /* index of the 'far' list */

BEAM_STATIC_ASSERT(SPAN_BITS < 64, "wheel span must fit in a uint64_t");
BEAM_STATIC_ASSERT(BEAM__WHEEL_SLOTS == 64, "a level's bitmap is 64 bits");

/* ---- Intrusive lists: NULL-terminated, head->prev is the tail ---- */

static void list_append(beam__timer_t **head, beam__timer_t *t) {
  beam__timer_t *h = *head;
  t->next = NULL;
  if (h == NULL) {
    t->prev = t;
    *head = t;
  } else {
    t->prev = h->prev;
    h->prev->next = t;
    h->prev = t;
  }
}

static void list_unlink(beam__timer_t **head, beam__timer_t *t) {
  beam__timer_t *h = *head;
  if (t == h) {
    *head = t->next;
    if (t->next)
      t->next->prev = t->prev; /* the new head inherits the tail pointer */
  } else {
    t->prev->next = t->next;
    if (t->next)
      t->next->prev = t->prev;
    else
      h->prev = t->prev; /* 't' was the tail */
  }
}

/* ---- Filing ---- */

/* Mask of the low bits spanned by one turn of level 'l' (l < LEVELS). */
static uint64_t turn_mask(int l) {
  return ((uint64_t) 1 << (BITS * (l + 1))) - 1;
}

/* File 't' (deadline > now) by the filing rule; see the top comment. */
static void file(beam__wheel_t *w, beam__timer_t *t) {
  uint64_t d = t->deadline, diff = d ^ w->now;
  beam_assert(d > w->now);
  if (diff >> SPAN_BITS) {
    list_append(&w->list[FAR], t);
    t->where = FAR + 1;
    w->far_min = BEAM_MIN(w->far_min, d);
    return;
  }
  int l = (63 - __builtin_clzll(diff)) / BITS;
  unsigned s = (unsigned) (d >> (BITS * l)) & (BEAM__WHEEL_SLOTS - 1);
  unsigned i = (unsigned) l * BEAM__WHEEL_SLOTS + s;
  list_append(&w->list[i], t);
  t->where = i + 1;
  w->occupied[l] |= (uint64_t) 1 << s;
}

/* The next event: sets '*level' (LEVELS means the far list) and returns its
** time, or returns UINT64_MAX with '*level' = -1 if only 'due' (or nothing)
** is pending. Reads bitmaps only. */
static uint64_t next_event(const beam__wheel_t *w, int *level) {
  for (int l = 0; l < LEVELS; l++) {
    if (w->occupied[l]) {
      unsigned s = (unsigned) __builtin_ctzll(w->occupied[l]);
      *level = l;
      return (w->now & ~turn_mask(l)) | ((uint64_t) s << (BITS * l));
    }
  }
  if (w->list[FAR]) {
    *level = LEVELS;
    return w->far_min & ~(((uint64_t) 1 << SPAN_BITS) - 1);
  }
  *level = -1;
  return UINT64_MAX;
}

/* ---- Firing ---- */

typedef struct fired {
  beam__timer_t *head, **tailp;
  size_t n;
} fired_t;

static void fire(fired_t *out, beam__timer_t *t) {
  t->where = 0;
  t->prev = NULL;
  t->next = NULL;
  *out->tailp = t;
  out->tailp = &t->next;
  out->n++;
}

/* Stable merge sort by deadline of a NULL-terminated list (through 'next'):
** bottom-up, runs of 'run' elements merged pairwise, O(n log n). */
static beam__timer_t *sort_by_deadline(beam__timer_t *list) {
  for (size_t run = 1;; run *= 2) {
    beam__timer_t *p = list, *head = NULL, **tailp = &head;
    size_t merges = 0;
    while (p) {
      beam__timer_t *q = p;
      size_t np = 0, nq = run;
      merges++;
      while (np < run && q) {
        np++;
        q = q->next;
      }
      while (np > 0 || (nq > 0 && q)) {
        beam__timer_t *e;
        /* '<=' takes from the left run on ties: that keeps it stable. */
        if (np > 0 && (nq == 0 || q == NULL || p->deadline <= q->deadline)) {
          e = p;
          p = p->next;
          np--;
        } else {
          e = q;
          q = q->next;
          nq--;
        }
        *tailp = e;
        tailp = &e->next;
      }
      p = q;
    }
    *tailp = NULL;
    list = head;
    if (merges <= 1)
      return list;
  }
}

static void fire_due(beam__wheel_t *w, fired_t *out) {
  beam__timer_t *list = w->list[DUE], *t;
  int sorted = 1;
  w->list[DUE] = NULL;
  for (t = list; t && t->next; t = t->next)
    if (t->next->deadline < t->deadline)
      sorted = 0;
  if (!sorted)
    list = sort_by_deadline(list);
  while (list) {
    t = list;
    list = t->next;
    fire(out, t);
  }
}

/* ---- API ---- */

void beam__wheel_init(beam__wheel_t *w, uint64_t now_ms) {
  memset(w, 0, sizeof *w);
  w->now = now_ms;
  w->far_min = UINT64_MAX;
}

void beam__timer_init(beam__timer_t *t) {
  t->next = t->prev = NULL;
  t->deadline = 0;
  t->where = 0;
}

int beam__timer_pending(const beam__timer_t *t) {
  return t->where != 0;
}

void beam__wheel_add(beam__wheel_t *w, beam__timer_t *t, uint64_t deadline_ms) {
  beam_assert(t->where == 0);
  t->deadline = deadline_ms;
  if (deadline_ms <= w->now) {
    list_append(&w->list[DUE], t);
    t->where = DUE + 1;
  } else {
    file(w, t);
  }
  w->count++;
}

int beam__wheel_cancel(beam__wheel_t *w, beam__timer_t *t) {
  if (t->where == 0)
    return 0;
  unsigned i = t->where - 1;
  beam_assert(i < BEAM__WHEEL_NLISTS && w->count > 0);
  list_unlink(&w->list[i], t);
  if (w->list[i] == NULL) {
    if (i < DUE)
      w->occupied[i / BEAM__WHEEL_SLOTS] &=
          ~((uint64_t) 1 << (i % BEAM__WHEEL_SLOTS));
    else if (i == FAR)
      w->far_min = UINT64_MAX;
  }
  t->where = 0;
  t->next = t->prev = NULL;
  w->count--;
  return 1;
}

uint64_t beam__wheel_next(const beam__wheel_t *w) {
  int level;
  if (w->list[DUE])
    return w->now;
  return next_event(w, &level);
}

beam__timer_t *beam__wheel_advance(beam__wheel_t *w, uint64_t now_ms) {
  fired_t out = {NULL, &out.head, 0};
  beam_assert(now_ms >= w->now);
  if (BEAM_UNLIKELY(now_ms < w->now))
    now_ms = w->now; /* time never runs backwards */
  if (w->list[DUE])
    fire_due(w, &out); /* deadlines <= now: earlier than any other */
  for (;;) {
    int l;
    uint64_t e = next_event(w, &l);
    if (l < 0 || e > now_ms)
      break;
    beam_assert(e > w->now);
    w->now = e;
    unsigned i = l < LEVELS ? (unsigned) l * BEAM__WHEEL_SLOTS +
                                  (unsigned) __builtin_ctzll(w->occupied[l])
                            : FAR;
    beam__timer_t *list = w->list[i], *t;
    w->list[i] = NULL;
    if (l < LEVELS)
      w->occupied[l] &= w->occupied[l] - 1; /* clear the lowest set bit */
    else
      w->far_min = UINT64_MAX; /* recomputed by 'file' below */
    while (list) {
      t = list;
      list = t->next;
      if (t->deadline == e)
        fire(&out, t);
      else
        file(w, t); /* a cascade: to a lower level, or back to 'far' */
    }
  }
  w->now = now_ms;
  w->count -= out.n;
  return out.head;
}

size_t beam__wheel_count(const beam__wheel_t *w) {
  return w->count;
}

/* ---- Verification (tests) ---- */

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c))                                                                  \
      return __LINE__;                                                         \
  } while (0)

int beam__wheel_verify(const beam__wheel_t *w) {
  size_t n = 0;
  for (unsigned i = 0; i < BEAM__WHEEL_NLISTS; i++) {
    const beam__timer_t *h = w->list[i], *t, *last = NULL;
    if (i < DUE) {
      unsigned l = i / BEAM__WHEEL_SLOTS, s = i % BEAM__WHEEL_SLOTS;
      CHECK(!!(w->occupied[l] & ((uint64_t) 1 << s)) == (h != NULL));
    }
    for (t = h; t; t = t->next) {
      CHECK(t->where == i + 1);
      CHECK(t == h || t->prev == last);
      if (i < DUE) {
        unsigned l = i / BEAM__WHEEL_SLOTS, s = i % BEAM__WHEEL_SLOTS;
        uint64_t diff = t->deadline ^ w->now;
        CHECK(t->deadline > w->now);
        CHECK((63 - __builtin_clzll(diff)) / BITS == (int) l);
        CHECK(((t->deadline >> (BITS * l)) & (BEAM__WHEEL_SLOTS - 1)) == s);
      } else if (i == DUE) {
        CHECK(t->deadline <= w->now);
      } else {
        CHECK((t->deadline ^ w->now) >> SPAN_BITS);
        CHECK(t->deadline > w->now && t->deadline >= w->far_min);
      }
      last = t;
      n++;
    }
    CHECK(h == NULL || h->prev == last);
  }
  if (w->list[FAR])
    CHECK((w->far_min ^ w->now) >> SPAN_BITS && w->far_min > w->now);
  CHECK(n == w->count);
  return 0;
}
