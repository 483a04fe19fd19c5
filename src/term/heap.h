/* SPDX-License-Identifier: MIT */
/*
** term/heap.h: per-process memory and message blocks.
**
** A heap is a chain of bump-allocated chunks owned by one process (or by
** one plain thread, for terms built outside processes), in two
** generations: young (built or received since the last collection) and
** old (what collections kept; gc.c). Memory comes back when the process
** collects (beam_gc), releases to a mark (young only), or exits
** (beam__heap_fini).
**
** A message is one block: a 'beam__msg_t' header followed by a deep copy of
** the term, made by the sender (DESIGN-NOTES §9: the BEAM's off_heap mode,
** no receiver lock ever). Receiving *adopts* the block into the receiver's
** heap, so the term needs no second copy and lives as long as the heap's
** other terms (or until a release to an earlier mark frees it).
**
** Binaries over BEAM__HEAPBIN_MAX bytes live in a 'beam__bin_t' with an
** atomic reference count. Every REFBIN box (in a heap chunk or in a message
** block) holds one reference and sits on the 'offheap' list of its heap or
** block, which is how release, fini and msg_free find the references to
** drop.
**
** Threading: a heap is touched only by its owner. A message block belongs
** to its sender until pushed, to the mailbox while queued, and to the
** receiver after adoption; the mailbox's link field 'next' is the only field
** another thread may read while the block is queued.
*/
#ifndef BEAM_TERM_HEAP_H
#define BEAM_TERM_HEAP_H

#include "term.h"

typedef struct beam__chunk {
  struct beam__chunk *next; /* older chunk */
  size_t size;              /* bytes including this header */
  size_t mapped;            /* 1 if from beam__map (see beam__chunk_new) */
} beam__chunk_t;

/* Bytes of a chunk before its first word of terms (8-aligned). */
#define BEAM__CHUNK_HDR ((sizeof(beam__chunk_t) + 7) / 8 * 8)
static inline char *beam__chunk_start(beam__chunk_t *c) {
  return (char *) c + BEAM__CHUNK_HDR;
}

/* Shared immutable bytes of a large binary. */
typedef struct beam__bin {
  _Atomic size_t refc;
  size_t size;
  unsigned char data[];
} beam__bin_t;

typedef struct beam__heap {
  /* The young generation: everything built or received since the last
  ** collection (and what arena marks release). */
  beam__chunk_t *chunks;     /* bump chunks, newest first */
  char *top, *end;           /* free space of chunks[0] */
  uint64_t *offheap;         /* REFBIN boxes in chunks, newest first */
  struct beam__msg *adopted; /* received message blocks, newest first */
  size_t bytes;              /* young and old: chunks + adopted blocks */
  /* The old generation (gc.c): what collections kept. Its objects point
  ** only at each other (or outside the heap): terms are immutable, so an
  ** object never refers to one made after it. */
  beam__chunk_t *old;         /* chunks, newest first */
  char *old_top, *old_end;    /* free space of old[0] */
  uint64_t *old_offheap;      /* REFBIN boxes in old chunks */
  size_t old_bytes;           /* old chunks, counted in 'bytes' too */
  size_t old_used;            /* bytes of objects in old chunks */
  size_t old_after_major;     /* old_used after the last major collection */
  size_t live_after_gc;       /* bytes kept by the last collection */
  uint32_t minor_gcs, major_gcs;
} beam__heap_t;

typedef struct beam__msg {
  /* Mailbox link (MPSC queue); after adoption, the 'adopted' chain. */
  _Atomic(struct beam__msg *) next;
  beam_term_t term;   /* the root term; its data follows this header */
  uint64_t *offheap;  /* REFBIN boxes inside this block */
  size_t size;        /* bytes of the whole block */
  uint32_t kind;      /* owned by the mailbox/signal layer; 0 = message */
  uint32_t aux;       /* owned by the mailbox/signal layer */
  beam_term_t from;   /* owned by the mailbox/signal layer */
} beam__msg_t;

/* A heap that holds nothing; allocates nothing until first used. */
void beam__heap_init(beam__heap_t *h);
/* Free every chunk and adopted message and drop every binary reference. */
void beam__heap_fini(beam__heap_t *h);
/* 'words' 8-byte words, 8-aligned; NULL when out of memory. */
uint64_t *beam__heap_alloc(beam__heap_t *h, size_t words);
/* The heap terms are built on: the running process's, else this thread's. */
beam__heap_t *beam__heap_current(void);

/* Deep-copy 't' into a new block ('*err' = BEAM_ENOMEM or the code of an
** error term on failure, and NULL is returned). 't' must be valid. */
beam__msg_t *beam__msg_new(beam_term_t t, int *err);
/* Free an unread block (drops its binary references). */
void beam__msg_free(beam__msg_t *m);
/* Move a block into 'h'; returns its term, valid as long as 'h' keeps it. */
beam_term_t beam__heap_adopt(beam__heap_t *h, beam__msg_t *m);

/* Heap chunks (heap.c), also the collector's to-space: 'bytes' with the
** header, 'size' set (next unset). Large ones (1 MiB and more) are whole
** pages from the kernel, so that trim can give back the part a
** collection did not fill; under ASan all come from malloc, whose freed
** blocks it watches. NULL when out of memory. */
beam__chunk_t *beam__chunk_new(size_t bytes);
void beam__chunk_free(beam__chunk_t *c);
/* Give back the pages of 'c' past 'used' (a mapped chunk only); returns
** the bytes given back ('c->size' shrinks by as much). */
size_t beam__chunk_trim(beam__chunk_t *c, const char *used);

/* The collector (gc.c). Keep what is reachable from the 'n' terms at
** 'roots' (updated in place), everything else in the heap is freed:
** young only (minor), or young and old (major) when 'major' or when the
** old generation has doubled since the last major collection. 0, or
** BEAM_ENOMEM with the heap unchanged. */
int beam__heap_collect(beam__heap_t *h, beam_term_t **roots, size_t n,
                       bool major);
/* A major collection into a to-space of exactly the live size (two
** passes: the first measures), for a process about to hibernate. */
int beam__heap_compact(beam__heap_t *h, beam_term_t **roots, size_t n);
/* Bytes young terms and messages take now (what a collection looks at). */
size_t beam__heap_young_bytes(const beam__heap_t *h);

/* Shared binary reference counting. */
beam__bin_t *beam__bin_new(size_t size);
void beam__bin_ref(beam__bin_t *b);
void beam__bin_unref(beam__bin_t *b);
/* Bytes all shared binaries take now (headers included). [any] */
size_t beam__bin_live_bytes(void);

#endif
