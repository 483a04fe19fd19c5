/* SPDX-License-Identifier: MIT */
/* u64map.c: see u64map.h. */
#include "u64map.h"

static size_t slot_of(const beam__u64map_t *m, uint64_t key) {
  return (size_t) ((key * UINT64_C(0x9e3779b97f4a7c15)) >> 20) & m->mask;
}

static int grow(beam__u64map_t *m) {
  size_t n = m->keys ? (m->mask + 1) * 2 : 8;
  uint64_t *k = beam__calloc(n, sizeof *k);
  uint64_t *v = beam__malloc(n * sizeof *v);
  if (!k || !v) {
    beam__free(k);
    beam__free(v);
    return BEAM_ENOMEM;
  }
  beam__u64map_t old = *m;
  m->keys = k;
  m->vals = v;
  m->mask = n - 1;
  for (size_t i = 0; old.keys && i <= old.mask; i++) {
    if (!old.keys[i])
      continue;
    size_t j = slot_of(m, old.keys[i]);
    while (m->keys[j])
      j = (j + 1) & m->mask;
    m->keys[j] = old.keys[i];
    m->vals[j] = old.vals[i];
  }
  beam__free(old.keys);
  beam__free(old.vals);
  return 0;
}

static size_t find(const beam__u64map_t *m, uint64_t key, bool *found) {
  size_t i = slot_of(m, key);
  while (m->keys[i] && m->keys[i] != key)
    i = (i + 1) & m->mask;
  *found = m->keys[i] == key;
  return i;
}

int beam__u64map_put(beam__u64map_t *m, uint64_t key, uint64_t val) {
  if ((!m->keys || (m->count + 1) * 4 > (m->mask + 1) * 3) && grow(m) != 0)
    return BEAM_ENOMEM;
  bool found;
  size_t i = find(m, key, &found);
  if (!found) {
    m->keys[i] = key;
    m->count++;
  }
  m->vals[i] = val;
  return 0;
}

int beam__u64map_get(const beam__u64map_t *m, uint64_t key, uint64_t *val) {
  if (!m->keys)
    return 0;
  bool found;
  size_t i = find(m, key, &found);
  if (found && val)
    *val = m->vals[i];
  return found;
}

int beam__u64map_del(beam__u64map_t *m, uint64_t key, uint64_t *val) {
  if (!m->keys)
    return 0;
  bool found;
  size_t i = find(m, key, &found);
  if (!found)
    return 0;
  if (val)
    *val = m->vals[i];
  /* Backward shift: move later entries of the run into the hole when
  ** their home slot does not lie strictly between the hole and them. */
  for (size_t j = (i + 1) & m->mask; m->keys[j]; j = (j + 1) & m->mask) {
    size_t home = slot_of(m, m->keys[j]);
    if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
      m->keys[i] = m->keys[j];
      m->vals[i] = m->vals[j];
      i = j;
    }
  }
  m->keys[i] = 0;
  m->count--;
  return 1;
}

int beam__u64map_next(const beam__u64map_t *m, size_t *i, uint64_t *key,
                      uint64_t *val) {
  for (; m->keys && *i <= m->mask; (*i)++) {
    if (m->keys[*i]) {
      *key = m->keys[*i];
      if (val)
        *val = m->vals[*i];
      (*i)++;
      return 1;
    }
  }
  return 0;
}

void beam__u64map_free(beam__u64map_t *m) {
  beam__free(m->keys);
  beam__free(m->vals);
  memset(m, 0, sizeof *m);
}
