/* SPDX-License-Identifier: MIT */
/*
** pattern.c: patterns compiled once, matched many times.
**
** Why. A server loop calls beam_receive("{call, From, Ref, Req}", ...) for
** every message. Interpreting that text each time (syntax.c) costs three
** lexes per call: validate, walk the arguments, match. Profiles of a
** ping-pong put half of a round trip there. So a pattern text is compiled
** on first use into a small tree of operations, kept in a global cache for
** the life of the library (as atoms are), and matched from then on without
** looking at the text again.
**
** The compiled form, in text (pre-)order, each op knowing the size of its
** subtree ('skip') so a map lookup can step over a key pattern:
**   ANY              _
**   IMM w            an immediate literal (atom, small int, []): w == raw
**   LIT w            any other literal subtree (strings, binaries, floats,
**                    big ints, tuples and lists with no variable inside):
**                    built once by beam_fmt, copied into a block the cache
**                    owns, compared with =:= (Erlang patterns match exactly)
**   VAR slot arg     first occurrence of a variable: bind slot, and its
**                    output pointer is argument 'arg'
**   SAME slot        a repeated variable: =:= to its first binding
**   HOLE h arg       an input hole ~h: =:= to argument 'arg'
**   TUPLE n          then n element patterns
**   LIST n tail      then n head patterns, then the tail pattern if 'tail'
**                    (else the tail must be [])
**   MAP n            then n (key, value) pattern pairs; the key is a literal,
**                    hole or bound variable (the scan forbids new ones), so
**                    looking it up never binds
** A map pattern is never a literal: #{} matches every map.
**
** Arguments are loaded out of the va_list once per receive (beam__pat_load)
** into slots, so matching N queued messages walks no va_list at all.
** Bindings go to a table on the stack and are written out only on a full
** match, as the interpreter does.
**
** The cache: an open-addressed table of 4,096 slots keyed by the text's
** hash and compared by content (a pattern built in a reused buffer is
** another entry, never a stale hit). Lookups take no lock: an entry is
** immutable once published with a release store. Inserts take a mutex. Past
** 3,072 entries, or for a text over 1 KiB, or when an allocation fails,
** nothing more is compiled and callers interpret: the same answers,
** slower. A program that builds a fresh pattern text per message should use
** holes (~t) instead; that is what they are for.
**
** Most pattern texts are string literals, and a literal cannot change: it
** lives in a read-only segment of the program or a library. For those, a
** second table keyed by the text's address answers without hashing or
** comparing the text (the main program's read-only ranges are read once
** from its program headers; libraries are left out, since one could be
** unloaded and another mapped at the same address; other addresses take
** the first path).
**
** Threading: [any]. Entries are freed by a library destructor.
*/
#include "pattern.h"
#include "heap.h"
#include "syntax.h"

#include <link.h>
#include <pthread.h>

#define CACHE_SLOTS 4096u
#define CACHE_MAX   3072u
#define TEXT_MAX    1024u
#define MAX_ARGS    255u

enum pat_op { OP_ANY, OP_IMM, OP_LIT, OP_VAR, OP_SAME, OP_HOLE, OP_TUPLE,
              OP_LIST, OP_MAP };

typedef struct pop {
  uint8_t op;
  char hole;     /* OP_HOLE: the hole letter */
  uint16_t a;    /* VAR/SAME: slot; HOLE: arg; TUPLE/LIST/MAP: count */
  uint32_t skip; /* ops in this subtree, itself included */
  uint64_t w;    /* IMM/LIT: raw term; VAR: arg; LIST: has a tail */
} pop_t;

struct beam__pat {
  uint64_t hash;
  char *text;
  pop_t *ops;
  char *types; /* per argument: 'v' (variable) or the hole letter */
  uint16_t nargs;
  beam__msg_t **lits; /* blocks holding the LIT terms */
  size_t nlits;
};

#define ALIAS_SLOTS 1024u
#define MAX_RANGES  64

/* A read-only text's address and its entry (immutable once published). */
typedef struct alias {
  const char *text;
  beam__pat_t *pat;
  struct alias *all; /* every alias made, for the destructor */
} alias_t;

static struct {
  pthread_mutex_t lock;
  _Atomic(beam__pat_t *) slot[CACHE_SLOTS];
  size_t count;
  _Atomic(alias_t *) alias[ALIAS_SLOTS];
  alias_t *aliases; /* under 'lock' */
  pthread_once_t ranges_once;
  struct {
    uintptr_t lo, hi;
  } ranges[MAX_RANGES];
  int nranges;
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER,
           .ranges_once = PTHREAD_ONCE_INIT};

/* ---- Compiling ---- */

typedef struct comp {
  const char *s;
  size_t pos;
  pop_t *ops;
  size_t nops, cap;
  char types[MAX_ARGS];
  size_t nargs;
  struct {
    size_t pos, len;
  } vars[BEAM__PATTERN_MAX_VARS];
  int nvars;
  beam__msg_t **lits;
  size_t nlits, litcap;
  int nonlit; /* ops emitted that keep a subtree from being a literal */
  bool failed;
} comp_t;

static size_t emit(comp_t *c, enum pat_op op) {
  if (c->nops == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 16;
    pop_t *o = beam__realloc(c->ops, cap * sizeof *o);
    if (!o) {
      c->failed = true;
      return 0;
    }
    c->ops = o;
    c->cap = cap;
  }
  pop_t *o = &c->ops[c->nops];
  memset(o, 0, sizeof *o);
  o->op = (uint8_t) op;
  o->skip = 1;
  return c->nops++;
}

/* Emit an op with operands; nothing if out of memory ('failed' is set). */
static void emit_op(comp_t *c, enum pat_op op, uint16_t a, uint64_t w) {
  size_t at = emit(c, op); /* may move c->ops */
  if (!c->failed) {
    c->ops[at].a = a;
    c->ops[at].w = w;
  }
}

static size_t add_arg(comp_t *c, char type) {
  if (c->nargs == MAX_ARGS) {
    c->failed = true;
    return 0;
  }
  c->types[c->nargs] = type;
  return c->nargs++;
}

/* The text s[from .. to) has no variable, hole or map: build it once. */
static void emit_literal(comp_t *c, size_t from, size_t to) {
  char *text = beam__malloc(to - from + 1);
  if (!text) {
    c->failed = true;
    return;
  }
  memcpy(text, c->s + from, to - from);
  text[to - from] = '\0';
  beam_mark_t mark = beam_arena_mark();
  beam_term_t t = beam_fmt(text);
  beam__free(text);
  if (beam_is_error(t)) {
    c->failed = true; /* an atom table full, say: let the interpreter do */
  } else if (beam__is_immediate(t)) {
    emit_op(c, OP_IMM, 0, t.raw);
  } else {
    int err = 0;
    beam__msg_t *m = NULL;
    if (c->nlits == c->litcap) {
      size_t cap = c->litcap ? c->litcap * 2 : 4;
      beam__msg_t **l = beam__realloc(c->lits, cap * sizeof *l);
      if (l) {
        c->lits = l;
        c->litcap = cap;
      }
    }
    if (c->nlits < c->litcap)
      m = beam__msg_new(t, &err);
    if (m) {
      c->lits[c->nlits++] = m;
      emit_op(c, OP_LIT, 0, m->term.raw);
    } else {
      c->failed = true;
    }
  }
  beam_arena_release(mark);
}

static void compile_var(comp_t *c, tok_t k) {
  for (int i = 0; i < c->nvars; i++) {
    if (c->vars[i].len == k.len &&
        memcmp(c->s + c->vars[i].pos, c->s + k.pos, k.len) == 0) {
      emit_op(c, OP_SAME, (uint16_t) i, 0);
      return;
    }
  }
  int slot = c->nvars++; /* the scan checked the limit */
  c->vars[slot].pos = k.pos;
  c->vars[slot].len = k.len;
  emit_op(c, OP_VAR, (uint16_t) slot, add_arg(c, 'v'));
}

static void compile_term(comp_t *c);

/* Elements up to 'close', separated by commas; returns how many. */
static size_t compile_elems(comp_t *c, kind_t close) {
  size_t save = c->pos, n = 0;
  if (beam__lex(c->s, &save).k == close) {
    c->pos = save;
    return 0;
  }
  for (;;) {
    compile_term(c);
    n++;
    if (beam__lex(c->s, &c->pos).k == close)
      return n;
  }
}

static void compile_list(comp_t *c, size_t at) {
  size_t save = c->pos, n = 0;
  if (beam__lex(c->s, &save).k == T_RBRACK) {
    c->pos = save;
    return; /* '[]': a literal */
  }
  for (;;) {
    compile_term(c);
    n++;
    kind_t k = beam__lex(c->s, &c->pos).k;
    if (k == T_RBRACK)
      break;
    if (k == T_BAR) {
      compile_term(c);
      beam__lex(c->s, &c->pos); /* ']' */
      if (!c->failed)
        c->ops[at].w = 1;
      break;
    }
  }
  if (c->failed)
    return;
  c->ops[at].a = (uint16_t) n;
  c->failed |= n > UINT16_MAX;
}

static void compile_map(comp_t *c, size_t at) {
  size_t save = c->pos, n = 0;
  c->nonlit++; /* #{} matches any map: never a literal */
  if (beam__lex(c->s, &save).k == T_RBRACE) {
    c->pos = save;
    return;
  }
  for (;;) {
    compile_term(c);          /* key */
    beam__lex(c->s, &c->pos); /* ':=' */
    compile_term(c);          /* value */
    n++;
    if (beam__lex(c->s, &c->pos).k == T_RBRACE)
      break;
  }
  if (c->failed)
    return;
  c->ops[at].a = (uint16_t) n;
  c->failed |= n > UINT16_MAX;
}

static void compile_term(comp_t *c) {
  if (c->failed)
    return;
  size_t from = c->pos, at = c->nops;
  int nonlit = c->nonlit;
  tok_t k = beam__lex(c->s, &c->pos);
  switch (k.k) {
  case T_ANY:
    emit(c, OP_ANY);
    c->nonlit++;
    return;
  case T_VAR:
    compile_var(c, k);
    c->nonlit++;
    return;
  case T_HOLE: {
    size_t arg = add_arg(c, c->s[k.pos + 1]);
    size_t op = emit(c, OP_HOLE);
    if (c->failed)
      return;
    c->ops[op].hole = c->s[k.pos + 1];
    c->ops[op].a = (uint16_t) arg;
    c->nonlit++;
    return;
  }
  case T_LBIN:
    while (beam__lex(c->s, &c->pos).k != T_RBIN)
      ;
    break;
  case T_LBRACE: {
    size_t op = emit(c, OP_TUPLE);
    size_t n = compile_elems(c, T_RBRACE);
    if (c->failed)
      return;
    c->ops[op].a = (uint16_t) n;
    c->failed |= n > UINT16_MAX;
    break;
  }
  case T_LBRACK:
    compile_list(c, emit(c, OP_LIST));
    break;
  case T_MAP:
    compile_map(c, emit(c, OP_MAP));
    break;
  default: /* atoms, numbers, strings: literals */
    break;
  }
  if (c->failed)
    return;
  if (c->nonlit == nonlit) {
    c->nops = at;
    emit_literal(c, from, c->pos);
  } else {
    c->ops[at].skip = (uint32_t) (c->nops - at);
  }
}

static void pat_free(beam__pat_t *p) {
  if (!p)
    return;
  for (size_t i = 0; i < p->nlits; i++)
    beam__msg_free(p->lits[i]);
  beam__free(p->lits);
  beam__free(p->ops);
  beam__free(p->types);
  beam__free(p->text);
  beam__free(p);
}

/* Compile validated text; NULL if it cannot be (out of memory, limits). */
static beam__pat_t *compile(const char *text, size_t len, uint64_t hash) {
  comp_t c;
  memset(&c, 0, sizeof c);
  c.s = text;
  compile_term(&c);
  beam__pat_t *p = c.failed ? NULL : beam__calloc(1, sizeof *p);
  if (p) {
    p->hash = hash;
    p->ops = c.ops;
    p->lits = c.lits;
    p->nlits = c.nlits;
    p->nargs = (uint16_t) c.nargs;
    p->text = beam__malloc(len + 1);
    p->types = beam__malloc(c.nargs + 1);
    if (p->text && p->types) {
      memcpy(p->text, text, len + 1);
      memcpy(p->types, c.types, c.nargs);
      return p;
    }
    pat_free(p);
    return NULL;
  }
  for (size_t i = 0; i < c.nlits; i++)
    beam__msg_free(c.lits[i]);
  beam__free(c.lits);
  beam__free(c.ops);
  return NULL;
}

/* ---- The cache ---- */

static uint64_t text_hash(const char *s, size_t *len) {
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  size_t n = 0;
  for (; s[n] && n <= TEXT_MAX; n++)
    h = (h ^ (unsigned char) s[n]) * UINT64_C(0x100000001b3);
  *len = n;
  return h;
}

static beam__pat_t *lookup(const char *text, uint64_t hash, size_t *free_at) {
  for (size_t i = hash & (CACHE_SLOTS - 1);; i = (i + 1) & (CACHE_SLOTS - 1)) {
    beam__pat_t *p = atomic_load_explicit(&cache.slot[i], memory_order_acquire);
    if (!p) {
      *free_at = i;
      return NULL;
    }
    if (p->hash == hash && strcmp(p->text, text) == 0)
      return p;
  }
}

/* ---- Read-only texts ---- */

/* The main program's read-only segments only: a library could be
** unloaded and another loaded at the same address with other texts. */
static int add_ranges(struct dl_phdr_info *info, size_t size, void *data) {
  (void) size;
  (void) data;
  if (info->dlpi_name != NULL && info->dlpi_name[0] != '\0')
    return 0;
  for (int i = 0; i < info->dlpi_phnum && cache.nranges < MAX_RANGES; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
      continue;
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
    cache.ranges[cache.nranges].lo = lo;
    cache.ranges[cache.nranges].hi = lo + ph->p_memsz;
    cache.nranges++;
  }
  return 0;
}

static void find_ranges(void) {
  dl_iterate_phdr(add_ranges, NULL);
}

static bool read_only(const char *text) {
  pthread_once(&cache.ranges_once, find_ranges);
  uintptr_t a = (uintptr_t) text;
  for (int i = 0; i < cache.nranges; i++)
    if (a >= cache.ranges[i].lo && a < cache.ranges[i].hi)
      return true;
  return false;
}

static size_t alias_slot(const char *text) {
  uint64_t a = (uint64_t) (uintptr_t) text;
  return (size_t) ((a * UINT64_C(0x9e3779b97f4a7c15)) >> 54) &
         (ALIAS_SLOTS - 1);
}

#define ALIAS_PROBES 4

/* Remember that the read-only 'text' compiles to 'pat', in the first free
** of a few slots (none free: the slow path keeps serving it). Aliases are
** never replaced, so a reader never sees one freed. */
static void alias_add(const char *text, beam__pat_t *pat) {
  pthread_mutex_lock(&cache.lock);
  size_t i = alias_slot(text);
  for (int k = 0; k < ALIAS_PROBES; k++, i = (i + 1) & (ALIAS_SLOTS - 1)) {
    alias_t *old = atomic_load_explicit(&cache.alias[i], memory_order_relaxed);
    if (old && old->text == text)
      break;
    if (old)
      continue;
    alias_t *a = beam__malloc(sizeof *a);
    if (a) {
      a->text = text;
      a->pat = pat;
      a->all = cache.aliases;
      cache.aliases = a;
      atomic_store_explicit(&cache.alias[i], a, memory_order_release);
    }
    break;
  }
  pthread_mutex_unlock(&cache.lock);
}

static const beam__pat_t *get_slow(const char *text, int *err);

const beam__pat_t *beam__pat_get(const char *text, int *err) {
  *err = 0;
  if (text == NULL) {
    *err = BEAM_EINVAL;
    return NULL;
  }
  size_t i = alias_slot(text);
  for (int k = 0; k < ALIAS_PROBES; k++, i = (i + 1) & (ALIAS_SLOTS - 1)) {
    alias_t *a = atomic_load_explicit(&cache.alias[i], memory_order_acquire);
    if (!a)
      break;
    if (a->text == text)
      return a->pat;
  }
  const beam__pat_t *p = get_slow(text, err);
  if (p && read_only(text))
    alias_add(text, (beam__pat_t *) p);
  return p;
}

static const beam__pat_t *get_slow(const char *text, int *err) {
  size_t len, at;
  uint64_t hash = text_hash(text, &len);
  beam__pat_t *p = len > TEXT_MAX ? NULL : lookup(text, hash, &at);
  if (p)
    return p;
  size_t nargs;
  int rc = beam__pattern_scan(text, &nargs);
  if (rc < 0) {
    *err = rc;
    return NULL;
  }
  if (len > TEXT_MAX)
    return NULL;
  pthread_mutex_lock(&cache.lock);
  p = lookup(text, hash, &at); /* another thread may have won */
  if (!p && cache.count < CACHE_MAX) {
    p = compile(text, len, hash);
    if (p) {
      cache.count++;
      atomic_store_explicit(&cache.slot[at], p, memory_order_release);
    }
  }
  pthread_mutex_unlock(&cache.lock);
  return p;
}

/* Library destructor: runs at exit, when no thread matches any more. */
__attribute__((destructor)) static void cache_free(void) {
  for (size_t i = 0; i < CACHE_SLOTS; i++) {
    pat_free(atomic_load_explicit(&cache.slot[i], memory_order_relaxed));
    atomic_store_explicit(&cache.slot[i], NULL, memory_order_relaxed);
  }
  cache.count = 0;
  for (alias_t *a = cache.aliases, *next; a; a = next) {
    next = a->all;
    beam__free(a);
  }
  cache.aliases = NULL;
  for (size_t i = 0; i < ALIAS_SLOTS; i++)
    atomic_store_explicit(&cache.alias[i], NULL, memory_order_relaxed);
}

/* ---- Arguments ---- */

size_t beam__pat_nargs(const beam__pat_t *pat) {
  return pat->nargs;
}

int beam__parg_take(char type, beam__args_t *in, beam__parg_t *a) {
  switch (type) {
  case 'v': a->out = beam__args_out(in); break;
  case 'i': a->i = beam__args_i64(in); break;
  case 'u': a->u = beam__args_u64(in); break;
  case 'f': a->f = beam__args_f64(in); break;
  case 'b':
    a->b.p = beam__args_ptr(in);
    a->b.n = beam__args_size(in);
    if (a->b.p == NULL && a->b.n != 0 && in->err == 0)
      in->err = BEAM_EINVAL;
    break;
  case 't': a->t = beam__args_term(in); break;
  default: /* a s l */
    a->s = beam__args_str(in);
    break;
  }
  return in->err;
}

int beam__pat_load(const beam__pat_t *pat, beam__args_t *in,
                   beam__parg_t *args, uint64_t ref_id, bool *has_ref) {
  bool ref = false;
  for (size_t i = 0; i < pat->nargs; i++) {
    beam__parg_take(pat->types[i], in, &args[i]);
    if (pat->types[i] == 't' && ref_id != 0)
      ref = ref || beam__ref_id(args[i].t) == ref_id;
  }
  if (has_ref)
    *has_ref = ref;
  return in->err;
}

/* ---- Matching ---- */

typedef struct mstate {
  const beam__pat_t *pat;
  const beam__parg_t *args;
  beam_term_t val[BEAM__PATTERN_MAX_VARS];
} mstate_t;

int beam__hole_eq(char h, const beam__parg_t *a, beam_term_t t) {
  switch (h) {
  case 'i': {
    int64_t x;
    return beam_get_int(t, &x) == 0 && x == a->i;
  }
  case 'u':
    if (beam__tag(t) == BEAM__TAG_SMALL)
      return (int64_t) t.raw >= 0 && (uint64_t) ((int64_t) t.raw >> 3) == a->u;
    return beam__is_box_of(t, BEAM__SUB_BIGINT) && !beam__big_neg(t) &&
           beam__big_nlimbs(t) == 1 && beam__big_limbs(t)[0] == a->u;
  case 'f': {
    double x;
    return beam_get_float(t, &x) == 0 && beam__float_eq(x, a->f);
  }
  case 'a': return beam_is(t, a->s);
  case 's': return beam__eq_bytes(t, a->s, strlen(a->s));
  case 'l': return beam__eq_utf8_list(t, a->s);
  case 'b': return beam__eq_bytes(t, a->b.p, a->b.n);
  default: return beam_equal(t, a->t);
  }
}

static int match_at(mstate_t *ms, size_t i, beam_term_t t);

/* The value under a key matching the key pattern at op 'k', if any. A
** key that is a term already (a literal, a ~t hole, a bound variable) is
** looked up (O(log n) in a trie); other holes are matched against each
** key. */
static int map_find(mstate_t *ms, size_t k, beam_term_t m, beam_term_t *v) {
  const pop_t *o = &ms->pat->ops[k];
  if (o->op == OP_IMM || o->op == OP_LIT)
    return beam_map_get(m, beam__mk(o->w), v) == 1;
  if (o->op == OP_SAME)
    return beam_map_get(m, ms->val[o->a], v) == 1;
  if (o->op == OP_HOLE && o->hole == 't')
    return beam_map_get(m, ms->args[o->a].t, v) == 1;
  beam_map_iter_t it;
  beam_term_t key, value;
  beam_map_iter_init(&it, m);
  while (beam_map_next(&it, &key, &value) == 1)
    if (match_at(ms, k, key)) {
      *v = value;
      return 1;
    }
  return 0;
}

static int match_at(mstate_t *ms, size_t i, beam_term_t t) {
  const pop_t *o = &ms->pat->ops[i];
  switch (o->op) {
  case OP_ANY: return 1;
  case OP_IMM: return t.raw == o->w;
  case OP_LIT: return beam_equal(t, beam__mk(o->w));
  case OP_VAR: ms->val[o->a] = t; return 1;
  case OP_SAME: return beam_equal(t, ms->val[o->a]);
  case OP_HOLE: return beam__hole_eq(o->hole, &ms->args[o->a], t);
  case OP_TUPLE: {
    if (!beam__is_box_of(t, BEAM__SUB_TUPLE) ||
        BEAM__HDR_SIZE(beam__box_ptr(t)[0]) != o->a)
      return 0;
    const uint64_t *e = beam__box_ptr(t) + 1;
    for (size_t k = 0, j = i + 1; k < o->a; j += ms->pat->ops[j].skip, k++)
      if (!match_at(ms, j, beam__mk(e[k])))
        return 0;
    return 1;
  }
  case OP_LIST: {
    size_t j = i + 1;
    for (size_t k = 0; k < o->a; j += ms->pat->ops[j].skip, k++) {
      if (beam__tag(t) != BEAM__TAG_LIST)
        return 0;
      const uint64_t *c = beam__list_ptr(t);
      if (!match_at(ms, j, beam__mk(c[0])))
        return 0;
      t = beam__mk(c[1]);
    }
    return o->w ? match_at(ms, j, t) : t.raw == BEAM__NIL_RAW;
  }
  case OP_MAP: {
    if (!beam_is_map(t))
      return 0;
    size_t j = i + 1;
    for (size_t k = 0; k < o->a; k++) {
      size_t vj = j + ms->pat->ops[j].skip;
      beam_term_t v;
      if (!map_find(ms, j, t, &v) || !match_at(ms, vj, v))
        return 0;
      j = vj + ms->pat->ops[vj].skip;
    }
    return 1;
  }
  default: return 0;
  }
}

int beam__pat_match(const beam__pat_t *pat, beam_term_t t,
                    const beam__parg_t *args) {
  if (t.raw == 0)
    return 0;
  mstate_t ms;
  ms.pat = pat;
  ms.args = args;
  if (!match_at(&ms, 0, t))
    return 0;
  for (size_t i = 0, nv = 0; i < pat->nargs; i++)
    if (pat->types[i] == 'v')
      *args[i].out = ms.val[nv++];
  return 1;
}
