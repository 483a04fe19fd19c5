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
** No recursion (walk.h): both passes keep their pending spans in an
** explicit stack, so any nesting costs a few heap words a level and no C
** stack. The copy is made object by object, each first copied word for
** word and then its element slots fixed up in place, so the pending work
** is just (slot, count) spans inside the new block, each starting at its
** first non-immediate word. A list with immediate heads (a string, a list
** of integers) and a tuple of immediates are copied without touching the
** stack at all.
**
** Threading: the block belongs to the caller until it is handed to a
** mailbox; the source term is only read.
*/
#include "heap.h"
#include "map.h"
#include "walk.h"

BEAM_STATIC_ASSERT(sizeof(beam__msg_t) % 8 == 0,
                   "message header keeps the payload 8-aligned");

/* Pending words of a walk: 'n' terms from 'p' still to visit. */
typedef struct span {
  uint64_t *p;
  size_t n;
} span_t;
BEAM__WALK_STACK(spans, span_t)

/* The next non-immediate word of the pending spans, or NULL when the walk
** is over. Every span on the stack has n >= 1; one is popped as its last
** word is handed out (walk.h). */
static inline __attribute__((always_inline)) uint64_t *
next_word(spans_t *s) {
  while (s->sp > 0) {
    span_t *top = &s->f[s->sp - 1];
    uint64_t *w = top->p++;
    if (--top->n == 0)
      s->sp--;
    if (!beam__is_immediate(beam__mk(*w)))
      return w;
  }
  return NULL;
}

/* Skip the immediate words at the front of the 'n' words from '*p': an
** object whose elements are all immediate (a small tuple of integers and
** atoms, most messages) then pushes no span at all. Returns what is left. */
static inline __attribute__((always_inline)) size_t
skip_immediates(uint64_t **p, size_t n) {
  while (n > 0 && beam__is_immediate(beam__mk(**p))) {
    ++*p;
    --n;
  }
  return n;
}

/* Words a flattened copy of non-immediate 't' needs; SIZE_MAX when out of
** memory for the walk. Lists are followed head first with the tail saved,
** so depth grows only with nesting through heads. */
static size_t words_of(beam_term_t t) {
  spans_t s;
  spans_init(&s);
  size_t w = 0;
  uint64_t word = t.raw, *next;
  for (;;) {
    if (beam__tag(beam__mk(word)) == BEAM__TAG_LIST) {
      uint64_t *c = beam__list_ptr(beam__mk(word));
      while (beam__is_immediate(beam__mk(c[0])) &&
             beam__tag(beam__mk(c[1])) == BEAM__TAG_LIST) {
        w += 2; /* a run of immediate heads: no stack */
        c = beam__list_ptr(beam__mk(c[1]));
      }
      w += 2;
      int head = !beam__is_immediate(beam__mk(c[0]));
      int tail = !beam__is_immediate(beam__mk(c[1]));
      if (head && tail) {
        span_t *f = spans_push(&s);
        if (f == NULL) {
          w = SIZE_MAX;
          break;
        }
        *f = (span_t){c + 1, 1};
      }
      if (head || tail) {
        word = head ? c[0] : c[1];
        continue;
      }
    } else {
      uint64_t *p = beam__box_ptr(beam__mk(word));
      size_t first, elems;
      w += beam__box_layout(p, &first, &elems);
      p += first;
      if ((elems = skip_immediates(&p, elems)) > 0) {
        span_t *f = spans_push(&s);
        if (f == NULL) {
          w = SIZE_MAX;
          break;
        }
        *f = (span_t){p, elems};
      }
    }
    if ((next = next_word(&s)) == NULL)
      break;
    word = *next;
  }
  spans_fini(&s);
  return w;
}

/* Copy non-immediate 't' to '*hpp' (advancing it); REFBINs go on 'm''s
** offheap list. Each object is first copied word for word, so its element
** slots still hold source terms; the walk then visits those slots and
** replaces each non-immediate one by a fresh copy of what it points to.
** The spans therefore point into the new block, never the source. */
static uint64_t copy(beam_term_t t, uint64_t **hpp, beam__msg_t *m,
                     int *err) {
  spans_t s;
  spans_init(&s);
  uint64_t root = t.raw, *slot = &root, *hp = *hpp;
  for (;;) {
    beam_term_t src = beam__mk(*slot);
    if (beam__tag(src) == BEAM__TAG_LIST) {
      const uint64_t *c = beam__list_ptr(src);
      uint64_t *cell;
      for (;;) { /* a run of immediate heads: no stack */
        cell = hp;
        hp += 2;
        cell[0] = c[0];
        cell[1] = c[1];
        *slot = (uint64_t) (uintptr_t) cell | BEAM__TAG_LIST;
        if (!beam__is_immediate(beam__mk(c[0])) ||
            beam__tag(beam__mk(c[1])) != BEAM__TAG_LIST)
          break;
        slot = &cell[1];
        c = beam__list_ptr(beam__mk(c[1]));
      }
      int head = !beam__is_immediate(beam__mk(c[0]));
      int tail = !beam__is_immediate(beam__mk(c[1]));
      if (head && tail) {
        span_t *f = spans_push(&s);
        if (f == NULL) {
          *err = BEAM_ENOMEM;
          break;
        }
        *f = (span_t){cell + 1, 1};
      }
      if (head || tail) {
        slot = head ? &cell[0] : &cell[1];
        continue;
      }
    } else {
      const uint64_t *p = beam__box_ptr(src);
      uint64_t *q = hp;
      size_t first, elems, n = beam__box_layout(p, &first, &elems);
      memcpy(q, p, n * 8);
      hp += n;
      *slot = (uint64_t) (uintptr_t) q;
      if (BEAM__HDR_SUB(p[0]) == BEAM__SUB_REFBIN) {
        beam__bin_ref((beam__bin_t *) (uintptr_t) p[1]);
        q[3] = (uint64_t) (uintptr_t) m->offheap;
        m->offheap = q;
      } else {
        uint64_t *e = q + first;
        if ((elems = skip_immediates(&e, elems)) > 0) {
          span_t *f = spans_push(&s);
          if (f == NULL) {
            *err = BEAM_ENOMEM;
            break;
          }
          *f = (span_t){e, elems};
        }
      }
    }
    if ((slot = next_word(&s)) == NULL)
      break;
  }
  spans_fini(&s);
  *hpp = hp;
  return root;
}

beam__msg_t *beam__msg_new(beam_term_t t, int *err) {
  int bad = beam__term_bad(t);
  if (BEAM_UNLIKELY(bad != 0)) {
    *err = bad;
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
    int cerr = 0;
    m->term = beam__mk(copy(t, &hp, m, &cerr));
    if (BEAM_UNLIKELY(cerr != 0)) {
      beam__msg_free(m);
      *err = cerr;
      return NULL;
    }
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
