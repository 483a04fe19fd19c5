/* SPDX-License-Identifier: MIT */
/*
** term/map.h: maps, flat and trie (map.c, maphash.c).
**
** A map of up to 32 keys is flat: one MAP box, keys sorted in map-key
** order, then the values (term.h). A larger one is a hash array mapped
** trie in the CHAMP layout, indexed 4 bits a level by OTP 25's map hash
** (maphash.c), so that walking it highest slot first gives the order in
** which OTP writes the map (ETF) and lists it (maps:to_list). The form is
** canonical: a map is flat exactly when it has 32 keys or fewer, and a
** trie's shape depends only on its keys, so equal maps have equal trees.
**
** Node boxes (header tag 111, subtag, size = the number of term words):
**   HMAP   hdr  bitmaps  count  pairs...  children...   (the root: a map)
**   HNODE  hdr  bitmaps  pairs...  children...            (inner)
**   HCOLL  hdr  pairs...                (keys whose hashes agree to level
**                                        16: sorted in map-key order)
** 'bitmaps' is one raw word: the data map (slots holding a key/value
** pair) in bits 0..15, the node map (slots holding a child) in 16..31.
** Pairs (key, value: two words) and then children are packed in slot
** order. Canonical rules: no node other than the root is empty or holds
** a single pair and nothing else (that pair moves up into its parent).
*/
#ifndef BEAM_TERM_MAP_H
#define BEAM_TERM_MAP_H

#include "term.h"

#define BEAM__MAP_FLAT_MAX   32 /* more keys: a trie */
#define BEAM__TRIE_MAX_LEVEL 16 /* 4 bits a level, 32-bit hashes: 2 generations */

/* OTP 25's map hash of 'key' for trie generation 'generation' (levels
** 8g .. 8g+7). [any, nofail] */
uint32_t beam__map_hash(beam_term_t key, unsigned generation);

/* 1 if 't' is a trie map. */
static inline int beam__is_trie(beam_term_t t) {
  return beam__is_box_of(t, BEAM__SUB_HMAP);
}
/* Keys of a trie map. */
static inline size_t beam__trie_size(beam_term_t m) {
  return (size_t) beam__box_ptr(m)[2];
}

/* Trie operations (the public calls dispatch here for maps of more than
** 32 keys). get: 1 and '*value', or 0. put: the new trie (the same one
** when nothing changes) or an error term. from_pairs: a trie of 'n' pairs
** (later duplicates win); '*distinct' (may be NULL) the keys it holds. */
int beam__trie_get(beam_term_t m, beam_term_t key, beam_term_t *value);
beam_term_t beam__trie_put(beam_term_t m, beam_term_t key, beam_term_t v);
beam_term_t beam__trie_from_pairs(const uint64_t *keys, const uint64_t *vals,
                                  size_t n, size_t *distinct);

/* Walking a trie map in OTP's order (maps:to_list, ETF): depth first, at
** every node the highest slot first. */
typedef struct beam__trie_iter {
  int depth;
  const uint64_t *node[BEAM__TRIE_MAX_LEVEL + 1];
  int pos[BEAM__TRIE_MAX_LEVEL + 1]; /* next slot (or pair) to look at */
} beam__trie_iter_t;
void beam__trie_iter_init(beam__trie_iter_t *it, beam_term_t m);
bool beam__trie_next(beam__trie_iter_t *it, beam_term_t *k, beam_term_t *v);

/* Any map's pairs in map-key order (what printing and ordering need):
** '*keys' and '*vals' point at 'n' terms each, either inside a flat map or
** into one malloc'd block the caller frees with beam__map_pairs_free. 0,
** or BEAM_ENOMEM. */
int beam__map_pairs(beam_term_t m, const uint64_t **keys,
                    const uint64_t **vals, size_t *n);
void beam__map_pairs_free(beam_term_t m, const uint64_t *keys);

/* Where a boxed object's terms are (copy, gc): 'first' words after the
** header start them, 'n' of them; returns the object's words. Everything
** else in the object is raw. */
size_t beam__box_layout(const uint64_t *p, size_t *first, size_t *n);

#endif
