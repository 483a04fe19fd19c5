/* SPDX-License-Identifier: MIT */
/*
** util/u64map.h: a small open-addressed hash map from non-zero 64-bit keys
** to 64-bit values, for the per-process link and monitor tables (a
** supervisor may hold 100,000 links; a worker one or none, so an empty map
** allocates nothing).
**
** Linear probing, at most 3/4 full, deletion by backward shift (no
** tombstones, so a map that churns never degrades). Not thread-safe: each
** map belongs to one process.
*/
#ifndef BEAM_UTIL_U64MAP_H
#define BEAM_UTIL_U64MAP_H

#include "../internal.h"

typedef struct beam__u64map {
  uint64_t *keys; /* 0 = empty slot */
  uint64_t *vals;
  size_t mask, count;
} beam__u64map_t;

/* Set 'key' (!= 0) to 'val'. 0, or BEAM_ENOMEM (map unchanged). */
int beam__u64map_put(beam__u64map_t *m, uint64_t key, uint64_t val);
/* 1 and '*val' set (may be NULL) if present, else 0. */
int beam__u64map_get(const beam__u64map_t *m, uint64_t key, uint64_t *val);
/* 1 and '*val' set (may be NULL) if it was present and is now removed. */
int beam__u64map_del(beam__u64map_t *m, uint64_t key, uint64_t *val);
/* Iterate: 'i' from 0; returns 0 at the end. Do not modify meanwhile. */
int beam__u64map_next(const beam__u64map_t *m, size_t *i, uint64_t *key,
                      uint64_t *val);
void beam__u64map_free(beam__u64map_t *m);

#endif
