/* SPDX-License-Identifier: MIT */
/* gc_test.c: collecting a heap from named roots (issue 11, item 1):
** everything reachable survives intact and keeps its sharing, everything
** else is freed (binaries included, exactly when their last holder lets
** go), a loop that keeps a large state pays only for what it makes, and a
** failed collection changes nothing. */
#include "../harness/check.h"

#include "../../src/term/heap.h"
#include "../../src/util/debug.h"

#include <sys/wait.h>
#include <unistd.h>

/* A reference copy of 't' that no collection of this heap touches: its
** External Term Format bytes. */
typedef struct snap {
  void *bytes;
  size_t len;
} snap_t;

static snap_t snap(beam_term_t t) {
  snap_t s;
  ASSERT_OK(beam_etf_encode_alloc(t, NULL, &s.bytes, &s.len));
  return s;
}

static void same_as(beam_term_t t, snap_t s) {
  void *b;
  size_t n;
  ASSERT_OK(beam_etf_encode_alloc(t, NULL, &b, &n));
  ASSERT_EQ(n, s.len);
  ASSERT(memcmp(b, s.bytes, n) == 0);
  free(b);
  free(s.bytes);
}

static unsigned rnd(unsigned *s) {
  *s = *s * 1103515245u + 12345u;
  return *s >> 16;
}

/* A random term over a pool of earlier ones, so subterms are shared. */
static beam_term_t grow(unsigned *s, beam_term_t *pool, size_t *np) {
  beam_term_t t;
  beam_term_t a = pool[rnd(s) % *np], b = pool[rnd(s) % *np];
  switch (rnd(s) % 9) {
  case 0: t = beam_tuple(3, a, b, beam_int(rnd(s))); break;
  case 1: t = beam_cons(a, b); break;
  case 2: t = beam_map_put(beam_map_put(beam_map_new(), a, b), b, a); break;
  case 3: {
    char big[200];
    memset(big, 'a' + (int) (rnd(s) % 26), sizeof big);
    t = beam_tuple(2, beam_binary(big, 65 + rnd(s) % 100), a); /* REFBIN */
    break;
  }
  case 4: t = beam_tuple(2, beam_float(rnd(s) / 3.0), beam_make_ref()); break;
  case 5: t = beam_cons(beam_int_from_str("123456789012345678901234567890"), a);
    break;
  case 6: t = beam_list(3, a, beam_string("short"), b); break;
  case 7: t = beam_fmt("{<0.1.2>, ~t, [1,2,3 | ~t]}", a, b); break;
  default: t = beam_tuple(2, beam_atom("x"), a); break;
  }
  ASSERT_OK(beam_term_error(t));
  pool[(*np)++] = t;
  return t;
}

static void random_graphs_main(beam_term_t arg) {
  (void) arg;
  unsigned seed = 20261204;
  for (int round = 0; round < 40; round++) {
    beam_term_t pool[400];
    size_t np = 0;
    pool[np++] = beam_nil();
    pool[np++] = beam_atom("leaf");
    for (int i = 0; i < 300; i++)
      grow(&seed, pool, &np);
    beam_term_t keep1 = pool[np - 1], keep2 = pool[np / 2], dropped = pool[5];
    (void) dropped;
    snap_t s1 = snap(keep1), s2 = snap(keep2);
    size_t before = beam_arena_bytes();
    unsigned flags = round % 5 == 4 ? BEAM_GC_MAJOR : 0;
    beam_term_t *roots[] = {&keep1, &keep2};
    ASSERT_OK(beam_gc_roots(roots, 2, flags));
    same_as(keep1, s1);
    same_as(keep2, s2);
    ASSERT(beam_arena_bytes() <= before + (size_t) 128 * 1024);
  }
  beam_process_info_t info;
  ASSERT_OK(beam_process_info(beam_self(), &info));
  ASSERT_EQ(info.minor_gcs + info.major_gcs, 40);
  ASSERT_GE(info.major_gcs, 8);
}

BEAM_TEST_T(gc_keeps_random_term_graphs_intact, 60) {
  ASSERT_RAN(beam_run(random_graphs_main, beam_nil(), NULL));
}

/* Sharing survives: a list referenced 100 times is copied once. */
static void sharing_main(beam_term_t arg) {
  (void) arg;
  beam_term_t l = beam_nil();
  for (int i = 0; i < 1000; i++)
    l = beam_cons(beam_int(i), l);
  beam_term_t e[100];
  for (int i = 0; i < 100; i++)
    e[i] = l;
  beam_term_t t = beam_tuple_v(100, e);
  for (int i = 0; i < 1000; i++) /* garbage */
    beam_tuple(3, beam_int(i), beam_int(i), beam_int(i));
  ASSERT_OK(beam_gc(&t));
  beam_process_info_t info;
  ASSERT_OK(beam_process_info(beam_self(), &info));
  /* one list (1000 cells, 16 KB) and the tuple, not 100 lists */
  ASSERT_LT(info.heap_live_bytes, 20000);
  ASSERT_GE(info.heap_live_bytes, 16000);
  for (int i = 1; i < 100; i++)
    ASSERT_EQ(beam_tuple_get(t, (size_t) i).raw, beam_tuple_get(t, 0).raw);
  ASSERT_EQ(beam_list_length(beam_tuple_get(t, 99)), 1000);
}

BEAM_TEST_T(gc_keeps_sharing, 30) {
  ASSERT_RAN(beam_run(sharing_main, beam_nil(), NULL));
}

/* A shared binary lives exactly as long as its last holder. */
static void holder(beam_term_t arg) {
  (void) arg;
  beam_term_t bin, from;
  ASSERT_EQ(beam_receive(5000, "{bin, B, From}", &bin, &from, NULL), 0);
  ASSERT_OK(beam_send(from, beam_atom("got")));
  ASSERT_EQ(beam_receive(5000, "drop", NULL), 0);
  ASSERT_OK(beam_gc(&from)); /* the binary is not a root: gone */
  ASSERT_OK(beam_send(from, beam_atom("dropped")));
  beam_receive(5000, "stop", NULL);
}

static void binaries_main(beam_term_t arg) {
  (void) arg;
  size_t base = beam__bin_live_bytes();
  static char data[100000];
  memset(data, 7, sizeof data);
  beam_term_t bin = beam_binary(data, sizeof data);
  size_t one = beam__bin_live_bytes() - base;
  ASSERT_GE(one, sizeof data);
  beam_pid_t h;
  ASSERT_OK(beam_spawn(holder, beam_nil(), &h));
  ASSERT_OK(beam_send(h, beam_tuple(3, beam_atom("bin"), bin, beam_self())));
  ASSERT_EQ(beam_receive(5000, "got", NULL), 0);
  /* we collect our copy away: the holder still has it */
  beam_term_t keep = beam_atom("nothing");
  ASSERT_OK(beam_gc(&keep, &h));
  ASSERT_EQ(beam__bin_live_bytes() - base, one);
  /* a root keeps it; then the holder lets go: freed then, not before */
  ASSERT_OK(beam_send(h, beam_atom("drop")));
  ASSERT_EQ(beam_receive(5000, "dropped", NULL), 0);
  ASSERT_EQ(beam__bin_live_bytes(), base);
  /* kept through collections by a root */
  beam_term_t b2 = beam_binary(data, sizeof data);
  for (int i = 0; i < 5; i++) {
    ASSERT_OK(beam_gc_roots((beam_term_t *[]){&b2}, 1, i & 1 ? BEAM_GC_MAJOR : 0));
    ASSERT_EQ(beam__bin_live_bytes() - base, one);
  }
  size_t len;
  const unsigned char *d = beam_binary_data(b2, &len);
  ASSERT_EQ(len, sizeof data);
  ASSERT_EQ(d[99999], 7);
  ASSERT_OK(beam_gc_roots(NULL, 0, BEAM_GC_MAJOR)); /* no roots: all freed */
  ASSERT_EQ(beam__bin_live_bytes(), base);
  /* and the heap holds only an empty to-space chunk */
  ASSERT(beam_arena_bytes() <= (size_t) 64 * 1024);
  ASSERT_OK(beam_send(h, beam_atom("stop")));
}

BEAM_TEST_T(gc_frees_a_binary_exactly_when_its_last_holder_lets_go, 30) {
  ASSERT_RAN(beam_run(binaries_main, beam_nil(), NULL));
}

/* Received messages are young like the rest: the part kept is copied, the
** block freed. */
static void messages_main(beam_term_t arg) {
  (void) arg;
  beam_term_t kept = beam_nil();
  for (int i = 0; i < 1000; i++) {
    ASSERT_OK(beam_send(beam_self(),
                        beam_fmt("{msg, ~i, [a, b, c, d, e, f, g, h]}", i)));
    beam_term_t m;
    ASSERT_EQ(beam_receive_any(0, &m), 0);
    if (i % 100 == 0)
      kept = beam_cons(beam_tuple_get(m, 1), kept);
    if (i % 10 == 0)
      ASSERT_OK(beam_gc(&kept));
  }
  ASSERT_OK(beam_gc(&kept));
  ASSERT_EQ(beam_list_length(kept), 10);
  ASSERT_TERM_EQ(beam_hd(kept), beam_int(900));
  ASSERT_LT(beam_arena_bytes(), 128 * 1024);
}

BEAM_TEST_T(gc_collects_received_messages, 30) {
  ASSERT_RAN(beam_run(messages_main, beam_nil(), NULL));
}

/* A loop that keeps a large state and makes a little garbage: minor
** collections copy only the little, the state stays in the old
** generation, and majors are rare. */
static void generational_main(beam_term_t arg) {
  (void) arg;
  beam_term_t state = beam_nil();
  for (int i = 0; i < 20000; i++) /* ~320 KB kept */
    state = beam_cons(beam_int(i), state);
  ASSERT_OK(beam_gc(&state));
  beam_term_t recent = beam_nil();
  for (int it = 0; it < 2000; it++) {
    for (int j = 0; j < 50; j++) /* garbage */
      beam_tuple(2, beam_int(j), beam_atom("g"));
    recent = beam_tuple(2, beam_int(it), beam_nil());
    ASSERT_OK(beam_gc(&state, &recent));
  }
  beam_process_info_t info;
  ASSERT_OK(beam_process_info(beam_self(), &info));
  TLOG("minor %" PRIu64 ", major %" PRIu64 ", live %zu", info.minor_gcs,
       info.major_gcs, info.heap_live_bytes);
  ASSERT_EQ(info.minor_gcs + info.major_gcs, 2001);
  ASSERT_LE(info.major_gcs, 4); /* the old generation grows by 2000 tuples */
  ASSERT_EQ(beam_list_length(state), 20000);
  ASSERT_LT(beam_arena_bytes(), 2 * 1024 * 1024);
}

BEAM_TEST_T(gc_minor_collections_leave_the_old_generation_alone, 60) {
  ASSERT_RAN(beam_run(generational_main, beam_nil(), NULL));
}

/* beam_gc_maybe collects only when enough was made since the last one. */
static void maybe_main(beam_term_t arg) {
  (void) arg;
  beam_term_t state = beam_map_new();
  int collected = 0;
  for (int i = 0; i < 20000; i++) {
    state = beam_map_put(state, beam_int(i % 10), beam_int(i));
    beam_term_t junk = beam_tuple(4, beam_int(i), beam_nil(), beam_nil(),
                                  beam_nil());
    int rc = beam_gc_maybe(&state, &junk);
    ASSERT_GE(rc, 0);
    collected += rc;
  }
  TLOG("beam_gc_maybe collected %d times in 20,000 iterations", collected);
  ASSERT_GT(collected, 5);
  ASSERT_LT(collected, 2000);
  ASSERT_EQ(beam_map_size(state), 10);
  ASSERT_LT(beam_arena_bytes(), 512 * 1024);
}

BEAM_TEST_T(gc_maybe_collects_when_due, 30) {
  ASSERT_RAN(beam_run(maybe_main, beam_nil(), NULL));
}

/* Out of memory: nothing changes. */
static void oom_main(beam_term_t arg) {
  (void) arg;
  beam_term_t t = beam_fmt("{a, [1,2,3], #{k => <<\"v\">>}}");
  for (int i = 0; i < 100; i++)
    beam_cons(beam_int(i), beam_nil());
  snap_t s = snap(t);
  size_t before = beam_arena_bytes();
  for (long n = 0; n < 4; n++) {
    beam_debug_fail_alloc_after(n);
    int rc = beam_gc(&t);
    beam_debug_fail_alloc_after(-1);
    if (rc == 0)
      break;
    ASSERT_ERR(rc, BEAM_ENOMEM);
    ASSERT_EQ(beam_arena_bytes(), before);
  }
  same_as(t, s);
  ASSERT_ERR(beam_gc_roots(NULL, 1, 0), BEAM_EINVAL);
  ASSERT_ERR(beam_gc_roots(NULL, 0, 99), BEAM_EINVAL);
}

BEAM_TEST_T(gc_out_of_memory_changes_nothing, 30) {
  ASSERT_RAN(beam_run(oom_main, beam_nil(), NULL));
}

/* Marks taken before a collection are void. */
static void marks_main(beam_term_t arg) {
  (void) arg;
  beam_term_t keep = beam_fmt("{kept, [1, 2]}");
  beam_mark_t m = beam_arena_mark();
  beam_term_t after = beam_fmt("{made, after, the, mark}");
  ASSERT_OK(beam_gc(&keep, &after));
  beam_arena_release(m); /* ignored: the chunk it names is gone */
  ASSERT_TERM_EQ(keep, beam_fmt("{kept, [1, 2]}"));
  ASSERT_TERM_EQ(after, beam_fmt("{made, after, the, mark}"));
  /* and marks after it work as before */
  beam_mark_t m2 = beam_arena_mark();
  size_t b = beam_arena_bytes();
  for (int i = 0; i < 1000; i++)
    beam_tuple(2, beam_int(i), keep);
  beam_arena_release(m2);
  ASSERT_EQ(beam_arena_bytes(), b);
  ASSERT_TERM_EQ(keep, beam_fmt("{kept, [1, 2]}"));
}

BEAM_TEST_T(gc_voids_earlier_marks, 30) {
  ASSERT_RAN(beam_run(marks_main, beam_nil(), NULL));
}

/* Outside processes the thread's own heap collects the same way. */
BEAM_TEST(gc_on_a_plain_thread_heap) {
  beam_term_t t = beam_fmt("{outside, [a, b], <<\"x\">>}");
  for (int i = 0; i < 1000; i++)
    beam_tuple(2, beam_int(i), t);
  snap_t s = snap(t);
  ASSERT_OK(beam_gc(&t));
  same_as(t, s);
  ASSERT_LT(beam_arena_bytes(), 70 * 1024);
}

#if defined(__SANITIZE_ADDRESS__)
/* A term used after a collection that did not name it: ASan's report. */
static void stale_main(beam_term_t arg) {
  (void) arg;
  beam_term_t named = beam_fmt("{named}"), forgotten = beam_fmt("{forgotten}");
  ASSERT_OK(beam_gc(&named));
  char buf[64];
  beam_print(buf, sizeof buf, forgotten); /* use after free */
}

BEAM_TEST_T(gc_use_of_an_unnamed_term_is_caught_by_asan, 30) {
  int fd[2];
  ASSERT_OK(pipe(fd));
  pid_t c = fork();
  if (c == 0) {
    dup2(fd[1], 2);
    beam_run(stale_main, beam_nil(), NULL);
    _exit(0);
  }
  close(fd[1]);
  char out[8192];
  size_t n = 0;
  ssize_t r;
  while (n + 1 < sizeof out && (r = read(fd[0], out + n, sizeof out - 1 - n)) > 0)
    n += (size_t) r;
  out[n] = '\0';
  int st;
  waitpid(c, &st, 0);
  ASSERT(!(WIFEXITED(st) && WEXITSTATUS(st) == 0));
  ASSERT(strstr(out, "heap-use-after-free") != NULL);
}
#endif
