/* SPDX-License-Identifier: MIT */
/* test_term_mem.c: heaps, marks, message copies, shared binaries, atoms
** under threads, and every out-of-memory path. */
#include "../../harness/check.h"

#include <pthread.h>

#include "../../../src/term/heap.h"
#include "../../../src/term/syntax.h"
#include "../../../src/util/debug.h"

static beam__bin_t *refbin_of(beam_term_t t) {
  ASSERT(beam__is_box_of(t, BEAM__SUB_REFBIN));
  return (beam__bin_t *) (uintptr_t) beam__box_ptr(t)[1];
}

static size_t refc(beam_term_t t) {
  return atomic_load(&refbin_of(t)->refc);
}

BEAM_TEST(heap_lazy_and_growth) {
  beam__heap_t h;
  beam__heap_init(&h);
  ASSERT(h.chunks == NULL);
  ASSERT_EQ(h.bytes, 0);
  uint64_t *a = beam__heap_alloc(&h, 1);
  ASSERT(a != NULL);
  ASSERT_EQ(((uintptr_t) a) % 8, 0);
  size_t first = h.bytes;
  ASSERT_LE(first, 1024); /* the first chunk is small */
  for (int i = 0; i < 10000; i++)
    ASSERT(beam__heap_alloc(&h, 3) != NULL);
  size_t nchunks = 0, maxchunk = 0;
  for (beam__chunk_t *c = h.chunks; c; c = c->next, nchunks++)
    maxchunk = BEAM_MAX(maxchunk, c->size);
  ASSERT_LE(maxchunk, 64 * 1024);
  ASSERT_LT(nchunks, 12); /* geometric */
  uint64_t *huge = beam__heap_alloc(&h, 100000);
  ASSERT(huge != NULL);
  huge[99999] = 1;
  ASSERT_GE(h.chunks->size, 800000);
  ASSERT(beam__heap_alloc(&h, 1) != NULL);
  beam__heap_fini(&h);
  ASSERT(h.chunks == NULL);
  ASSERT_EQ(h.bytes, 0);
}

BEAM_TEST(arena_mark_release) {
  beam_mark_t m0 = beam_arena_mark();
  beam_term_t keep = beam_fmt("{keep, [1,2,3]}");
  size_t b0 = beam_arena_bytes();
  for (int round = 0; round < 50; round++) {
    beam_mark_t m = beam_arena_mark();
    for (int i = 0; i < 1000; i++)
      beam_tuple(3, beam_int(i), beam_float(i), beam_string("xx"));
    char big[1000];
    memset(big, round, sizeof big);
    beam_binary(big, sizeof big);
    beam_arena_release(m);
    ASSERT_LE(beam_arena_bytes(), b0 + 64 * 1024);
  }
  ASSERT_PRINTS(keep, "{keep,[1,2,3]}");
  /* An unknown mark is ignored. */
  beam_mark_t bogus = {(void *) &keep, NULL, NULL, NULL};
  beam_arena_release(bogus);
  ASSERT_PRINTS(keep, "{keep,[1,2,3]}");
  beam_arena_release(m0);
  ASSERT_EQ(beam_arena_bytes(), 0);
}

BEAM_TEST(msg_copy_isolation) {
  beam__heap_t other;
  beam__heap_init(&other);
  char big[300];
  for (int i = 0; i < 300; i++)
    big[i] = (char) i;
  beam_mark_t m = beam_arena_mark();
  beam_term_t bin = beam_binary(big, sizeof big);
  beam_term_t shared = beam_tuple(2, beam_int(1), beam_float(2.5));
  beam_term_t t = beam_fmt(
      "{msg, ~t, ~t, ~t, [a, \"str\", <<\"small\">>], #{k => v, 2 => 3.5}, ~t, "
      "123456789012345678901234567890, [1 | 2]}",
      bin, shared, shared, beam__ref_make(77));
  ASSERT_EQ(refc(bin), 1);
  int err = 0;
  beam__msg_t *msg = beam__msg_new(t, &err);
  ASSERT(msg != NULL);
  ASSERT_EQ(refc(bin), 2); /* shared, not copied */
  char want[2048], got[2048];
  beam_print(want, sizeof want, t);
  /* Free the source: the copy must not point into it. */
  beam_arena_release(m);
  beam_term_t c = beam__heap_adopt(&other, msg);
  ASSERT_GE(other.bytes, msg->size);
  beam_print(got, sizeof got, c);
  ASSERT_STR_EQ(got, want);
  /* Every pointer of the copy is inside the block (or a shared binary). */
  uintptr_t lo = (uintptr_t) msg, hi = lo + msg->size;
  ASSERT(c.raw >= lo && c.raw < hi);
  beam_term_t cbin = beam_tuple_get(c, 1);
  ASSERT(cbin.raw >= lo && cbin.raw < hi);
  ASSERT_EQ(refc(cbin), 1); /* the source's reference was dropped */
  beam_term_t s1 = beam_tuple_get(c, 2), s2 = beam_tuple_get(c, 3);
  ASSERT_NE(s1.raw, s2.raw); /* sharing-free: two copies */
  ASSERT(beam_equal(s1, s2));
  ASSERT_EQ(beam__ref_id(beam_tuple_get(c, 6)), 77);
  beam__heap_fini(&other);
}

BEAM_TEST(msg_immediates_and_free) {
  int err = 0;
  beam__msg_t *m = beam__msg_new(beam_atom("hello"), &err);
  ASSERT(m != NULL);
  ASSERT_EQ(m->size, sizeof(beam__msg_t));
  ASSERT(beam_equal(m->term, beam_atom("hello")));
  beam__msg_free(m);
  m = beam__msg_new(beam_int(5), &err);
  beam__msg_free(m);
  ASSERT(beam__msg_new(beam__mk(0), &err) == NULL);
  ASSERT_ERR(err, BEAM_EBADTERM);
  /* An unread block drops its binary references when freed. */
  char big[100] = {0};
  beam_term_t b = beam_binary(big, sizeof big);
  m = beam__msg_new(beam_list(2, b, b), &err);
  ASSERT_EQ(refc(b), 3);
  beam__msg_free(m);
  ASSERT_EQ(refc(b), 1);
  beam__msg_free(NULL);
}

BEAM_TEST(arena_release_adopted_and_bins) {
  char big[100] = {1};
  beam_term_t b = beam_binary(big, sizeof big);
  beam__bin_ref(refbin_of(b)); /* hold one ourselves to watch the count */
  beam__bin_t *bin = refbin_of(b);
  beam_mark_t m = beam_arena_mark();
  int err;
  for (int i = 0; i < 10; i++) {
    beam__msg_t *msg = beam__msg_new(beam_tuple(1, b), &err);
    beam__heap_adopt(beam__heap_current(), msg);
  }
  beam_term_t local = beam_binary(big, sizeof big); /* another REFBIN */
  (void) local;
  ASSERT_EQ(atomic_load(&bin->refc), 12);
  beam_arena_release(m); /* frees adopted blocks: their refs go */
  ASSERT_EQ(atomic_load(&bin->refc), 2);
  beam_arena_release((beam_mark_t){0}); /* everything */
  ASSERT_EQ(atomic_load(&bin->refc), 1);
  beam__bin_unref(bin);
}

/* Runs 'fn' with allocation failing after n = 0, 1, ... until it succeeds;
** each failure must be clean (an error code, no leak: LSan checks). */
static void walk_oom(const char *what, int (*fn)(void)) {
  for (long n = 0;; n++) {
    beam_mark_t m = beam_arena_mark();
    beam_debug_fail_alloc_after(n);
    int rc = fn();
    beam_debug_fail_alloc_after(-1);
    beam_arena_release(m);
    if (rc == 0) {
      TLOG("%s: succeeded after %ld allocations", what, n);
      return;
    }
    if (rc != BEAM_ENOMEM)
      BEAM__FAIL("%s: n=%ld gave %s, not ENOMEM", what, n, beam_err_name(rc));
    ASSERT_LT(n, 10000);
  }
}

static int oom_fmt(void) {
  char big[200];
  memset(big, 'x', sizeof big);
  beam_term_t t = beam_fmt(
      "{a, [1, 2.5, \"str\" | ~t], #{k => ~b, 1 => 2}, <<\"bin\">>, "
      "123456789012345678901234567890123, ~a}",
      beam_nil(), big, sizeof big, "fresh_atom_for_oom");
  if (beam_is_error(t))
    return beam_term_error(t);
  return beam_match(t, "{a, [_ | _], #{k := _}, _, _, fresh_atom_for_oom}") == 1
             ? 0
             : BEAM_EINVAL;
}

static int oom_constructors(void) {
  beam_term_t parts[] = {
      beam_float(1.5),
      beam_int(INT64_MAX),
      beam_int_from_str("-99999999999999999999999999999999999999999"),
      beam_charlist("héllo"),
      beam_string("a binary longer than sixty-four bytes, so it is shared by "
                  "reference"),
      beam_list(2, beam_int(1), beam_int(2)),
      beam_map_put(beam_map_new(), beam_atom("k"), beam_int(1)),
      beam__ref_make(5),
      beam_atom("another_fresh_atom"),
      beam_cons(beam_int(1), beam_nil()),
      beam_tuple(0),
  };
  beam_term_t t = beam_tuple_v(sizeof parts / sizeof parts[0], parts);
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
    if (beam_is_error(parts[i]))
      ASSERT_EQ(beam_term_error(t), beam_term_error(parts[i]));
  return beam_term_error(t);
}

static long oom_budget;
static int oom_msg_copy(void) {
  beam_term_t t = beam_fmt("{x, ~s, [1, 2, 3], 1.5}",
                           "a long binary, well over sixty-four bytes, shared "
                           "between the heap and the copy");
  if (beam_is_error(t))
    return BEAM_EINVAL; /* built before arming: must not fail */
  beam_debug_fail_alloc_after(oom_budget);
  int err = 0;
  beam__msg_t *m = beam__msg_new(t, &err);
  beam_debug_fail_alloc_after(-1);
  if (m == NULL)
    return err;
  beam__heap_t h;
  beam__heap_init(&h);
  beam__heap_adopt(&h, m);
  beam__heap_fini(&h);
  return 0;
}

static int oom_print(void) {
  beam_term_t t = beam_int_from_str("123456789012345678901234567890");
  if (beam_is_error(t))
    return beam_term_error(t);
  FILE *f = fopen("/dev/null", "w");
  int rc = beam_fprint(f, t, 8192);
  fclose(f);
  return rc < 0 ? rc : 0;
}

BEAM_TEST(oom_every_allocation) {
  walk_oom("constructors", oom_constructors);
  walk_oom("fmt", oom_fmt);
  walk_oom("print", oom_print);
  oom_budget = 0;
  ASSERT_ERR(oom_msg_copy(), BEAM_ENOMEM);
  oom_budget = 1;
  ASSERT_OK(oom_msg_copy());
  /* Atom insertion and table growth under OOM. */
  char name[32];
  for (int i = 0; i < 5000; i++) {
    snprintf(name, sizeof name, "oom_atom_%d", i);
    beam_debug_fail_alloc_after(i % 3 == 0 ? 0 : 5);
    beam_term_t a = beam_atom(name);
    beam_debug_fail_alloc_after(-1);
    if (beam_is_error(a))
      ASSERT_ERR(beam_term_error(a), BEAM_ENOMEM);
    a = beam_atom(name);
    ASSERT(beam_is_atom(a));
    ASSERT_STR_EQ(beam_atom_name(a), name);
  }
}

BEAM_TEST(match_never_allocates) {
  beam_term_t t = beam_fmt("{pong, 5, [a, \"s\"], #{k => 123456789012345678901234567890}}");
  beam_term_t n, v;
  beam_debug_fail_alloc_after(0);
  int r = beam_match(t, "{pong, N, [a, \"s\"], #{k := V}}", &n, &v);
  int r2 = beam_match(t, "{pong, _, _, #{k := 123456789012345678901234567890}}");
  int r3 = beam_match(t, "{'pong', ~i, _, _}", (int64_t) 5);
  beam_debug_fail_alloc_after(-1);
  ASSERT_EQ(r, 1);
  ASSERT_EQ(r2, 1);
  ASSERT_EQ(r3, 1);
  ASSERT_TERM_EQ(n, beam_int(5));
}

/* ---- Threads ---- */

#define NTHREADS 8
#define NATOMS   2000

static beam_term_t seen[NTHREADS][NATOMS];

static void *atom_worker(void *arg) {
  int id = (int) (intptr_t) arg;
  char name[32];
  for (int i = 0; i < NATOMS; i++) {
    int k = (i * 7 + id * 13) % NATOMS; /* different orders per thread */
    snprintf(name, sizeof name, "thr_atom_%d", k);
    seen[id][k] = beam_atom(name);
    if (strcmp(beam_atom_name(seen[id][k]), name) != 0)
      abort();
  }
  /* Build terms on this thread's own fallback heap; freed at thread exit. */
  for (int i = 0; i < 1000; i++)
    beam_fmt("{~i, [x, y], <<\"thread heap\">>}", (int64_t) i);
  return NULL;
}

BEAM_TEST(atoms_from_many_threads) {
  pthread_t th[NTHREADS];
  for (int i = 0; i < NTHREADS; i++)
    ASSERT_OK(-pthread_create(&th[i], NULL, atom_worker, (void *) (intptr_t) i));
  for (int i = 0; i < NTHREADS; i++)
    pthread_join(th[i], NULL);
  for (int k = 0; k < NATOMS; k++)
    for (int i = 1; i < NTHREADS; i++)
      ASSERT_EQ(seen[i][k].raw, seen[0][k].raw);
}

static void *bin_worker(void *arg) {
  beam_term_t b = *(beam_term_t *) arg;
  int err;
  for (int i = 0; i < 2000; i++) {
    beam__msg_t *m = beam__msg_new(b, &err);
    beam__msg_free(m);
  }
  return NULL;
}

BEAM_TEST(refbin_shared_across_threads) {
  char big[4096];
  memset(big, 3, sizeof big);
  beam_term_t b = beam_binary(big, sizeof big);
  pthread_t th[4];
  for (int i = 0; i < 4; i++)
    pthread_create(&th[i], NULL, bin_worker, &b);
  for (int i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  ASSERT_EQ(refc(b), 1);
}
