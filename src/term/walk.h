/* SPDX-License-Identifier: MIT */
/*
** term/walk.h: the explicit stack behind every walk over a term.
**
** Terms nest without limit: a list of lists a million deep, or a chain
** of tuples each holding the next in its first element, is a valid term
** that ETF, a message or a user's loop can produce. A process's C stack is
** 64 KiB. So no walker in the library recurses on nesting (print, compare,
** hash, copy, ETF encode and decode, and the collector): each keeps its
** pending work as frames in a stack of its own, whose first
** BEAM__WALK_LOCAL frames live in the walker's C frame (a walk over an
** ordinary term never allocates) and the rest in memory that doubles as it
** grows. Depth then costs heap, a few words a level, never C stack.
**
** Convention shared by the walkers: a frame stands for the *rest* of a
** container (the elements still to visit). A walker pops the frame before
** it descends into the last of them, so the last element of a tuple and
** the tail of a list replace their frame instead of stacking on it: long
** lists and right-nested tuples walk in constant space.
**
** BEAM__WALK_STACK(name, frame_type) defines 'name_t' and:
**   name_init(s)        an empty stack (nothing allocated)
**   name_fini(s)        frees what grew
**   name_push(s)        a new top frame to fill in; NULL when out of memory
**   name_push_nofail(s) the same for walkers that cannot fail
**                       (beam_compare, beam_hash): out of memory there is
**                       fatal, as it is for the BEAM
** and the fields 'f' (frames), 'sp' (frames in use).
*/
#ifndef BEAM_TERM_WALK_H
#define BEAM_TERM_WALK_H

#include "../internal.h"

#define BEAM__WALK_LOCAL 32

/* Grow 'f' (holding 'sp' frames of 'size' bytes, 'local' the inline
** array) to twice 'cap'; NULL when out of memory (nothing is lost). */
void *beam__walk_grow(void *f, void *local, size_t sp, size_t *cap,
                      size_t size, bool nofail);
void beam__walk_free(void *f, void *local);

#define BEAM__WALK_STACK(name, frame_type)                                     \
  BEAM__WALK_STACK_N(name, frame_type, BEAM__WALK_LOCAL)
/* The same with 'local' frames inline, for large frames. */
#define BEAM__WALK_STACK_N(name, frame_type, local_frames)                     \
  typedef struct name {                                                        \
    frame_type *f;                                                             \
    size_t sp, cap;                                                            \
    frame_type local[local_frames];                                            \
  } name##_t;                                                                  \
  static inline void name##_init(name##_t *s) {                                \
    s->f = s->local;                                                           \
    s->sp = 0;                                                                 \
    s->cap = (local_frames);                                                   \
  }                                                                            \
  static inline void name##_fini(name##_t *s) {                                \
    if (BEAM_UNLIKELY(s->f != s->local))                                       \
      beam__walk_free(s->f, s->local);                                         \
  }                                                                            \
  static inline frame_type *name##_push_(name##_t *s, bool nofail) {           \
    if (BEAM_UNLIKELY(s->sp == s->cap)) {                                      \
      frame_type *g = beam__walk_grow(s->f, s->local, s->sp, &s->cap,          \
                                      sizeof(frame_type), nofail);             \
      if (g == NULL)                                                           \
        return NULL;                                                           \
      s->f = g;                                                                \
    }                                                                          \
    return &s->f[s->sp++];                                                     \
  }                                                                            \
  static inline BEAM_UNUSED frame_type *name##_push(name##_t *s) {             \
    return name##_push_(s, false);                                             \
  }                                                                            \
  static inline BEAM_UNUSED frame_type *name##_push_nofail(name##_t *s) {      \
    return name##_push_(s, true);                                              \
  }

#endif
