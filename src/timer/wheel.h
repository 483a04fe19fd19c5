/* SPDX-License-Identifier: MIT */
/*
** wheel.h: a per-scheduler hierarchical timing wheel (design in wheel.c).
**
** Single-threaded: the owning scheduler serialises every call (it holds its
** own lock around the wheel); nothing here is atomic. Times are absolute
** milliseconds on a monotonic clock whose origin the caller chooses.
**
** Nodes are intrusive: the caller embeds a 'beam__timer_t' in its own struct
** and recovers that struct with BEAM_CONTAINER_OF. The wheel never allocates;
** the node's memory must stay valid while the timer is pending.
**
** Promises:
** - O(1) add and cancel.
** - Exact: a timer never fires before its deadline, and advance(now) with
**   now >= deadline fires it in that call. A deadline <= the wheel's time
**   (in the past, or equal to the last 'now') fires at the next advance.
** - advance returns fired timers in nondecreasing deadline order, ties in
**   the order they were added.
*/
#ifndef BEAM_TIMER_WHEEL_H
#define BEAM_TIMER_WHEEL_H

#include <stddef.h>
#include <stdint.h>

#define BEAM__WHEEL_SLOT_BITS 6 /* 64 slots per level */
#define BEAM__WHEEL_SLOTS     (1u << BEAM__WHEEL_SLOT_BITS)
#define BEAM__WHEEL_LEVELS    6 /* 6 x 6 bits: 2^36 ms (~2.2 years) */
/* Lists: one per slot, then the 'due' list and the 'far' list. */
#define BEAM__WHEEL_NLISTS (BEAM__WHEEL_LEVELS * BEAM__WHEEL_SLOTS + 2)

typedef struct beam__timer {
  /* Slot list links. The list is NULL-terminated through 'next'; the
  ** head's 'prev' points to the tail so appending is O(1). Owned by the
  ** wheel while pending; on a list returned by advance only 'next' counts. */
  struct beam__timer *next, *prev;
  uint64_t deadline; /* absolute ms; read-only for the caller while pending */
  uint32_t where;    /* 0: not pending; else 1 + index of the list holding it */
} beam__timer_t;

typedef struct beam__wheel {
  /* ms, the time of the last advance: every timer with deadline <= 'now'
  ** has been returned by advance, except those on the 'due' list. */
  uint64_t now;
  size_t count;     /* pending timers */
  uint64_t far_min; /* <= every deadline on the 'far' list; UINT64_MAX if
                    ** that list is empty */
  uint64_t occupied[BEAM__WHEEL_LEVELS];   /* bit s: slot s is non-empty */
  beam__timer_t *list[BEAM__WHEEL_NLISTS]; /* heads; head->prev is tail */
} beam__wheel_t;

/* [sched, nofail] Start an empty wheel whose time is 'now_ms'. */
void beam__wheel_init(beam__wheel_t *w, uint64_t now_ms);
/* [sched, nofail] Make 't' a not-pending timer (call once before first use;
** advance and cancel leave timers in this state too). */
void beam__timer_init(beam__timer_t *t);
/* [sched, nofail] 1 if 't' is on a wheel, else 0. */
int beam__timer_pending(const beam__timer_t *t);
/* [sched, nofail] Arm 't' to fire at 'deadline_ms' (absolute). 't' must not
** be pending; it is borrowed by the wheel until it fires or is cancelled. */
void beam__wheel_add(beam__wheel_t *w, beam__timer_t *t, uint64_t deadline_ms);
/* [sched, nofail] Disarm 't': 1 if it was pending and is now removed, 0 if
** it was not pending. 't' must not be pending on another wheel. */
int beam__wheel_cancel(beam__wheel_t *w, beam__timer_t *t);
/* [sched, nofail] A lower bound of the earliest pending deadline that is
** >= the wheel's time, UINT64_MAX if no timer is pending. Exact when the
** earliest timer is due within the current 64 ms block; otherwise the start
** of the slot holding it (advancing there re-files it more finely). The
** wheel's time itself means "a timer is already due". O(levels). */
uint64_t beam__wheel_next(const beam__wheel_t *w);
/* [sched, nofail] Move the wheel's time to 'now_ms' (never less than the
** previous value) and return, as a NULL-terminated list through 'next',
** every timer whose deadline <= now_ms, in nondecreasing deadline order,
** ties in add order. Returned timers are no longer pending; the caller may
** re-add them (after reading the next link). */
beam__timer_t *beam__wheel_advance(beam__wheel_t *w, uint64_t now_ms);
/* [sched, nofail] Number of pending timers. */
size_t beam__wheel_count(const beam__wheel_t *w);
/* [sched] Test hook: walk every list and check the invariants in wheel.c;
** O(pending timers). Returns 0 if they hold, else the source line of the
** first failed check. */
int beam__wheel_verify(const beam__wheel_t *w);

#endif
