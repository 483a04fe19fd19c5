/* SPDX-License-Identifier: MIT */
/*
** bin.c: binaries. Up to BEAM__HEAPBIN_MAX (64) bytes a binary is a
** HEAPBIN box holding its bytes, copied into every message like any term.
** Larger ones keep their bytes once, in a 'beam__bin_t' with an atomic
** reference count; each REFBIN box (hdr, bin*, len, next) holds one
** reference and is linked on the 'offheap' list of the heap or message
** block it lives in, which is how release, fini and msg_free find the
** references to drop. Sending a 1 MiB binary to 1,000 processes thus
** copies 32 bytes per message, not 1 MiB.
**
** The cut at 64 bytes is the BEAM's: below it, copying is cheaper than an
** atomic increment on a shared line plus the later decrement and free.
**
** Threading: the bytes are immutable once the term is published, so any
** thread may read them; only the count is shared and written, see below.
*/
#include "heap.h"

/* Bytes of shared binaries alive, for beam_memory(). Relaxed: a statistic,
** read without ordering. */
static _Atomic size_t live_bytes;

size_t beam__bin_live_bytes(void) {
  return atomic_load_explicit(&live_bytes, memory_order_relaxed);
}

beam__bin_t *beam__bin_new(size_t size) {
  if (size > SIZE_MAX - sizeof(beam__bin_t))
    return NULL;
  beam__bin_t *b = beam__malloc(sizeof *b + size);
  if (b == NULL)
    return NULL;
  atomic_init(&b->refc, 1);
  b->size = size;
  atomic_fetch_add_explicit(&live_bytes, sizeof *b + size,
                            memory_order_relaxed);
  return b;
}

void beam__bin_ref(beam__bin_t *b) {
  /* Relaxed: the caller already holds a reference, so the count cannot
  ** reach zero concurrently; no data is published by this increment. */
  atomic_fetch_add_explicit(&b->refc, 1, memory_order_relaxed);
}

void beam__bin_unref(beam__bin_t *b) {
  /* Acq_rel: the release half orders our reads of the bytes before the
  ** free done by whichever thread drops the last reference; the acquire
  ** half, on the thread that drops it, pairs with every earlier release
  ** decrement. (A release decrement plus an acquire fence would be the
  ** same on x86 and a little cheaper on ARM, but gcc's TSan cannot model
  ** fences.) A relaxed decrement could let the free overtake a read. */
  if (atomic_fetch_sub_explicit(&b->refc, 1, memory_order_acq_rel) == 1) {
    atomic_fetch_sub_explicit(&live_bytes, sizeof *b + b->size,
                              memory_order_relaxed);
    beam__free(b);
  }
}

beam_term_t beam__binary_alloc(size_t len, unsigned char **data) {
  beam__heap_t *h = beam__heap_current();
  if (len <= BEAM__HEAPBIN_MAX) {
    uint64_t *p = beam__heap_alloc(h, 1 + (len + 7) / 8);
    if (p == NULL)
      return beam_error_term(BEAM_ENOMEM);
    p[0] = BEAM__HDR(BEAM__SUB_HEAPBIN, len);
    if (len % 8)
      p[1 + len / 8] = 0; /* deterministic padding */
    *data = (unsigned char *) (p + 1);
    return beam__mk((uint64_t) (uintptr_t) p);
  }
  beam__bin_t *b = beam__bin_new(len);
  if (b == NULL)
    return beam_error_term(BEAM_ENOMEM);
  uint64_t *p = beam__heap_alloc(h, 4);
  if (p == NULL) {
    beam__bin_unref(b);
    return beam_error_term(BEAM_ENOMEM);
  }
  p[0] = BEAM__HDR(BEAM__SUB_REFBIN, 0);
  p[1] = (uint64_t) (uintptr_t) b;
  p[2] = len;
  p[3] = (uint64_t) (uintptr_t) h->offheap;
  h->offheap = p;
  *data = b->data;
  return beam__mk((uint64_t) (uintptr_t) p);
}

beam_term_t beam_binary(const void *data, size_t len) {
  if (data == NULL && len > 0)
    return beam_error_term(BEAM_EINVAL);
  unsigned char *dst;
  beam_term_t t = beam__binary_alloc(len, &dst);
  if (!beam_is_error(t) && len > 0)
    memcpy(dst, data, len);
  return t;
}

beam_term_t beam_string(const char *utf8) {
  if (utf8 == NULL)
    return beam_error_term(BEAM_EINVAL);
  return beam_binary(utf8, strlen(utf8));
}

const void *beam_binary_data(beam_term_t t, size_t *len) {
  if (!beam__is_boxed(t)) {
    if (len)
      *len = 0;
    return NULL;
  }
  uint64_t *p = beam__box_ptr(t);
  switch (BEAM__HDR_SUB(p[0])) {
  case BEAM__SUB_HEAPBIN:
    if (len)
      *len = (size_t) BEAM__HDR_SIZE(p[0]);
    return p + 1;
  case BEAM__SUB_REFBIN:
    if (len)
      *len = (size_t) p[2];
    return ((beam__bin_t *) (uintptr_t) p[1])->data;
  default:
    if (len)
      *len = 0;
    return NULL;
  }
}

int beam_is_binary(beam_term_t t) {
  return beam__is_box_of(t, BEAM__SUB_HEAPBIN) ||
         beam__is_box_of(t, BEAM__SUB_REFBIN);
}
