/* SPDX-License-Identifier: MIT */
/*
** term.c: building and taking apart terms (layouts in term/term.h).
**
** Every constructor allocates on beam__heap_current() and returns a term,
** never a status: failure is an error term, and an error term given as an
** argument is returned unchanged, so a nested construction reports the
** first failure from its root (like NaN through arithmetic). A constructor
** checks its arguments before allocating, so a propagated error wastes no
** heap; a failed allocation half way through a compound term leaves the
** parts already built as garbage until the heap is released (heaps are
** never collected, see heap.c).
**
** Integers have exactly one representation each: small (unboxed, 61 bits)
** when they fit, else a BIGINT box of 64-bit GMP limbs. Equality of
** integers is thus equality of representation, and GMP's 'mpn' layer works
** on our limbs in place (cmp.c and print.c use it without copying).
**
** Maps are flat: keys sorted in map-key order (beam__cmp_exact) so lookup
** is a binary search and equal maps have equal layouts. beam_map_put copies
** the map, O(n) per insertion: fine for the small maps messages carry.
** TODO(term): a HAMT above 32 keys, as the BEAM (#1).
**
** Threading: terms are immutable; any thread may read any term it holds.
** Only the reference counter below is shared state.
*/
#include "heap.h"

#include <math.h>

#include <gmp.h>

BEAM_STATIC_ASSERT(GMP_LIMB_BITS == 64 && sizeof(mp_limb_t) == 8,
                   "BIGINT boxes store 64-bit GMP limbs");

/* ---- UTF-8 ---- */

int beam__utf8_next(const unsigned char *s, size_t len, size_t *i,
                    uint32_t *cp) {
  size_t k = *i;
  unsigned c = s[k];
  if (c < 0x80) {
    *cp = c;
    *i = k + 1;
    return 0;
  }
  unsigned n;
  uint32_t v, min;
  if ((c & 0xe0) == 0xc0) {
    n = 1, v = c & 0x1f, min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    n = 2, v = c & 0x0f, min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    n = 3, v = c & 0x07, min = 0x10000;
  } else {
    return -1;
  }
  if (len - k <= n)
    return -1;
  for (unsigned j = 1; j <= n; j++) {
    if ((s[k + j] & 0xc0) != 0x80)
      return -1;
    v = (v << 6) | (s[k + j] & 0x3f);
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
    return -1;
  *cp = v;
  *i = k + 1 + n;
  return 0;
}

size_t beam__utf8_put(uint32_t cp, unsigned char *o) {
  if (cp < 0x80) {
    o[0] = (unsigned char) cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (unsigned char) (0xc0 | cp >> 6);
    o[1] = (unsigned char) (0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (unsigned char) (0xe0 | cp >> 12);
    o[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
    o[2] = (unsigned char) (0x80 | (cp & 0x3f));
    return 3;
  }
  o[0] = (unsigned char) (0xf0 | cp >> 18);
  o[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3f));
  o[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
  o[3] = (unsigned char) (0x80 | (cp & 0x3f));
  return 4;
}

/* ---- Error terms ---- */

beam_term_t beam_error_term(int err) {
  if (err >= 0)
    err = BEAM_EINVAL;
  return beam__mk(((uint64_t) (-(int64_t) err) << 3) | BEAM__TAG_ERROR);
}

int beam_is_error(beam_term_t t) {
  return beam__tag(t) == BEAM__TAG_ERROR;
}

int beam_term_error(beam_term_t t) {
  if (beam__tag(t) != BEAM__TAG_ERROR)
    return 0;
  return (int) -(int64_t) (t.raw >> 3);
}

/* The code to propagate if 't' cannot be used as an argument, else 0. */
static int bad(beam_term_t t) {
  return beam__term_bad(t);
}

static uint64_t *alloc(size_t words) {
  return beam__heap_alloc(beam__heap_current(), words);
}

static beam_term_t boxed(uint64_t *p) {
  return beam__mk((uint64_t) (uintptr_t) p);
}

/* ---- Types ---- */

beam_type_t beam_type(beam_term_t t) {
  switch (beam__tag(t)) {
  case BEAM__TAG_LIST:
    return BEAM_T_LIST;
  case BEAM__TAG_SMALL:
    return BEAM_T_INT;
  case BEAM__TAG_ATOM:
    return BEAM_T_ATOM;
  case BEAM__TAG_PID:
    return BEAM_T_PID;
  case BEAM__TAG_SPEC:
    return t.raw == BEAM__NIL_RAW ? BEAM_T_NIL : BEAM_T_ERROR;
  case BEAM__TAG_BOXED:
    if (t.raw == 0)
      return BEAM_T_ERROR;
    switch (BEAM__HDR_SUB(beam__box_hdr(t))) {
    case BEAM__SUB_TUPLE:
      return BEAM_T_TUPLE;
    case BEAM__SUB_FLOAT:
      return BEAM_T_FLOAT;
    case BEAM__SUB_BIGINT:
      return BEAM_T_INT;
    case BEAM__SUB_HEAPBIN:
    case BEAM__SUB_REFBIN:
      return BEAM_T_BINARY;
    case BEAM__SUB_REF:
      return BEAM_T_REF;
    case BEAM__SUB_MAP:
    case BEAM__SUB_HMAP:
      return BEAM_T_MAP;
    case BEAM__SUB_EXTPID:
      return BEAM_T_PID;
    }
    return BEAM_T_ERROR;
  default:
    return BEAM_T_ERROR;
  }
}

int beam_is_int(beam_term_t t) {
  return beam__tag(t) == BEAM__TAG_SMALL ||
         beam__is_box_of(t, BEAM__SUB_BIGINT);
}
int beam_is_atom(beam_term_t t) {
  return beam__tag(t) == BEAM__TAG_ATOM;
}
int beam_is_pid(beam_term_t t) {
  return beam__is_pid(t) || beam__is_box_of(t, BEAM__SUB_EXTPID);
}
int beam_is_ref(beam_term_t t) {
  return beam__is_box_of(t, BEAM__SUB_REF);
}
int beam_is_tuple(beam_term_t t) {
  return beam__is_box_of(t, BEAM__SUB_TUPLE);
}
int beam_is_list(beam_term_t t) {
  return beam__tag(t) == BEAM__TAG_LIST || t.raw == BEAM__NIL_RAW;
}
int beam_is(beam_term_t t, const char *name) {
  const char *s = beam_atom_name(t);
  return s != NULL && name != NULL && strcmp(s, name) == 0;
}

/* ---- Integers ---- */

static beam_term_t small(int64_t v) {
  return beam__mk(((uint64_t) v << 3) | BEAM__TAG_SMALL);
}

/* An integer from sign and magnitude limbs (normalised: a value that fits
** a small integer becomes one, leading zero limbs are dropped). */
static beam_term_t make_int(int neg, const uint64_t *limbs, size_t n) {
  while (n > 0 && limbs[n - 1] == 0)
    n--;
  if (n == 0)
    return small(0);
  if (n == 1) {
    if (!neg && limbs[0] <= (uint64_t) BEAM__SMALL_MAX)
      return small((int64_t) limbs[0]);
    if (neg && limbs[0] <= (uint64_t) 1 << 60)
      return small(-(int64_t) limbs[0]);
  }
  if (n > ((uint64_t) 1 << 57))
    return beam_error_term(BEAM_ENOMEM);
  uint64_t *p = alloc(2 + n);
  if (p == NULL)
    return beam_error_term(BEAM_ENOMEM);
  p[0] = BEAM__HDR(BEAM__SUB_BIGINT, n);
  p[1] = neg ? 1 : 0;
  memcpy(p + 2, limbs, n * 8);
  return boxed(p);
}

beam_term_t beam__int_from_limbs(int neg, const uint64_t *limbs, size_t n) {
  return make_int(neg, limbs, n);
}

beam_term_t beam_int(int64_t v) {
  if (v >= BEAM__SMALL_MIN && v <= BEAM__SMALL_MAX)
    return small(v);
  uint64_t mag = v < 0 ? -(uint64_t) v : (uint64_t) v;
  return make_int(v < 0, &mag, 1);
}

beam_term_t beam_uint(uint64_t v) {
  if (v <= (uint64_t) BEAM__SMALL_MAX)
    return small((int64_t) v);
  return make_int(0, &v, 1);
}

beam_term_t beam_int_from_str(const char *s) {
  if (s == NULL)
    return beam_error_term(BEAM_EINVAL);
  int neg = 0;
  if (*s == '-' || *s == '+')
    neg = *s++ == '-';
  size_t n = strspn(s, "0123456789");
  if (n == 0 || s[n] != '\0')
    return beam_error_term(BEAM_EINVAL);
  while (n > 1 && *s == '0')
    s++, n--;
  if (n <= 18) {
    int64_t v = 0;
    for (size_t i = 0; i < n; i++)
      v = v * 10 + (s[i] - '0');
    return beam_int(neg ? -v : v);
  }
  /* Digits as values, then GMP's sub-quadratic conversion into limbs. */
  size_t cap = n / 19 + 2;
  unsigned char *digits = beam__malloc(n);
  uint64_t *limbs = beam__malloc(cap * 8);
  beam_term_t r = beam_error_term(BEAM_ENOMEM);
  if (digits != NULL && limbs != NULL) {
    for (size_t i = 0; i < n; i++)
      digits[i] = (unsigned char) (s[i] - '0');
    mp_size_t k = mpn_set_str((mp_limb_t *) limbs, digits, n, 10);
    r = make_int(neg, limbs, (size_t) k);
  }
  beam__free(digits);
  beam__free(limbs);
  return r;
}

int beam_get_int(beam_term_t t, int64_t *out) {
  if (beam__tag(t) == BEAM__TAG_SMALL) {
    if (out)
      *out = (int64_t) t.raw >> 3;
    return 0;
  }
  if (!beam__is_box_of(t, BEAM__SUB_BIGINT))
    return BEAM_ETYPE;
  if (beam__big_nlimbs(t) != 1)
    return BEAM_ERANGE;
  uint64_t mag = beam__big_limbs(t)[0];
  if (!beam__big_neg(t)) {
    if (mag > (uint64_t) INT64_MAX)
      return BEAM_ERANGE;
    if (out)
      *out = (int64_t) mag;
  } else {
    if (mag > (uint64_t) 1 << 63)
      return BEAM_ERANGE;
    if (out)
      *out = (int64_t) (0 - mag);
  }
  return 0;
}

/* ---- Floats ---- */

beam_term_t beam_float(double v) {
  if (!isfinite(v))
    return beam_error_term(BEAM_EINVAL); /* Erlang has no NaN or inf */
  uint64_t *p = alloc(2);
  if (p == NULL)
    return beam_error_term(BEAM_ENOMEM);
  p[0] = BEAM__HDR(BEAM__SUB_FLOAT, 1);
  memcpy(p + 1, &v, 8);
  return boxed(p);
}

int beam_get_uint(beam_term_t t, uint64_t *out) {
  if (beam__tag(t) == BEAM__TAG_SMALL) {
    int64_t v = (int64_t) t.raw >> 3;
    if (v < 0)
      return BEAM_ERANGE;
    if (out)
      *out = (uint64_t) v;
    return 0;
  }
  if (!beam__is_box_of(t, BEAM__SUB_BIGINT))
    return BEAM_ETYPE;
  if (beam__big_neg(t) || beam__big_nlimbs(t) != 1)
    return BEAM_ERANGE;
  if (out)
    *out = beam__big_limbs(t)[0];
  return 0;
}

int beam_get_float(beam_term_t t, double *out) {
  if (!beam__is_box_of(t, BEAM__SUB_FLOAT))
    return BEAM_ETYPE;
  if (out)
    *out = beam__float_val(t);
  return 0;
}

/* ---- Tuples ---- */

#define MAX_ELEMS ((size_t) 1 << 54) /* a map holds 2n: under BEAM__HDR_MAX */

beam_term_t beam_tuple_v(size_t n, const beam_term_t *elems) {
  if (n > MAX_ELEMS || (n > 0 && elems == NULL))
    return beam_error_term(BEAM_EINVAL);
  for (size_t i = 0; i < n; i++)
    if (bad(elems[i]))
      return beam_error_term(bad(elems[i]));
  uint64_t *p = alloc(1 + n);
  if (p == NULL)
    return beam_error_term(BEAM_ENOMEM);
  p[0] = BEAM__HDR(BEAM__SUB_TUPLE, n);
  for (size_t i = 0; i < n; i++)
    p[1 + i] = elems[i].raw;
  return boxed(p);
}

/* The first unusable term among 'n' varargs, or 0. */
static int scan_args(size_t n, va_list ap) {
  va_list aq;
  va_copy(aq, ap);
  int err = 0;
  for (size_t i = 0; i < n && err == 0; i++)
    err = bad(va_arg(aq, beam_term_t));
  va_end(aq);
  return err;
}

beam_term_t beam_tuple(size_t n, ...) {
  if (n > MAX_ELEMS)
    return beam_error_term(BEAM_EINVAL);
  va_list ap;
  va_start(ap, n);
  int err = scan_args(n, ap);
  uint64_t *p = err ? NULL : alloc(1 + n);
  if (p != NULL) {
    p[0] = BEAM__HDR(BEAM__SUB_TUPLE, n);
    for (size_t i = 0; i < n; i++)
      p[1 + i] = va_arg(ap, beam_term_t).raw;
  }
  va_end(ap);
  if (err)
    return beam_error_term(err);
  return p ? boxed(p) : beam_error_term(BEAM_ENOMEM);
}

size_t beam_tuple_size(beam_term_t t) {
  return beam_is_tuple(t) ? (size_t) BEAM__HDR_SIZE(beam__box_hdr(t)) : 0;
}

beam_term_t beam_tuple_get(beam_term_t t, size_t i) {
  if (bad(t))
    return beam_error_term(bad(t));
  if (!beam_is_tuple(t))
    return beam_error_term(BEAM_ETYPE);
  if (i >= BEAM__HDR_SIZE(beam__box_hdr(t)))
    return beam_error_term(BEAM_ERANGE);
  return beam__mk(beam__box_ptr(t)[1 + i]);
}

/* ---- Lists ---- */

beam_term_t beam_nil(void) {
  return beam__mk(BEAM__NIL_RAW);
}

static beam_term_t list_cell(uint64_t *c) {
  return beam__mk((uint64_t) (uintptr_t) c | BEAM__TAG_LIST);
}

beam_term_t beam_cons(beam_term_t head, beam_term_t tail) {
  if (bad(head))
    return beam_error_term(bad(head));
  if (bad(tail))
    return beam_error_term(bad(tail));
  uint64_t *c = alloc(2);
  if (c == NULL)
    return beam_error_term(BEAM_ENOMEM);
  c[0] = head.raw;
  c[1] = tail.raw;
  return list_cell(c);
}

/* 'n' cells in one block, heads left for the caller, tails linked. */
static uint64_t *alloc_cells(size_t n) {
  if (n > MAX_ELEMS)
    return NULL;
  uint64_t *c = alloc(2 * n);
  if (c == NULL)
    return NULL;
  for (size_t i = 0; i + 1 < n; i++)
    c[2 * i + 1] = list_cell(c + 2 * i + 2).raw;
  c[2 * n - 1] = BEAM__NIL_RAW;
  return c;
}

beam_term_t beam_list_v(size_t n, const beam_term_t *elems) {
  if (n > 0 && elems == NULL)
    return beam_error_term(BEAM_EINVAL);
  for (size_t i = 0; i < n; i++)
    if (bad(elems[i]))
      return beam_error_term(bad(elems[i]));
  if (n == 0)
    return beam_nil();
  uint64_t *c = alloc_cells(n);
  if (c == NULL)
    return beam_error_term(BEAM_ENOMEM);
  for (size_t i = 0; i < n; i++)
    c[2 * i] = elems[i].raw;
  return list_cell(c);
}

beam_term_t beam_list(size_t n, ...) {
  va_list ap;
  va_start(ap, n);
  int err = scan_args(n, ap);
  uint64_t *c = err || n == 0 ? NULL : alloc_cells(n);
  if (c != NULL)
    for (size_t i = 0; i < n; i++)
      c[2 * i] = va_arg(ap, beam_term_t).raw;
  va_end(ap);
  if (err)
    return beam_error_term(err);
  if (n == 0)
    return beam_nil();
  return c ? list_cell(c) : beam_error_term(BEAM_ENOMEM);
}

beam_term_t beam_charlist(const char *utf8) {
  if (utf8 == NULL)
    return beam_error_term(BEAM_EINVAL);
  const unsigned char *s = (const unsigned char *) utf8;
  size_t len = strlen(utf8), n = 0, i = 0;
  uint32_t cp;
  while (i < len) {
    if (beam__utf8_next(s, len, &i, &cp) < 0)
      return beam_error_term(BEAM_EINVAL);
    n++;
  }
  if (n == 0)
    return beam_nil();
  uint64_t *c = alloc_cells(n);
  if (c == NULL)
    return beam_error_term(BEAM_ENOMEM);
  i = 0;
  for (size_t k = 0; k < n; k++) {
    beam__utf8_next(s, len, &i, &cp);
    c[2 * k] = small(cp).raw;
  }
  return list_cell(c);
}

beam_term_t beam_hd(beam_term_t l) {
  if (bad(l))
    return beam_error_term(bad(l));
  if (beam__tag(l) != BEAM__TAG_LIST)
    return beam_error_term(BEAM_ETYPE);
  return beam__mk(beam__list_ptr(l)[0]);
}

beam_term_t beam_tl(beam_term_t l) {
  if (bad(l))
    return beam_error_term(bad(l));
  if (beam__tag(l) != BEAM__TAG_LIST)
    return beam_error_term(BEAM_ETYPE);
  return beam__mk(beam__list_ptr(l)[1]);
}

int64_t beam_list_length(beam_term_t l) {
  int64_t n = 0;
  while (beam__tag(l) == BEAM__TAG_LIST) {
    n++;
    l = beam__mk(beam__list_ptr(l)[1]);
  }
  return l.raw == BEAM__NIL_RAW ? n : BEAM_ETYPE;
}

/* ---- References and pids ---- */

/* Relaxed: only uniqueness matters, which the atomic RMW gives alone. */
static _Atomic uint64_t next_ref_id = 1;

uint64_t beam__ref_next_id(void) {
  return atomic_fetch_add_explicit(&next_ref_id, 1, memory_order_relaxed);
}

beam_term_t beam__ref_make(uint64_t id) {
  uint64_t *p = alloc(3);
  if (p == NULL)
    return beam_error_term(BEAM_ENOMEM);
  p[0] = BEAM__HDR(BEAM__SUB_REF, 0);
  p[1] = id;
  p[2] = 0; /* this node */
  return boxed(p);
}

uint64_t beam__ref_id(beam_term_t t) {
  return beam_is_ref(t) ? beam__box_ptr(t)[1] : 0;
}

/* Local-form limits (term/term.h): pid ID bits 29..31 must be clear; ref
** words must be w0 < 2^18, w2 < 2^14, no more than 3, id != 0. */
#define REF_W0_BITS 18
#define REF_W1_BITS 32

void beam__pid_view(beam_term_t t, beam__pid_view_t *v) {
  if (beam__is_pid(t)) {
    uint64_t serial = beam__pid_serial(t);
    v->node = beam__am_nonode;
    v->id = (uint32_t) (beam__pid_index(t) |
                        (serial >> 32) << BEAM__PID_INDEX_BITS);
    v->serial = (uint32_t) serial;
    v->creation = 0;
    return;
  }
  const uint64_t *p = beam__box_ptr(t); /* EXTPID */
  v->node = beam__mk(p[1]);
  v->id = (uint32_t) p[2];
  v->serial = (uint32_t) p[3];
  v->creation = (uint32_t) p[4];
}

beam_term_t beam__pid_from_view(const beam__pid_view_t *v) {
  if (v->node.raw == beam__am_nonode.raw && v->creation == 0 &&
      (v->id >> (BEAM__PID_INDEX_BITS + 1)) == 0)
    return beam__pid_make(v->id & BEAM__PID_INDEX_MASK,
                          (uint64_t) (v->id >> BEAM__PID_INDEX_BITS) << 32 |
                              v->serial);
  uint64_t *p = alloc(5);
  if (p == NULL)
    return beam_error_term(BEAM_ENOMEM);
  p[0] = BEAM__HDR(BEAM__SUB_EXTPID, 0);
  p[1] = v->node.raw;
  p[2] = v->id;
  p[3] = v->serial;
  p[4] = v->creation;
  return boxed(p);
}

void beam__ref_view(beam_term_t t, beam__ref_view_t *v) {
  const uint64_t *p = beam__box_ptr(t);
  size_t n = (size_t) BEAM__HDR_SIZE(p[0]);
  if (n == 0) {
    uint64_t id = p[1];
    v->node = beam__am_nonode;
    v->creation = 0;
    v->n = 3;
    v->w[0] = (uint32_t) (id & ((1u << REF_W0_BITS) - 1));
    v->w[1] = (uint32_t) (id >> REF_W0_BITS);
    v->w[2] = (uint32_t) (id >> (REF_W0_BITS + REF_W1_BITS));
    return;
  }
  v->node = beam__mk(p[2]);
  v->creation = (uint32_t) p[3];
  v->n = (unsigned) n;
  for (size_t i = 0; i < n; i++)
    v->w[i] = (uint32_t) p[4 + i];
}

beam_term_t beam__ref_from_view(const beam__ref_view_t *v) {
  if (v->n == 0 || v->n > BEAM__REF_MAX_WORDS)
    return beam_error_term(BEAM_EINVAL);
  if (v->node.raw == beam__am_nonode.raw && v->creation == 0 && v->n <= 3) {
    uint64_t w1 = v->n > 1 ? v->w[1] : 0, w2 = v->n > 2 ? v->w[2] : 0;
    uint64_t id = v->w[0] | w1 << REF_W0_BITS |
                  w2 << (REF_W0_BITS + REF_W1_BITS);
    if (v->w[0] >> REF_W0_BITS == 0 &&
        w2 >> (64 - REF_W0_BITS - REF_W1_BITS) == 0 && id != 0)
      return beam__ref_make(id);
  }
  uint64_t *p = alloc(4 + v->n);
  if (p == NULL)
    return beam_error_term(BEAM_ENOMEM);
  p[0] = BEAM__HDR(BEAM__SUB_REF, v->n);
  p[1] = 0; /* not a local id */
  p[2] = v->node.raw;
  p[3] = v->creation;
  for (unsigned i = 0; i < v->n; i++)
    p[4 + i] = v->w[i];
  return boxed(p);
}

size_t beam_pid_print(char *buf, size_t size, beam_pid_t pid) {
  int n;
  if (buf == NULL)
    size = 0; /* measure only, as beam_print */
  if (beam_is_pid(pid)) {
    /* Erlang shows pids of its own node as <0.ID.Serial>; for other nodes
    ** it shows a node-table index, for which we show the atom's index. */
    beam__pid_view_t v;
    beam__pid_view(pid, &v);
    unsigned long long node = v.node.raw == beam__am_nonode.raw &&
                                      v.creation == 0
                                  ? 0
                                  : (unsigned long long) (v.node.raw >> 3);
    n = snprintf(buf, size, "<%llu.%lu.%lu>", node, (unsigned long) v.id,
                 (unsigned long) v.serial);
  } else {
    n = snprintf(buf, size, "<not a pid>");
  }
  return n < 0 ? 0 : (size_t) n;
}
