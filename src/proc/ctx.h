/* SPDX-License-Identifier: MIT */
/*
** proc/ctx.h: execution contexts and the one way to switch between them.
**
** A context is a stack pointer plus what the sanitizers need to follow us
** onto custom stacks (DESIGN-NOTES §3): the stack bounds and ASan's fake
** stack handle, and TSan's fiber. Every switch goes process -> scheduler ->
** process (Go's g0 model): a process never switches straight to another,
** so the state change that lets another thread resume a process ("waiting",
** "runnable") is always committed on the scheduler's stack, after the
** process's stack is no longer in use.
*/
#ifndef BEAM_PROC_CTX_H
#define BEAM_PROC_CTX_H

#include "../internal.h"

#ifdef BEAM_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef BEAM_TSAN
#include <sanitizer/tsan_interface.h>
#endif

typedef struct beam__ctx {
  void *sp;          /* saved stack pointer while switched out */
  void *stack_lo;    /* lowest usable address (for the sanitizers) */
  size_t stack_size; /* usable bytes */
#ifdef BEAM_ASAN
  void *asan_fake; /* ASan fake-stack handle of this context */
#endif
#ifdef BEAM_TSAN
  void *tsan_fiber;
#endif
} beam__ctx_t;

void beam__ctx_switch_raw(void **save_sp, void *to_sp);

/* Prepare 'c' (bounds already set) to start in 'entry' on its first switch.
** 'entry' must never return; it must call beam__ctx_started() first. */
void beam__ctx_make(beam__ctx_t *c, void (*entry)(void));
/* Make 'c' describe the calling OS thread's own stack (a scheduler). */
void beam__ctx_init_thread(beam__ctx_t *c);
/* Release sanitizer state of a context that will never run again. */
void beam__ctx_fini(beam__ctx_t *c);

/* Switch from 'from' (the running context) to 'to'. 'from_dying' is true
** when 'from' will never be resumed (lets ASan free its fake stack). */
static inline void beam__ctx_switch(beam__ctx_t *from, beam__ctx_t *to,
                                    bool from_dying) {
#ifdef BEAM_ASAN
  __sanitizer_start_switch_fiber(from_dying ? NULL : &from->asan_fake,
                                 to->stack_lo, to->stack_size);
#else
  (void) from_dying;
#endif
#ifdef BEAM_TSAN
  __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
  beam__ctx_switch_raw(&from->sp, to->sp);
#ifdef BEAM_ASAN
  __sanitizer_finish_switch_fiber(from->asan_fake, NULL, NULL);
#endif
}

/* First thing a new context's entry function does. */
static inline void beam__ctx_started(void) {
#ifdef BEAM_ASAN
  __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
}

#endif
