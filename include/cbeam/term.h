/* SPDX-License-Identifier: MIT */
/*
** cbeam/term.h: the values processes own and exchange.
**
** A 'beam_term_t' is one 64-bit word, passed by value. Immediates (small
** integers, atoms, local pids, '[]') are the word itself; everything else
** (tuples, lists, floats, binaries, maps, refs, big integers) points into
** memory owned by the process that built it (its heap) or by the message
** that carried it. Terms are immutable once built.
**
** Ownership rules a user must follow:
**  - A term built inside a process lives until that process exits, until
**    a collection (beam_gc) that does not reach it from its roots, or
**    until beam_arena_release() of a mark taken before it was built.
**  - A received message is moved into the receiver's heap: same lifetime.
**  - beam_send() deep-copies: the sender may drop or release its copy at
**    once; binaries over 64 bytes are shared by reference count instead.
**  - Terms built outside any process (in main(), before beam_run()) live
**    in a per-thread heap freed when the thread exits or by
**    beam_arena_release().
**
** Errors propagate through construction like NaN: a constructor that fails
** returns an *error term* (beam_is_error(), beam_term_error()), any
** constructor given an error term returns it unchanged, and any call that
** consumes a term (beam_send, beam_spawn, ...) returns its code. So
** 'beam_send(p, beam_tuple(2, beam_atom("x"), big))' reports BEAM_ENOMEM
** from whichever allocation failed.
**
** Every function below carries its contract tag (cbeam.h says what each
** tag means). Nothing here needs a process: "the current heap" is the
** calling process's heap, or the calling thread's outside any process.
*/
#ifndef CBEAM_TERM_H
#define CBEAM_TERM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifndef BEAM_API
#define BEAM_API __attribute__((visibility("default")))
#endif

/* A function that never returns (beam_exit). Written before BEAM_API:
** C++11 and C23 want [[noreturn]] at the start of the declaration. */
#ifndef BEAM_NORETURN
#if defined(__cplusplus) && __cplusplus >= 201103L
#define BEAM_NORETURN [[noreturn]]
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 202311L
#define BEAM_NORETURN [[noreturn]]
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define BEAM_NORETURN _Noreturn
#else
#define BEAM_NORETURN __attribute__((noreturn))
#endif
#endif

/* One term: a tagged 64-bit word. Compare with beam_equal(), not '=='. */
typedef struct beam_term {
  uint64_t raw;
} beam_term_t;

#include "args.h"

/* A pid is a term (an immediate: no heap behind it). */
typedef beam_term_t beam_pid_t;

typedef enum beam_type {
  BEAM_T_ERROR = 0, /* an error term (see above) */
  BEAM_T_INT,       /* small or big integer */
  BEAM_T_FLOAT,
  BEAM_T_ATOM,
  BEAM_T_REF,
  BEAM_T_PID,
  BEAM_T_TUPLE,
  BEAM_T_MAP,
  BEAM_T_NIL, /* the empty list */
  BEAM_T_LIST, /* a non-empty list cell */
  BEAM_T_BINARY,
} beam_type_t;

/* ---- Error terms ---- */

/* [any, nofail] An error term carrying code 'err' (a negative BEAM_E*). */
BEAM_API beam_term_t beam_error_term(int err);
/* [any, nofail] 1 if 't' is an error term. */
BEAM_API int beam_is_error(beam_term_t t);
/* [any, nofail] The code of an error term, 0 for any other term. */
BEAM_API int beam_term_error(beam_term_t t);

/* ---- Construction ---- */

/* [any, allocs] An integer; one outside 61 bits is boxed on the heap. */
BEAM_API beam_term_t beam_int(int64_t v);
/* [any, allocs] The same for an unsigned value. */
BEAM_API beam_term_t beam_uint(uint64_t v);
/* [any, allocs] Any size, from decimal text
** ("-123456789012345678901234567890"); BEAM_EINVAL for other text. */
BEAM_API beam_term_t beam_int_from_str(const char *decimal);
/* [any, allocs] NaN and infinities give BEAM_EINVAL: Erlang has neither. */
BEAM_API beam_term_t beam_float(double v);
/* [any, allocs] Interned in the node's atom table (an atom is never freed);
** BEAM_ESYSLIMIT when the table is full, BEAM_EINVAL if the name is
** longer than 255 characters or not UTF-8. */
BEAM_API beam_term_t beam_atom(const char *name);
/* [any, allocs] The same for 'len' bytes (no NUL needed; none allowed). */
BEAM_API beam_term_t beam_atom_len(const char *name, size_t len);
/* [any, nofail] The empty list '[]'. */
BEAM_API beam_term_t beam_nil(void);
/* [any, allocs] Bytes are copied (shared by refcount when over 64 bytes). */
BEAM_API beam_term_t beam_binary(const void *data, size_t len);
/* [any, allocs] A UTF-8 binary: an Elixir string. */
BEAM_API beam_term_t beam_string(const char *utf8);
/* [any, allocs] An Erlang string: a list of code points (UTF-8 decoded;
** BEAM_EINVAL for bytes that are not UTF-8). */
BEAM_API beam_term_t beam_charlist(const char *utf8);
/* [any, allocs] beam_tuple(3, a, b, c): 'n' beam_term_t arguments follow. */
BEAM_API beam_term_t beam_tuple(size_t n, ...);
/* [any, allocs] A tuple of the 'n' terms in 'elems'. */
BEAM_API beam_term_t beam_tuple_v(size_t n, const beam_term_t *elems);
/* [any, allocs] A list cell [head | tail]. */
BEAM_API beam_term_t beam_cons(beam_term_t head, beam_term_t tail);
/* [any, allocs] A proper list of 'n' elements (varargs). */
BEAM_API beam_term_t beam_list(size_t n, ...);
/* [any, allocs] A proper list of the 'n' terms in 'elems'. */
BEAM_API beam_term_t beam_list_v(size_t n, const beam_term_t *elems);
/* [any, allocs] An empty map. Maps are immutable: put returns a new map,
** the old one is unchanged. */
BEAM_API beam_term_t beam_map_new(void);
/* [any, allocs] 'map' with 'key' set to 'value' (O(size): a copy);
** BEAM_ETYPE if 'map' is not a map. */
BEAM_API beam_term_t beam_map_put(beam_term_t map, beam_term_t key,
                                  beam_term_t value);
/* [any, allocs] A reference unique for the life of the node. Inside a
** process it also marks the mailbox, so a receive that needs this ref skips
** every message that arrived before it (the BEAM's ref-receive trick). */
BEAM_API beam_term_t beam_make_ref(void);

/*
** beam_fmt: build a term from Erlang syntax with '~' holes, in the spirit of
** erl_interface's erl_format:
**   beam_fmt("{ok, ~i, ~s, ~t}", (int64_t)42, "hi", pid)
** Literals: atoms (ok, 'EXIT'), integers of any size, floats, "char lists",
** <<"binaries">>, <<1,2,3>>, tuples {..}, lists [.., .. | T], maps #{k => v}.
** Holes (consuming varargs in order):
**   ~i int64_t   ~u uint64_t   ~f double   ~a const char* (atom)
**   ~s const char* (UTF-8 binary)  ~l const char* (char list)
**   ~b const void*, size_t (binary)   ~t beam_term_t (any term, pid, ref)
** Integers passed to ~i must be int64_t (cast literals: (int64_t)42).
** Inside <<...>>, unescaped text keeps its UTF-8 bytes and \xHH is a byte.
** A malformed string gives the error term BEAM_EPATTERN;
** beam_syntax_check() names the position. [any, allocs]
*/
BEAM_API beam_term_t beam_fmt(const char *fmt, ...);
/* [any, allocs] beam_fmt with a va_list. */
BEAM_API beam_term_t beam_vfmt(const char *fmt, va_list ap);
/* [any, allocs] What the beam_fmt macro calls (cbeam/args.h): 'n'
** beam_arg_t values, the format then its holes' values. Checked:
** BEAM_EBADARG for a value of the wrong type for its hole, a missing or an
** extra one. */
BEAM_API beam_term_t beam_fmt_checked(size_t n, ...);

/*
** beam_match: match 't' against a pattern in the same syntax, binding
** variables:  beam_match(t, "{pong, From, N}", &from, &n)
**   _            matches anything
**   Name, _Name  a variable: binds a 'beam_term_t *' argument at its first
**                occurrence; a repeated variable must match an equal term
**                (Erlang's rule), and consumes no further argument
**   ~X           an input hole (as in beam_fmt): that position must be
**                exactly equal (=:=) to the given value
**   [H | T], #{k := V} (maps match when they hold at least those keys)
** Arguments are consumed in order of appearance in the text. Returns 1 on a
** match (variables bound), 0 on no match (variables untouched),
** BEAM_EPATTERN for malformed text (also: more than 16 variables, nesting
** deeper than 32, integer literals over 300 digits: use ~t),
** BEAM_EINVAL for a NULL argument. Matching builds nothing on the heap
** (the first use of a pattern text compiles it into a library-wide cache).
** [any]
*/
BEAM_API int beam_match(beam_term_t t, const char *pattern, ...);
/* [any] beam_match with a va_list, passed by pointer, which is advanced
** past the arguments. */
BEAM_API int beam_vmatch(beam_term_t t, const char *pattern, va_list *ap);
/* [any] What the beam_match macro calls (cbeam/args.h): 'n' beam_arg_t
** values, the pattern then its arguments; BEAM_EBADARG as
** beam_fmt_checked. */
BEAM_API int beam_match_checked(beam_term_t t, size_t n, ...);

/* [any] Syntax check for beam_fmt (is_pattern = 0) or beam_match (1) text.
** Returns 0 if well formed; else BEAM_EPATTERN, with '*pos' the byte offset
** of the error and '*why' a static description (either may be NULL).
** On success '*pos' is the number of varargs the text consumes. */
BEAM_API int beam_syntax_check(const char *text, int is_pattern, size_t *pos,
                               const char **why);

/* ---- Inspection ---- */

/* [any, nofail] The type of any term (BEAM_T_ERROR for an error term). */
BEAM_API beam_type_t beam_type(beam_term_t t);
/* [any, nofail] Type tests: 1 or 0. beam_is_list: '[]' or a list cell. */
BEAM_API int beam_is_int(beam_term_t t);
BEAM_API int beam_is_atom(beam_term_t t);
BEAM_API int beam_is_pid(beam_term_t t);
BEAM_API int beam_is_ref(beam_term_t t);
BEAM_API int beam_is_tuple(beam_term_t t);
BEAM_API int beam_is_binary(beam_term_t t);
BEAM_API int beam_is_list(beam_term_t t);
BEAM_API int beam_is_map(beam_term_t t);
/* [any, nofail] 1 if 't' is the atom 'name'. */
BEAM_API int beam_is(beam_term_t t, const char *atom_name);

/* [any] 0, or BEAM_ETYPE / BEAM_ERANGE (a big integer that does not fit). */
BEAM_API int beam_get_int(beam_term_t t, int64_t *out);
/* [any] 0..2^64-1: 0, or BEAM_ETYPE / BEAM_ERANGE (negative or too big). */
BEAM_API int beam_get_uint(beam_term_t t, uint64_t *out);
/* [any] 0, or BEAM_ETYPE if 't' is not a float. */
BEAM_API int beam_get_float(beam_term_t t, double *out);
/* [any] The atom's UTF-8 name (lives as long as the runtime), or NULL if
** 't' is not an atom. */
BEAM_API const char *beam_atom_name(beam_term_t t);
/* [any, nofail] The size of a tuple, 0 for anything else. */
BEAM_API size_t beam_tuple_size(beam_term_t t);
/* [any] Elements, indexed from 0; out-of-range (BEAM_ERANGE) or wrong type
** (BEAM_ETYPE) gives an error term. */
BEAM_API beam_term_t beam_tuple_get(beam_term_t t, size_t index);
/* [any] Head and tail of a list cell; BEAM_ETYPE (error term) for '[]' or
** anything else. */
BEAM_API beam_term_t beam_hd(beam_term_t list);
BEAM_API beam_term_t beam_tl(beam_term_t list);
/* [any] Length of a proper list; BEAM_ETYPE for an improper one. */
BEAM_API int64_t beam_list_length(beam_term_t list);
/* [any] Bytes of a binary (NULL if not one); '*len' receives the size. */
BEAM_API const void *beam_binary_data(beam_term_t t, size_t *len);
/* [any, nofail] The number of keys of a map, 0 for anything else. */
BEAM_API size_t beam_map_size(beam_term_t map);
/* [any] 1 and '*value' set if present, 0 if absent, BEAM_ETYPE if not a
** map. */
BEAM_API int beam_map_get(beam_term_t map, beam_term_t key,
                          beam_term_t *value);

/* [any, allocs] maps:remove(Key, Map): the map without 'key' ('map'
** itself when it has no such key), or an error term. */
BEAM_API beam_term_t beam_map_remove(beam_term_t map, beam_term_t key);

/* Walking a map, like maps:iterator/next and maps:fold, in the order
** maps:to_list gives on OTP 25: map-key order (integers before floats,
** then term order) for maps of up to 32 keys, the order of the hash trie
** above (the same for equal maps, whatever their history). An iterator
** holds no resources and stays valid as long as the map does:
**   beam_map_iter_t it;
**   beam_term_t k, v;
**   beam_map_iter_init(&it, m);
**   while (beam_map_next(&it, &k, &v) == 1) ...
*/
typedef struct beam_map_iter {
  uint64_t opaque[34];
} beam_map_iter_t;
/* [any] 0, BEAM_ETYPE if 'map' is not a map, BEAM_EINVAL; allocates nothing. */
BEAM_API int beam_map_iter_init(beam_map_iter_t *it, beam_term_t map);
/* [any] 1 and the next pair ('key', 'value' may be NULL), 0
** when there is none left, BEAM_EINVAL for an iterator never set up. */
BEAM_API int beam_map_next(beam_map_iter_t *it, beam_term_t *key,
                           beam_term_t *value);
/* maps:fold(Fun, Acc, Map): 'acc' = fn(key, value, acc, ctx) for each pair
** in iteration order; returns the last 'acc'. An error term returned by
** 'fn' stops the fold and is its result. BEAM_ETYPE for a non-map.
** [any] */
typedef beam_term_t (*beam_map_fold_fn_t)(beam_term_t key, beam_term_t value,
                                          beam_term_t acc, void *ctx);
BEAM_API beam_term_t beam_map_fold(beam_term_t map, beam_map_fold_fn_t fn,
                                   beam_term_t acc, void *ctx);

/* ---- Order, equality, hashing (Erlang's semantics) ---- */

/* [any, nofail] Total term order: number < atom < reference < fun < port
** < pid < tuple < map < nil < list < bitstring. Returns <0, 0, >0.
** 1 == 1.0 compare 0. */
BEAM_API int beam_compare(beam_term_t a, beam_term_t b);
/* [any, nofail] Exact equality (=:=): 1 =/= 1.0. */
BEAM_API int beam_equal(beam_term_t a, beam_term_t b);
/* [any, nofail] Hash consistent with beam_equal. */
BEAM_API uint64_t beam_hash(beam_term_t t);

/* ---- Printing ---- */

/* [any, nofail] Print like Erlang's ~p into 'buf' (always NUL-terminated
** when size > 0; a NULL 'buf' counts as 'size' 0, to measure).
** Returns the length the full text would have (as snprintf), so a huge term
** is cut at 'size' - 1 bytes. Printable lists and binaries show as strings.
** Work is bounded: past max('size', 64 KiB) bytes of text the walk stops,
** and the return value is then only a lower bound (still >= 'size').
** Builds nothing on the heap. */
BEAM_API size_t beam_print(char *buf, size_t size, beam_term_t t);
/* [any] Print to a FILE* ('stdout' when NULL), at most 'max' bytes (0 =
** 4096): the bytes written, BEAM_ENOMEM (no buffer for the text), or
** BEAM_EINVAL if the write failed. */
BEAM_API int beam_fprint(void *file, beam_term_t t, size_t max);

/* ---- Process memory ---- */

/* A point in the current heap to release back to. */
typedef struct beam_mark {
  void *chunk;
  void *top;
  void *offheap;
  void *adopted;
} beam_mark_t;

/* [any, nofail] Remember the current heap position. */
BEAM_API beam_mark_t beam_arena_mark(void);
/* [any, nofail] Free every term built and every message received since
** 'mark' (a mark that is not of this heap, or already released past, is
** ignored).
** Terms from before the mark stay valid; later ones must not be used. A
** server loop that marks at the top of each iteration and releases at the
** bottom runs in constant memory. */
BEAM_API void beam_arena_release(beam_mark_t mark);
/* [any, nofail] Bytes the current heap holds (terms + received
** messages). */
BEAM_API size_t beam_arena_bytes(void);

/*
** Collection (docs/memory.md). A process keeps what its roots reach and
** the rest of its heap is freed: beam_gc(&state, &msg) copies what 'state'
** and 'msg' reach and rewrites both to the copies. Every other term of the
** heap is gone afterwards, so name every term you will use again (terms
** in malloc'd structs too); using one you did not name is a use after
** free, which the ASan build reports at the first touch.
** Generational: a minor collection copies only what was built or received
** since the last one, so a large state that a loop keeps is copied once;
** a major one (BEAM_GC_MAJOR, or by itself when the kept part has doubled)
** copies everything kept. Arena marks taken before a collection are void
** (releasing one does nothing).
*/
enum beam_gc_flags {
  BEAM_GC_MAJOR = 1u << 0, /* collect the old generation too */
};
/* [any, allocs] Collect the current heap (the process's, or the calling
** thread's outside processes) keeping what the 'n' terms '*roots[i]' reach
** (NULL entries are skipped). 0, BEAM_EINVAL (roots NULL with n > 0, or an
** unknown flag), or BEAM_ENOMEM with the heap unchanged. */
BEAM_API int beam_gc_roots(beam_term_t *const *roots, size_t n,
                           unsigned flags);
/* [any, allocs] beam_gc(&a, &b, ..., NULL): beam_gc_roots with its
** arguments as the roots. In C11 a macro: the NULL may be left out, and an
** argument that is not a beam_term_t * does not compile. */
BEAM_API int beam_gc(beam_term_t *root, ...);
/* [any, allocs] The same, only when it is due: when what was built and
** received since the last collection passes max(64 KiB, half of what the
** last one kept), so a loop can call it every iteration (a few
** instructions when not due): returns 1 if it collected, 0 if not, or an
** error. The OTP behaviours call it with their state and message. */
BEAM_API int beam_gc_maybe(beam_term_t *root, ...);
/* [any] Whether beam_gc_maybe would collect now: 1 or 0. */
BEAM_API int beam_gc_due(void);

/* Checked arguments (cbeam/args.h): in C11, beam_fmt and beam_match are
** macros that pass each argument with its C type, so that a wrong one is
** BEAM_EBADARG instead of a wrong read. */
#ifdef BEAM_TYPED_ARGS
#define beam_fmt(...)                                                          \
  beam_fmt_checked(BEAM__NARG(__VA_ARGS__), BEAM__MAP(BEAM_ARG, __VA_ARGS__))
#define beam_match(t, ...)                                                     \
  beam_match_checked((t), BEAM__NARG(__VA_ARGS__),                             \
                     BEAM__MAP(BEAM_ARG, __VA_ARGS__))
/* The roots as an array whose type the compiler checks. */
#define BEAM__ROOTS(...) ((beam_term_t *const[]){__VA_ARGS__})
#define BEAM__NROOTS(...) (sizeof BEAM__ROOTS(__VA_ARGS__) / sizeof(beam_term_t *))
#define beam_gc(...)                                                           \
  beam_gc_roots(BEAM__ROOTS(__VA_ARGS__), BEAM__NROOTS(__VA_ARGS__), 0)
#define beam_gc_maybe(...)                                                     \
  (beam_gc_due() ? beam__gc_collected(beam_gc(__VA_ARGS__)) : 0)
static inline int beam__gc_collected(int rc) {
  return rc < 0 ? rc : 1;
}
#endif

#endif
