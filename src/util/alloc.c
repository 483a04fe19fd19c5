/* SPDX-License-Identifier: MIT */
/*
** alloc.c: the library's only door to malloc.
**
** A pass-through, so that ASan/LSan/Valgrind see every block exactly as
** the program made it (a private pool would blind them; Pony learnt this).
** It adds one thing: a failure switch for tests. After
** beam_debug_fail_alloc_after(n), the next n allocations succeed and every
** later one fails until the switch is disarmed with -1, which is how the
** tests walk each out-of-memory path. Disarmed, the cost is one relaxed
** load and a predictable branch.
*/
#include "../internal.h"

#include <sys/mman.h>
#include "debug.h"

/* Relaxed: the switch is set by a test before the work it is meant to
** break; which allocation of a racing thread fails first does not matter. */
static _Atomic long fail_after = -1;

void beam_debug_fail_alloc_after(long n) {
  atomic_store_explicit(&fail_after, n < 0 ? -1 : n, memory_order_relaxed);
}

static int should_fail(void) {
  long n = atomic_load_explicit(&fail_after, memory_order_relaxed);
  if (BEAM_LIKELY(n < 0))
    return 0;
  while (n > 0) {
    if (atomic_compare_exchange_weak_explicit(&fail_after, &n, n - 1,
                                              memory_order_relaxed,
                                              memory_order_relaxed))
      return 0;
    if (n < 0)
      return 0;
  }
  return 1;
}

void *beam__malloc(size_t size) {
  if (BEAM_UNLIKELY(should_fail()))
    return NULL;
  return malloc(size);
}

void *beam__calloc(size_t n, size_t size) {
  if (BEAM_UNLIKELY(should_fail()))
    return NULL;
  return calloc(n, size);
}

void *beam__realloc(void *p, size_t size) {
  if (BEAM_UNLIKELY(should_fail()))
    return NULL;
  return realloc(p, size);
}

void beam__free(void *p) {
  free(p);
}

void *beam__map(size_t size) {
  if (BEAM_UNLIKELY(should_fail()))
    return NULL;
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

void beam__unmap(void *p, size_t size) {
  if (p != NULL && size > 0)
    munmap(p, size);
}
