/* SPDX-License-Identifier: MIT */
/*
** heap.c: per-process bump heaps, the per-thread fallback heap, and arena
** marks.
**
** A heap is a list of chunks, newest first; terms are bump-allocated from
** the newest. Memory returns when the owner collects (gc.c), releases to a
** mark, or exits (beam__heap_fini). Sizes: a process that
** builds nothing allocates nothing; the first chunk is small (512 bytes,
** most processes build a few small terms), each next chunk doubles up to
** 64 KiB, and a request larger than the next chunk gets a chunk of its own
** size. Such a chunk becomes the newest (full) one, wasting the rest of the
** previous chunk: putting it behind the bump chunk instead would break the
** invariant that chunk order is allocation order, which release relies on.
**
** Three lists hang off a heap, each newest first: chunks, REFBIN boxes
** living in chunks ('offheap', to drop binary references), and adopted
** message blocks ('adopted'). A mark is the head of each list plus 'top';
** releasing pops every list back to its mark. The mark is validated by
** walking the chunk list to it (the walk only visits chunks that are about
** to be freed); an unknown mark is ignored rather than trusted.
**
** The old generation (gc.c) is a second chunk list that marks never see:
** a collection empties the young generation, so a mark taken before one
** no longer names a chunk of the heap and its release is ignored.
**
** beam__heap_current(): the running process's heap (beam__tls()->heap),
** else a heap private to the calling OS thread, for terms built outside any
** process. That heap is a thread-local struct (so getting it cannot fail);
** a pthread key destructor frees it when the thread exits, and a library
** destructor frees the main thread's, which has no pthread exit.
**
** Threading: a heap is used by its owner only; no locks, no atomics, except
** the relaxed 'next' link of adopted blocks (owned by us after adoption).
*/
#include "heap.h"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#define FIRST_CHUNK 512u             /* bytes, including the header */
#define MAX_CHUNK   (64u * 1024u)    /* bytes, for geometric growth */

BEAM_STATIC_ASSERT(sizeof(beam_mark_t) == 4 * sizeof(void *),
                   "beam_mark_t holds chunk, top, offheap, adopted");

void beam__heap_init(beam__heap_t *h) {
  memset(h, 0, sizeof *h);
}


static void drop_offheap(uint64_t *box, uint64_t *stop) {
  while (box != NULL && box != stop) {
    /* REFBIN: hdr, bin*, len, next */
    beam__bin_unref((beam__bin_t *) (uintptr_t) box[1]);
    box = (uint64_t *) (uintptr_t) box[3];
  }
}

static void free_adopted(beam__heap_t *h, beam__msg_t *stop) {
  beam__msg_t *m = h->adopted;
  while (m != NULL && m != stop) {
    /* Relaxed: after adoption the block is ours alone. */
    beam__msg_t *next = atomic_load_explicit(&m->next, memory_order_relaxed);
    h->bytes -= m->size;
    beam__msg_free(m);
    m = next;
  }
  h->adopted = m;
}

#define MAP_MIN ((size_t) 1 << 20)
#define HUGE_MIN ((size_t) 8 << 20)

static size_t page_size(void) {
  static size_t page;
  if (page == 0)
    page = (size_t) sysconf(_SC_PAGESIZE);
  return page;
}

beam__chunk_t *beam__chunk_new(size_t bytes) {
  beam__chunk_t *c;
  size_t mapped = 0;
#ifndef BEAM_ASAN
  if (bytes >= MAP_MIN) {
    bytes = (bytes + page_size() - 1) / page_size() * page_size();
    c = beam__map(bytes);
    mapped = 1;
    /* A large heap fills its pages in order: huge pages make that 2 MiB
    ** a fault instead of 4 KiB (a 100 MiB collection faulted 25,600
    ** times, a fifth of its time). Only where THP is opt-in or on. */
    if (c != NULL && bytes >= HUGE_MIN)
      madvise(c, bytes, MADV_HUGEPAGE);
  } else
#endif
    c = beam__malloc(bytes);
  if (c != NULL) {
    c->size = bytes;
    c->mapped = mapped;
  }
  return c;
}

void beam__chunk_free(beam__chunk_t *c) {
  if (c != NULL && c->mapped)
    beam__unmap(c, c->size);
  else
    beam__free(c);
}

size_t beam__chunk_trim(beam__chunk_t *c, const char *used) {
  if (!c->mapped)
    return 0;
  size_t keep = (size_t) (used - (char *) c);
  keep = (keep + page_size() - 1) / page_size() * page_size();
  if (keep >= c->size)
    return 0;
  size_t given = c->size - keep;
  beam__unmap((char *) c + keep, given);
  c->size = keep;
  return given;
}

static void free_chunk_list(beam__chunk_t *c) {
  while (c != NULL) {
    beam__chunk_t *next = c->next;
    beam__chunk_free(c);
    c = next;
  }
}

void beam__heap_fini(beam__heap_t *h) {
  drop_offheap(h->offheap, NULL);
  drop_offheap(h->old_offheap, NULL);
  free_adopted(h, NULL);
  free_chunk_list(h->chunks);
  free_chunk_list(h->old);
  beam__heap_init(h);
}

/* Slow path of beam__heap_alloc: a new chunk. */
static uint64_t *alloc_chunk(beam__heap_t *h, size_t bytes) {
  size_t size = FIRST_CHUNK;
  if (h->chunks != NULL)
    size = BEAM_MIN(h->chunks->size * 2, (size_t) MAX_CHUNK);
  size_t need = BEAM__CHUNK_HDR + bytes;
  if (need < bytes)
    return NULL; /* overflow */
  if (need > size)
    size = need; /* a chunk of its own */
  beam__chunk_t *c = beam__chunk_new(size);
  if (c == NULL)
    return NULL;
  c->next = h->chunks;
  size = c->size; /* rounded up to pages when mapped */
  h->chunks = c;
  h->bytes += size;
  char *p = beam__chunk_start(c);
  h->top = p + bytes;
  h->end = (char *) c + size;
  return (uint64_t *) (void *) p;
}

uint64_t *beam__heap_alloc(beam__heap_t *h, size_t words) {
  if (BEAM_UNLIKELY(words > SIZE_MAX / 16))
    return NULL;
  size_t bytes = words * 8;
  if (BEAM_LIKELY((size_t) (h->end - h->top) >= bytes && h->top != NULL)) {
    uint64_t *p = (uint64_t *) (void *) h->top;
    h->top += bytes;
    return p;
  }
  return alloc_chunk(h, bytes);
}

/* ---- Per-thread fallback heap ---- */

static _Thread_local beam__heap_t thread_heap;
static _Thread_local int thread_heap_keyed;
static pthread_key_t thread_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_ok;

static void thread_heap_free(void *p) {
  beam__heap_fini(p);
}

static void key_create(void) {
  key_ok = pthread_key_create(&thread_key, thread_heap_free) == 0;
}

beam__heap_t *beam__heap_current(void) {
  beam__tls_t *t = beam__tls();
  beam__heap_t *h = t->heap;
  if (h != NULL) {
    t->reds--; /* term building costs a reduction; the next checkpoint
                  (send, receive, ...) acts on an exhausted budget */
    return h;
  }
  if (BEAM_UNLIKELY(!thread_heap_keyed)) {
    pthread_once(&key_once, key_create);
    /* If the key cannot be set the heap lives until exit (the library
    ** destructor below still frees the main thread's). */
    if (key_ok)
      pthread_setspecific(thread_key, &thread_heap);
    thread_heap_keyed = 1;
  }
  return &thread_heap;
}

/* Frees the heap of the thread that runs exit() (the main thread, whose
** pthread key destructors never run). */
__attribute__((destructor)) static void main_heap_free(void) {
  beam__heap_fini(&thread_heap);
}

/* ---- Marks ---- */

beam_mark_t beam_arena_mark(void) {
  beam__heap_t *h = beam__heap_current();
  beam_mark_t m = {h->chunks, h->top, h->offheap, h->adopted};
  return m;
}

void beam_arena_release(beam_mark_t mark) {
  beam__heap_t *h = beam__heap_current();
  beam__chunk_t *stop = mark.chunk;
  /* Validate: 'stop' must be in the chunk list and 'top' inside it. */
  beam__chunk_t *c = h->chunks;
  while (c != NULL && c != stop)
    c = c->next;
  if (c != stop)
    return;
  if (stop != NULL && ((char *) mark.top < beam__chunk_start(stop) ||
                       (char *) mark.top > (char *) stop + stop->size))
    return;
  beam__msg_t *m = h->adopted;
  while (m != NULL && m != mark.adopted)
    m = atomic_load_explicit(&m->next, memory_order_relaxed);
  if (m != mark.adopted)
    return;

  drop_offheap(h->offheap, mark.offheap);
  h->offheap = mark.offheap;
  free_adopted(h, mark.adopted);
  c = h->chunks;
  while (c != stop) {
    beam__chunk_t *next = c->next;
    h->bytes -= c->size;
    beam__chunk_free(c);
    c = next;
  }
  h->chunks = stop;
  if (stop != NULL) {
    h->top = mark.top;
    h->end = (char *) stop + stop->size;
  } else {
    h->top = h->end = NULL;
  }
}

size_t beam_arena_bytes(void) {
  return beam__heap_current()->bytes;
}
