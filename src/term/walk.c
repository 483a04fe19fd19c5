/* SPDX-License-Identifier: MIT */
/*
** walk.c: growth of the walkers' explicit stacks (walk.h).
**
** Walkers that can report an error grow through beam__malloc, so the
** allocation-failure test switch reaches them. The two that cannot
** (beam_compare and beam_hash are [nofail]) take plain malloc: the test
** switch must not turn a comparison into a crash, and a real failure to
** find a few kilobytes for a term nested thousands deep ends the program
** with a message, as it ends the BEAM.
*/
#include "walk.h"

void *beam__walk_grow(void *f, void *local, size_t sp, size_t *cap,
                      size_t size, bool nofail) {
  size_t ncap = *cap * 2;
  void *g;
  if (ncap > SIZE_MAX / size)
    g = NULL;
  else if (nofail)
    g = f == local ? malloc(ncap * size) : realloc(f, ncap * size);
  else
    g = f == local ? beam__malloc(ncap * size) : beam__realloc(f, ncap * size);
  if (g == NULL) {
    if (nofail)
      BEAM_PANIC("out of memory walking a term nested %zu deep", sp);
    return NULL;
  }
  if (f == local)
    memcpy(g, f, sp * size);
  *cap = ncap;
  return g;
}

void beam__walk_free(void *f, void *local) {
  if (f != local)
    free(f); /* beam__free is free: both growth paths end here */
}
