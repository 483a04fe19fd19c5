/* SPDX-License-Identifier: MIT */
/*
** internal.h: what every subsystem shares. Included first by every .c file
** of the library (never by users).
**
** Naming: public 'beam_', internal across files 'beam__<subsystem>_<verb>',
** static helpers plain. Exported symbols carry BEAM_API; the library is
** built with -fvisibility=hidden so everything else stays internal.
**
** Asserts: 'beam_assert' checks our own invariants (never user input; bad
** user arguments return BEAM_E* codes). It is on unless BEAM_NDEBUG is
** defined, and BEAM_ALWAYS_ASSERT keeps it on even then.
*/
#ifndef BEAM_INTERNAL_H
#define BEAM_INTERNAL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The library itself calls the plain functions: the checked macros
** (cbeam/args.h) are for users' code. */
#define BEAM_NO_TYPED_ARGS 1
#include "cbeam.h"

#define BEAM_LIKELY(x)   __builtin_expect(!!(x), 1)
#define BEAM_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define BEAM_NOINLINE    __attribute__((noinline))
#define BEAM_UNUSED      __attribute__((unused))
#define BEAM_CACHELINE   64
#define BEAM_STATIC_ASSERT(c, msg) _Static_assert(c, msg)

#define BEAM_MIN(a, b) ((a) < (b) ? (a) : (b))
#define BEAM_MAX(a, b) ((a) > (b) ? (a) : (b))
#define BEAM_CONTAINER_OF(p, type, field)                                      \
  ((type *) ((char *) (p) - offsetof(type, field)))

_Noreturn void beam__panic(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define BEAM_PANIC(...) beam__panic(__FILE__, __LINE__, __VA_ARGS__)
/* Write all of 's' to stderr with write(2): async-signal-safe, for crash
** reports and the fault handler. */
void beam__write_stderr(const char *s, size_t n);

#if !defined(BEAM_NDEBUG) || defined(BEAM_ALWAYS_ASSERT)
#define beam_assert(c)                                                         \
  do {                                                                         \
    if (BEAM_UNLIKELY(!(c)))                                                   \
      beam__panic(__FILE__, __LINE__, "assertion failed: %s", #c);             \
  } while (0)
#else
#define beam_assert(c) ((void) 0)
#endif

/* Sanitizer detection (gcc defines __SANITIZE_*, clang has __has_feature). */
#if defined(__SANITIZE_ADDRESS__)
#define BEAM_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define BEAM_TSAN 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(BEAM_ASAN)
#define BEAM_ASAN 1
#endif
#if __has_feature(thread_sanitizer) && !defined(BEAM_TSAN)
#define BEAM_TSAN 1
#endif
#endif

/* Code that reads or writes another context's stack frames (whose ASan
** redzones are poisoned) as plain words. */
#ifdef BEAM_ASAN
#define BEAM_NO_SANITIZE_ADDRESS __attribute__((no_sanitize_address))
#else
#define BEAM_NO_SANITIZE_ADDRESS
#endif

/* A full (StoreLoad) barrier. gcc's TSan cannot model fences, so its
** builds use a seq_cst read-modify-write of a dummy word instead, which
** TSan understands and which orders the same way. */
#ifdef BEAM_TSAN
extern _Atomic int beam__fence_word;
#define beam__fence_seq_cst()                                                  \
  ((void) atomic_fetch_add_explicit(&beam__fence_word, 0, memory_order_seq_cst))
#else
#define beam__fence_seq_cst() atomic_thread_fence(memory_order_seq_cst)
#endif

/* ---- util/alloc.c: every allocation of the library goes through here ---- */

/* malloc pass-through (so ASan sees every block) with a test switch that
** makes allocations fail after N successes, to exercise ENOMEM paths. */
void *beam__malloc(size_t size);
void *beam__calloc(size_t n, size_t size);
void *beam__realloc(void *p, size_t size);
void beam__free(void *p);
/* Whole pages from the kernel (MAP_NORESERVE: untouched pages cost
** nothing), for large regions whose end may be given back early (the
** collector's to-space); 'size' a multiple of the page size. The same
** failure switch. */
void *beam__map(size_t size);
void beam__unmap(void *p, size_t size);

/* ---- util/tls.c: the per-OS-thread runtime pointer ----
** A process may migrate between OS threads at any yield, and compilers may
** cache a TLS address across a call they believe cannot switch threads. So
** runtime TLS is only ever read through this noinline accessor, whose body
** the compiler cannot treat as const/pure; call it again after each yield. */
struct beam__sched;
struct beam__heap;
typedef struct beam__tls {
  struct beam__sched *sched; /* NULL on a thread that is not a scheduler */
  struct beam__heap *heap;   /* heap of the running process, or NULL */
  int64_t reds;              /* reductions left in the running process's
                                slice (proc.c); unused outside processes */
} beam__tls_t;
BEAM_NOINLINE beam__tls_t *beam__tls(void);

/* ---- util/clock.c ---- */
int64_t beam__now_ns(void);

#endif
