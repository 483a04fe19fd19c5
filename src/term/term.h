/* SPDX-License-Identifier: MIT */
/*
** term/term.h: the word layout of a term, shared by the term layer, the
** mailbox (which copies terms) and the process layer (which makes pids).
**
** A term is one 64-bit word. The low 3 bits are the tag:
**
**   000  boxed: pointer (8-aligned) to a header word, then the payload.
**        raw == 0 is never a valid term.
**   001  list cell: pointer | 1 to two words, head then tail.
**   010  small integer: value << 3, so -2^60 .. 2^60-1. Larger values are
**        boxed big integers; a big integer never holds a small value, so
**        each integer has exactly one representation.
**   011  atom: index << 3 into the global atom table.
**   100  local pid: (serial << BEAM__PID_INDEX_BITS | index) << 3.
**   101  special immediates: '[]' is exactly 0b101.
**   110  error term: ((uint64_t)(-code)) << 3 (code is a negative BEAM_E*).
**   111  the header word of a boxed object; never a term.
**
** Boxed header word: tag 111 in the low 3 bits, the subtag in the next 6,
** the rest (>> 9) an arity/size whose meaning depends on the subtag.
** Because no term word has tag 111, a run of heap words can be walked
** without knowing where objects start: a word with tag 111 opens a boxed
** object (its size says how far its payload goes), any other word opens
** a list cell (two term words). That is what lets the collector scan its
** to-space linearly (Cheney) with no stack of its own. Layouts:
**   TUPLE    hdr(arity) elem[arity]
**   FLOAT    hdr(1) double
**   BIGINT   hdr(nlimbs) sign-word limbs[nlimbs]  (GMP mp_limb_t, magnitude)
**   HEAPBIN  hdr(bytes) data (padded to words)            (<= 64 bytes)
**   REFBIN   hdr(0) beam__bin_t* len offheap-next          (> 64 bytes)
**   REF      local:    hdr(0) id (uint64: unique for the node's life) 0
**            extended: hdr(n) 0 node-atom creation word[n]   (n = 1..5)
**            An extended ref is one of another node (or one this node did
**            not make, e.g. decoded from ETF) kept as its ETF words, 32
**            bits each in a 64-bit slot; see "Pids and refs as Erlang
**            sees them" below for how local ones map to ETF words.
**   MAP      hdr(n) keys[n] values[n], keys sorted in Erlang's map-key
**            order (beam__cmp_exact: term order, but every integer sorts
**            before every float) and unique under =:= (a "flat map", as
**            the BEAM's small maps). Plain term order would merge the
**            distinct keys 1 and 1.0.
**   EXTPID   hdr(0) node-atom id serial creation   (pids of other nodes)
** The header size field always lets a copier find the end of the payload.
*/
#ifndef BEAM_TERM_TERM_H
#define BEAM_TERM_TERM_H

#include "../internal.h"

#define BEAM__TAG_MASK  UINT64_C(7)
#define BEAM__TAG_BOXED UINT64_C(0)
#define BEAM__TAG_LIST  UINT64_C(1)
#define BEAM__TAG_SMALL UINT64_C(2)
#define BEAM__TAG_ATOM  UINT64_C(3)
#define BEAM__TAG_PID   UINT64_C(4)
#define BEAM__TAG_SPEC  UINT64_C(5)
#define BEAM__TAG_ERROR UINT64_C(6)

#define BEAM__NIL_RAW UINT64_C(5)

#define BEAM__SMALL_MAX ((INT64_C(1) << 60) - 1)
#define BEAM__SMALL_MIN (-(INT64_C(1) << 60))

/* Local pid: 28 bits of index into the process table (which allows the
** 134,217,727-process limit), the rest a serial that makes a dead pid
** never alias a live one. */
#define BEAM__PID_INDEX_BITS 28
#define BEAM__PID_INDEX_MASK ((UINT64_C(1) << BEAM__PID_INDEX_BITS) - 1)

enum beam__subtag {
  BEAM__SUB_TUPLE = 1,
  BEAM__SUB_FLOAT = 2,
  BEAM__SUB_BIGINT = 3,
  BEAM__SUB_HEAPBIN = 4,
  BEAM__SUB_REFBIN = 5,
  BEAM__SUB_REF = 6,
  BEAM__SUB_MAP = 7,
  BEAM__SUB_EXTPID = 8,
  BEAM__SUB_FORWARD = 9, /* gc.c: a list cell that was copied; never a term */
  BEAM__SUB_HMAP = 10,   /* a map of more than 32 keys: a trie (map.h) */
  BEAM__SUB_HNODE = 11,  /* a trie's inner node; never a term by itself */
  BEAM__SUB_HCOLL = 12,  /* a trie's collision node; never a term */
};

#define BEAM__TAG_HEADER UINT64_C(7)
#define BEAM__HDR(sub, size)                                                   \
  (((uint64_t) (size) << 9) | ((uint64_t) (sub) << 3) | BEAM__TAG_HEADER)
#define BEAM__HDR_SUB(h)  ((unsigned) (((h) >> 3) & 63))
#define BEAM__HDR_SIZE(h) ((h) >> 9)
#define BEAM__HDR_MAX     ((UINT64_C(1) << 55) - 1) /* largest size field */
static inline int beam__is_header(uint64_t w) {
  return (w & BEAM__TAG_MASK) == BEAM__TAG_HEADER;
}

/* Binaries up to this many bytes are copied into heaps and messages;
** larger ones are reference counted and shared (as the BEAM's 64). */
#define BEAM__HEAPBIN_MAX 64

static inline uint64_t beam__tag(beam_term_t t) {
  return t.raw & BEAM__TAG_MASK;
}
static inline beam_term_t beam__mk(uint64_t raw) {
  beam_term_t t = {raw};
  return t;
}
static inline uint64_t *beam__box_ptr(beam_term_t t) {
  return (uint64_t *) (uintptr_t) t.raw;
}
static inline uint64_t *beam__list_ptr(beam_term_t t) {
  return (uint64_t *) (uintptr_t) (t.raw - BEAM__TAG_LIST);
}
static inline int beam__is_boxed(beam_term_t t) {
  return beam__tag(t) == BEAM__TAG_BOXED && t.raw != 0;
}
static inline int beam__is_immediate(beam_term_t t) {
  return beam__tag(t) >= BEAM__TAG_SMALL;
}

/* Pids. 'index' < 2^28; 'serial' any 35-bit value. */
static inline beam_term_t beam__pid_make(uint64_t index, uint64_t serial) {
  return beam__mk(((serial << BEAM__PID_INDEX_BITS | index) << 3) |
                  BEAM__TAG_PID);
}
static inline uint64_t beam__pid_index(beam_term_t p) {
  return (p.raw >> 3) & BEAM__PID_INDEX_MASK;
}
static inline uint64_t beam__pid_serial(beam_term_t p) {
  return p.raw >> (3 + BEAM__PID_INDEX_BITS);
}
static inline int beam__is_pid(beam_term_t t) {
  return beam__tag(t) == BEAM__TAG_PID;
}

/* A reference's 64-bit id, or 0 if 't' is not a local ref. */
uint64_t beam__ref_id(beam_term_t t);

/* ---- Pids and refs as Erlang sees them (term.c) ----
** The local node is 'nonode@nohost' with creation 0, as an un-distributed
** erl. A local pid <0.index.serial> is, on the wire, ID = index | (serial
** >> 32) << 28 and Serial = serial & 0xffffffff (lossless: index has 28
** bits, serial 33). A local ref id (64 bits, from 1) is three words:
** w0 = id & 0x3ffff (erl requires 18 bits there for its own node), w1 =
** (id >> 18) & 0xffffffff, w2 = id >> 50, so erl's word order (w2, w1, w0)
** is the numeric order of ids. Any pid or ref of another node, creation,
** or outside these ranges is kept as an EXTPID box or an extended REF and
** re-encodes byte for byte. The views below make both forms look alike
** to the encoder, the comparison and the printer, and the 'from_view'
** constructors choose the local form whenever it fits, so each value has
** one representation (except refs differing only by trailing zero words,
** which Erlang also treats as equal). */
#define BEAM__REF_MAX_WORDS 5
typedef struct beam__pid_view {
  beam_term_t node;
  uint32_t id, serial, creation;
} beam__pid_view_t;
typedef struct beam__ref_view {
  beam_term_t node;
  uint32_t creation;
  unsigned n; /* words, 1..5, least significant first */
  uint32_t w[BEAM__REF_MAX_WORDS];
} beam__ref_view_t;
/* 't' must be a pid / a ref. [any, nofail] */
void beam__pid_view(beam_term_t t, beam__pid_view_t *v);
void beam__ref_view(beam_term_t t, beam__ref_view_t *v);
/* The term for a view, on the current heap ([allocs]; local pids do not
** allocate). 'v->node' must be an atom; 1 <= v->n <= 5. */
beam_term_t beam__pid_from_view(const beam__pid_view_t *v);
beam_term_t beam__ref_from_view(const beam__ref_view_t *v);
/* Words of a REF box (3 for a local one). */
static inline size_t beam__ref_box_words(uint64_t hdr) {
  size_t n = (size_t) BEAM__HDR_SIZE(hdr);
  return n == 0 ? 3 : 4 + n;
}

/* Atoms the runtime uses itself: the first entries of the atom table,
** static in atom.c, so they exist before any user code runs and making
** one can never fail (a table filled by user atoms before beam_run must
** not stop links or monitors from working). Every atom the library puts
** in a term it builds comes from this list: X(c_name, "text"). */
#define BEAM__RUNTIME_ATOMS(X)                                                 \
  X(normal, "normal")                                                          \
  X(undefined, "undefined")                                                    \
  X(ok, "ok")                                                                  \
  X(error, "error")                                                            \
  X(true, "true")                                                              \
  X(false, "false")                                                            \
  X(timeout, "timeout")                                                        \
  X(infinity, "infinity")                                                      \
  X(nonode, "nonode@nohost")                                                   \
  X(kill, "kill")                                                              \
  X(killed, "killed")                                                          \
  X(noproc, "noproc")                                                          \
  X(EXIT, "EXIT")                                                              \
  X(DOWN, "DOWN")                                                              \
  X(process, "process")                                                        \
  X(shutdown, "shutdown")                                                      \
  X(system_limit, "system_limit")                                              \
  X(badarg, "badarg")                                                          \
  X(running, "running")                                                        \
  X(runnable, "runnable")                                                      \
  X(waiting, "waiting")                                                        \
  X(stack_overflow, "stack_overflow")                                          \
  X(segv, "segv")                                                              \
  X(sigbus, "sigbus")                                                          \
  X(sigfpe, "sigfpe")                                                          \
  X(sigill, "sigill")                                                          \
  X(abort, "abort")                                                            \
  X(fault, "fault")

enum beam__runtime_atom_index {
#define BEAM__AM_INDEX(name, text) BEAM__AMI_##name,
  BEAM__RUNTIME_ATOMS(BEAM__AM_INDEX)
#undef BEAM__AM_INDEX
  BEAM__AMI_COUNT
};
#define BEAM__AM_DECL(name, text) extern const beam_term_t beam__am_##name;
BEAM__RUNTIME_ATOMS(BEAM__AM_DECL)
#undef BEAM__AM_DECL

/* Atoms that exist (atom.c): it only grows, so a relaxed load can only
** under-count atoms made after whatever handed this thread the term. */
extern _Atomic size_t beam__atom_count;

/* 0 if the word 't' can be used as a term (the argument check of every
** constructor and of send, spawn and exit): the code of an error term,
** BEAM_EBADTERM for a word no term has (0, tag 111, a special immediate
** other than [], an atom index never made). Boxed pointers are taken on
** trust: only the library makes them. [any, nofail] */
static inline int beam__term_bad(beam_term_t t) {
  uint64_t tag = beam__tag(t);
  /* boxed (not 0), list, small, pid: the common case, one test */
  if (BEAM_LIKELY(((0x17u >> tag) & 1) && t.raw != 0))
    return 0;
  if (BEAM_LIKELY(tag == BEAM__TAG_ATOM && (t.raw >> 3) < BEAM__AMI_COUNT))
    return 0; /* the runtime's own atoms: no load */
  switch (tag) {
  case BEAM__TAG_ATOM:
    return (t.raw >> 3) < atomic_load_explicit(&beam__atom_count,
                                               memory_order_relaxed)
               ? 0
               : BEAM_EBADTERM;
  case BEAM__TAG_SPEC:
    return t.raw == BEAM__NIL_RAW ? 0 : BEAM_EBADTERM;
  case BEAM__TAG_ERROR:
    return (int) -(int64_t) (t.raw >> 3);
  default: /* 0, and tag 111 */
    return BEAM_EBADTERM;
  }
}

/* Create the atom table and the atoms above; idempotent, thread-safe. */
int beam__atoms_init(void);
/* Atom table limit (0 = the default 1,048,576); BEAM_EINVAL if below the
** number of atoms that already exist. [any] */
int beam__atoms_set_limit(size_t limit);
/* Atoms that exist now. [any] */
size_t beam__atoms_count(void);
/* Bytes of the atom table and its names (beam_memory). */
size_t beam__atoms_bytes(void);
/* The existing atom named by 'len' bytes of UTF-8, or an error term:
** BEAM_ENOENT if no such atom exists (nothing is created), BEAM_EINVAL if
** the name is not a valid atom name. [any, nofail-alloc] */
beam_term_t beam__atom_find(const char *name, size_t len);

/* ---- Boxed access (term.c) ---- */

static inline uint64_t beam__box_hdr(beam_term_t t) {
  return beam__box_ptr(t)[0];
}
static inline int beam__is_box_of(beam_term_t t, unsigned sub) {
  return beam__is_boxed(t) && BEAM__HDR_SUB(beam__box_hdr(t)) == sub;
}
/* BIGINT: the sign word is 0 (positive) or 1 (negative); limbs are 64-bit
** magnitude, least significant first, with a non-zero top limb. */
static inline size_t beam__big_nlimbs(beam_term_t t) {
  return (size_t) BEAM__HDR_SIZE(beam__box_hdr(t));
}
static inline int beam__big_neg(beam_term_t t) {
  return beam__box_ptr(t)[1] != 0;
}
static inline const uint64_t *beam__big_limbs(beam_term_t t) {
  return beam__box_ptr(t) + 2;
}
static inline double beam__float_val(beam_term_t t) {
  double d;
  memcpy(&d, beam__box_ptr(t) + 1, sizeof d);
  return d;
}

/* An integer from sign and magnitude limbs (64-bit, least significant
** first; leading zero limbs allowed), normalised to its one
** representation, on the current heap. */
beam_term_t beam__int_from_limbs(int neg, const uint64_t *limbs, size_t n);

/* A new REF with 'id' on the current heap (an error term on ENOMEM). The
** process layer's beam_make_ref() pairs it with beam__ref_next_id(). */
beam_term_t beam__ref_make(uint64_t id);
/* Next node-unique reference id: a global atomic counter from 1. [any] */
uint64_t beam__ref_next_id(void);

/* A binary of 'len' bytes whose contents the caller writes through '*data'
** before the term is used anywhere (HEAPBIN or REFBIN by size). */
beam_term_t beam__binary_alloc(size_t len, unsigned char **data);

/* Map-key order (cmp.c): term order, except that numbers of different
** types never tie: every integer sorts before every float, and -0.0
** before 0.0. Returns 0 exactly when beam_equal() would be 1. */
int beam__cmp_exact(beam_term_t a, beam_term_t b);
/* A 64-bit hash of bytes (cmp.c). */
uint64_t beam__hash_bytes(const void *data, size_t len, uint64_t seed);

/* Decode one UTF-8 code point of s[*i..len) into '*cp' and advance '*i';
** -1 on malformed input (overlong, surrogate, > U+10FFFF, truncated). */
int beam__utf8_next(const unsigned char *s, size_t len, size_t *i,
                    uint32_t *cp);
/* Encode 'cp' into 'out' (4 bytes room); returns the byte count. */
size_t beam__utf8_put(uint32_t cp, unsigned char *out);

#endif
