/* SPDX-License-Identifier: MIT */
/*
** proc/stack.h: process stacks and the descriptors beside them (design in
** stack.c).
**
** Stacks of one size class are fixed slots carved from large
** MAP_NORESERVE regions whose first pages hold every slot's descriptor,
** so a process waiting for long can give its stack page back while
** senders still find its mailbox. A slot a process used is warm (its pages
** resident); warm slots are reused first, and their memory goes back to
** the OS only after a scavenge step found them unused, as Go's scavenger.
** To keep spawn and exit off the shared lock, each scheduler keeps up to
** BEAM__STACK_CACHE warm slots of the default class, touched by it alone,
** and moves half a cache at a time to or from the global lists.
** Each scheduler also owns the alternate signal stack that fault.c handles
** faults on (a fault in a stack guard cannot run on that stack).
*/
#ifndef BEAM_PROC_STACK_H
#define BEAM_PROC_STACK_H

#include "proc.h"

/* Warm slots a scheduler keeps, and how many it moves at a time. */
#define BEAM__STACK_CACHE 256
#define BEAM__STACK_BATCH (BEAM__STACK_CACHE / 2)

typedef struct beam__sched_stacks {
  void *cache[BEAM__STACK_CACHE]; /* warm slots of the default class, LIFO */
  unsigned cached;
  void *altstack; /* the sigaltstack faults are handled on (fault.c) */
} beam__sched_stacks_t;

/* 'guard_bytes' (rounded up to pages) of guard lie below each stack;
** descriptors live apart, at the region's start. */
#define BEAM__STACK_GUARD_DEFAULT ((size_t) 64 << 10)
#define BEAM__STACK_GUARD_MAX     ((size_t) 1 << 30)
int beam__stack_init(size_t default_usable, size_t guard_bytes);
/* The guard's size below every stack. [any] */
size_t beam__stack_guard_bytes(void);
void beam__stack_fini(void);
/* The descriptor of a fresh slot for 'usable' bytes of stack, or NULL. */
beam__proc_t *beam__stack_alloc(beam__sched_t *s, size_t usable);
void beam__stack_free(beam__sched_t *s, beam__proc_t *p);
void beam__stack_thread_init(beam__sched_t *s);
void beam__stack_thread_fini(beam__sched_t *s);
/* Give the warm stacks 's' keeps back to the shared pool (a benched spare). */
void beam__stack_release_cache(beam__sched_t *s);
void beam__stack_check(beam__proc_t *p);
/* Run a scavenge step if one is due; returns when the next one is due,
** UINT64_MAX if no slot awaits release. [sched] */
uint64_t beam__stack_scavenge(uint64_t now_ms);
/* Give back the stack memory of 'n' processes whose stacks are saved
** elsewhere (idle.c); sorts 'v' by address. [sched] */
void beam__stack_release_stacks(beam__proc_t **v, size_t n);
/* Write the canary again after the stack's memory was given back. */
void beam__stack_canary_reset(beam__proc_t *p);
/* Descriptor bytes per process (beam_memory). */
size_t beam__stack_desc_bytes(void);

#endif
