/* SPDX-License-Identifier: MIT */
/*
** copy.c: message blocks, the deep copy behind every send.
**
** beam__msg_new() makes one block: a 'beam__msg_t' header followed by a
** sharing-free copy of the term. Two passes over the source: the first
** counts words, the second copies with a bump pointer; so there is exactly
** one beam__malloc, and an immediate needs only the header. The copy points
** only into its own block (or at shared REFBIN bytes), so the sender may
** free or release its heap at once. Subterms shared in the source (one
** tuple referenced twice) are copied twice, as the BEAM does: the size of a
** message is that of its flattened term.
**
** REFBIN boxes are copied (4 words) and take a new reference on the shared
** bytes (beam__bin_ref); they are linked on the block's 'offheap' list so
** beam__msg_free, or the adopting heap's release/fini, can drop them.
**
** Recursion: lists and the last element of a tuple or map are followed by
** iteration, so long lists and right-nested tuples cost no stack; depth
** grows only with nesting through heads and non-last elements.
**
** Threading: the block belongs to the caller until it is handed to a
** mailbox; the source term is only read.
*/
#include "heap.h"

BEAM_STATIC_ASSERT(sizeof(beam__msg_t) % 8 == 0,
                   "message header keeps the payload 8-aligned");

static size_t words_of(beam_term_t t) {
  size_t w = 0;
  for (;;) {
    switch (beam__tag(t)) {
    case BEAM__TAG_LIST: {
      uint64_t *c = beam__list_ptr(t);
      w += 2 + words_of(beam__mk(c[0]));
      t = beam__mk(c[1]);
      continue;
    }
    case BEAM__TAG_BOXED:
      break;
    default:
      return w;
    }
    uint64_t *p = beam__box_ptr(t);
    size_t n = (size_t) BEAM__HDR_SIZE(p[0]);
    switch (BEAM__HDR_SUB(p[0])) {
    case BEAM__SUB_TUPLE:
      w += 1 + n;
      if (n == 0)
        return w;
      for (size_t i = 1; i < n; i++)
        w += words_of(beam__mk(p[i]));
      t = beam__mk(p[n]);
      continue;
    case BEAM__SUB_MAP:
      w += 1 + 2 * n;
      if (n == 0)
        return w;
      for (size_t i = 1; i < 2 * n; i++)
        w += words_of(beam__mk(p[i]));
      t = beam__mk(p[2 * n]);
      continue;
    case BEAM__SUB_FLOAT:
      return w + 2;
    case BEAM__SUB_BIGINT:
      return w + 2 + n;
    case BEAM__SUB_HEAPBIN:
      return w + 1 + (n + 7) / 8;
    case BEAM__SUB_REFBIN:
      return w + 4;
    case BEAM__SUB_REF:
      return w + beam__ref_box_words(p[0]);
    case BEAM__SUB_EXTPID:
      return w + 5;
    default:
      BEAM_PANIC("copy: bad header %#llx", (unsigned long long) p[0]);
    }
  }
}

/* Copy 't' to '*hpp' (advancing it); REFBINs go on 'm''s offheap list. */
static uint64_t copy(beam_term_t t, uint64_t **hpp, beam__msg_t *m) {
  uint64_t result;
  uint64_t *dst = &result;
  for (;;) {
    uint64_t tag = beam__tag(t);
    if (tag == BEAM__TAG_LIST) {
      uint64_t *src = beam__list_ptr(t), *cell = *hpp;
      *hpp += 2;
      *dst = (uint64_t) (uintptr_t) cell | BEAM__TAG_LIST;
      cell[0] = copy(beam__mk(src[0]), hpp, m);
      dst = &cell[1];
      t = beam__mk(src[1]);
      continue;
    }
    if (tag != BEAM__TAG_BOXED) {
      *dst = t.raw;
      return result;
    }
    uint64_t *p = beam__box_ptr(t), *q = *hpp;
    size_t n = (size_t) BEAM__HDR_SIZE(p[0]), last;
    *dst = (uint64_t) (uintptr_t) q;
    switch (BEAM__HDR_SUB(p[0])) {
    case BEAM__SUB_TUPLE:
    case BEAM__SUB_MAP:
      last = BEAM__HDR_SUB(p[0]) == BEAM__SUB_MAP ? 2 * n : n;
      *hpp += 1 + last;
      q[0] = p[0];
      if (last == 0)
        return result;
      for (size_t i = 1; i < last; i++)
        q[i] = copy(beam__mk(p[i]), hpp, m);
      dst = &q[last];
      t = beam__mk(p[last]);
      continue;
    case BEAM__SUB_REFBIN:
      memcpy(q, p, 3 * 8);
      beam__bin_ref((beam__bin_t *) (uintptr_t) p[1]);
      q[3] = (uint64_t) (uintptr_t) m->offheap;
      m->offheap = q;
      *hpp += 4;
      return result;
    case BEAM__SUB_FLOAT:
      n = 2;
      break;
    case BEAM__SUB_BIGINT:
      n += 2;
      break;
    case BEAM__SUB_HEAPBIN:
      n = 1 + (n + 7) / 8;
      break;
    case BEAM__SUB_REF:
      n = beam__ref_box_words(p[0]);
      break;
    case BEAM__SUB_EXTPID:
      n = 5;
      break;
    default:
      BEAM_PANIC("copy: bad header %#llx", (unsigned long long) p[0]);
    }
    memcpy(q, p, n * 8);
    *hpp += n;
    return result;
  }
}

beam__msg_t *beam__msg_new(beam_term_t t, int *err) {
  if (BEAM_UNLIKELY(beam__tag(t) == BEAM__TAG_ERROR || t.raw == 0)) {
    *err = t.raw == 0 ? BEAM_EBADTERM : beam_term_error(t);
    return NULL;
  }
  size_t words = beam__is_immediate(t) ? 0 : words_of(t);
  if (words > (SIZE_MAX - sizeof(beam__msg_t)) / 8) {
    *err = BEAM_ENOMEM;
    return NULL;
  }
  size_t bytes = sizeof(beam__msg_t) + words * 8;
  beam__msg_t *m = beam__malloc(bytes);
  if (BEAM_UNLIKELY(m == NULL)) {
    *err = BEAM_ENOMEM;
    return NULL;
  }
  atomic_init(&m->next, NULL);
  m->offheap = NULL;
  m->size = bytes;
  m->kind = 0;
  m->aux = 0;
  m->from = beam__mk(BEAM__NIL_RAW);
  if (words == 0) {
    m->term = t;
  } else {
    uint64_t *hp = (uint64_t *) (void *) (m + 1);
    m->term = beam__mk(copy(t, &hp, m));
    beam_assert(hp == (uint64_t *) (void *) (m + 1) + words);
  }
  return m;
}

void beam__msg_free(beam__msg_t *m) {
  if (m == NULL)
    return;
  uint64_t *box = m->offheap;
  while (box != NULL) {
    beam__bin_unref((beam__bin_t *) (uintptr_t) box[1]);
    box = (uint64_t *) (uintptr_t) box[3];
  }
  beam__free(m);
}

beam_term_t beam__heap_adopt(beam__heap_t *h, beam__msg_t *m) {
  /* Relaxed: the block left the mailbox; only this heap's owner sees it. */
  atomic_store_explicit(&m->next, h->adopted, memory_order_relaxed);
  h->adopted = m;
  h->bytes += m->size;
  return m->term;
}
