/* SPDX-License-Identifier: MIT */
/*
** ctx.c: building the first frame of a context, and sanitizer set-up.
**
** The first switch into a new context pops the frame that
** beam__ctx_switch_raw expects and "returns" into the entry function, with
** the stack aligned as if the entry had been called (x86-64: rsp % 16 == 8
** at entry; AArch64: sp % 16 == 0). The fake return address above the
** entry is 0, so a debugger's backtrace ends there.
*/
#include "ctx.h"

#include <pthread.h>

void beam__ctx_make(beam__ctx_t *c, void (*entry)(void)) {
  uintptr_t top = ((uintptr_t) c->stack_lo + c->stack_size) & ~(uintptr_t) 15;
  uint64_t *sp = (uint64_t *) top;
#if defined(__x86_64__)
  *--sp = 0;                          /* fake return address of 'entry' */
  *--sp = (uint64_t) (uintptr_t) entry; /* popped by 'ret' */
  for (int i = 0; i < 6; i++)
    *--sp = 0; /* rbp rbx r12 r13 r14 r15 */
  --sp;
  uint32_t *fp = (uint32_t *) sp;
  fp[0] = 0x1f80; /* MXCSR: all exceptions masked, round to nearest */
  fp[1] = 0x037f; /* x87 CW: the same, extended precision */
#elif defined(__aarch64__)
  sp -= 22; /* 176 bytes, see ctx_aarch64.S */
  memset(sp, 0, 176);
  sp[11] = (uint64_t) (uintptr_t) entry; /* x30 */
  sp[20] = 0;                            /* FPCR: IEEE defaults */
#else
#error "unsupported architecture"
#endif
  c->sp = sp;
#ifdef BEAM_ASAN
  c->asan_fake = NULL;
#endif
#ifdef BEAM_TSAN
  c->tsan_fiber = __tsan_create_fiber(0);
#endif
}

void beam__ctx_init_thread(beam__ctx_t *c) {
  pthread_attr_t attr;
  void *lo = NULL;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstack(&attr, &lo, &size);
    pthread_attr_destroy(&attr);
  }
  c->sp = NULL;
  c->stack_lo = lo;
  c->stack_size = size;
#ifdef BEAM_ASAN
  c->asan_fake = NULL;
#endif
#ifdef BEAM_TSAN
  c->tsan_fiber = __tsan_get_current_fiber();
#endif
}

void beam__ctx_fini(beam__ctx_t *c) {
#ifdef BEAM_TSAN
  if (c->tsan_fiber)
    __tsan_destroy_fiber(c->tsan_fiber);
  c->tsan_fiber = NULL;
#else
  (void) c;
#endif
}
