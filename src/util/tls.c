/* SPDX-License-Identifier: MIT */
/*
** tls.c: the one thread-local of the runtime, read through a noinline
** function. A process can be suspended on one OS thread and resumed on
** another; a compiler that inlined a TLS read could keep the old thread's
** address in a callee-saved register across the switch (glibc's
** __errno_location is declared const for exactly that reason, see
** DESIGN-NOTES §5). The empty asm makes the body opaque, so no compiler can
** prove the function pure and fold two calls into one.
*/
#include "../internal.h"

static _Thread_local beam__tls_t tls;

BEAM_NOINLINE beam__tls_t *beam__tls(void) {
  beam__tls_t *p = &tls;
  __asm__ volatile("" : "+r"(p));
  return p;
}

#ifdef BEAM_TSAN
_Atomic int beam__fence_word;
#endif
