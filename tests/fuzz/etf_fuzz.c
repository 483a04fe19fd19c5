/* SPDX-License-Identifier: MIT */
/*
** etf_fuzz.c: libFuzzer target for the External Term Format, run inside
** cbeam processes.
**
** What an input goes through. Any bytes go to beam_etf_decode (ASan and
** UBSan watch for crashes, the fuzzer's -timeout and -rss_limit_mb for
** hangs and runaway memory). When they decode, the term must survive the
** rest of the library:
**  - re-encode: the bytes decode to an =:= term with the same hash, and
**    encoding that again gives the same bytes (the encoding is canonical);
**    the compressed form round-trips too (encodings up to 256 KiB);
**  - copy: the term goes as a message to an echo process and comes back
**    (two deep copies, through two heaps); the copy is =:= and compares 0,
**    has the same hash, prints the same, and {T, 1} < {Copy, 2} (a compare
**    that must walk all of both before it decides);
**  - print: into a 40-byte buffer and a 1 MiB one; the short text is a
**    prefix of the long one and the lengths returned agree;
**  - compare: one bit of the canonical bytes is flipped, at the end and at
**    a place chosen by the hash; a tweaked term that decodes is =:= to the
**    original exactly when it encodes to the original bytes, the order is
**    antisymmetric, and across the two tweaks transitive;
**  - the binary API (term_to_binary, binary_to_term) agrees (inputs up to
**    4 KiB), and a safe-mode decode (no new atoms, depth limit 8) agrees
**    with the plain one whenever both succeed.
** Everything an input builds is released afterwards and the heap must be
** back at its mark, so the fuzzer's leak and memory checks see a steady
** state (atoms excepted: they live as long as the runtime, as in the BEAM,
** and the table limit bounds them).
**
** Where it runs (issue 15). Every check above runs inside a cbeam process
** with the default stack (128 KiB in this ASan build, 64 KiB plain), so a
** walk that recursed on nesting would overflow it: the corpus holds terms
** nested 10,000 deep through list heads, tuple firsts, tuple lasts and map
** values, and 100,000 deep compressed (deep-seeds.sh). The runtime is
** started once, on one scheduler, and everything stays on the main thread:
**
**   main -> beam_run -> boot process
**            -> driver process (pinned, 8 MiB stack): libFuzzer itself,
**               LLVMFuzzerRunDriver; for each input one_input() sends
**               'job' to the worker and waits for 'done'
**               -> worker process (pinned, default stack): exercise()
**                  -> echo process (pinned, default stack): sends back
**                     whatever it receives
**
** Handing an input over costs two context switches (about a microsecond),
** no thread wakeup. Measured on this 2-core machine with the same checks
** (8 KiB inputs, the erl seeds, 20 s each):
**   beam_run per input (boot and teardown every time)       135 exec/s
**   a server process on a runtime thread waiting for input
**     in beam_dirty_io (futex handoff both ways)            18,000 exec/s
**   ... spinning, then futex, in the dirty call            1,400-6,000
**   ... spinning, then futex, on the scheduler itself      2,700-28,000
**                                         (1.5 cores; noisy when shared)
**   libFuzzer's driver inside a process (this file)        48,000 exec/s
** (the old target, fewer checks on the main thread's 8 MB stack: 85,000.)
**
** Failures still end the fuzzer with the input saved: the runtime runs with
** BEAM_RUN_FAULTS_ABORT, so a fault or an abort() in a process is not
** contained as that process's crash but goes on to ASan's and libFuzzer's
** handlers (checked by planting an abort, a heap overflow, a NULL load,
** signed overflow, a stack overflow in the worker, a leak and a hang: each
** gave its crash-/leak-/timeout- file). Nothing else ends the worker or
** the echo; if something did, the driver would wait and -timeout would
** save the input. libFuzzer runs its own timers and threads as usual; its
** exit at the end ends the OS process from inside the driver, with the
** runtime still up.
**
** Leak checks. LeakSanitizer does not scan process stacks or descriptors
** (they live in mmap()ed stack regions), so runtime memory reachable only
** from a live process would look leaked to libFuzzer's per-input check and
** to the check at exit. So these processes hold none between inputs: no
** links or monitors (their tables are malloc()ed on first use), heaps
** released to marks taken when empty, mailboxes empty.
**
** Build and run: 'make fuzz' (FUZZ_SECONDS), 'make stress' runs it for
** 10 minutes; 'make test' replays tests/fuzz/corpus/ for a few seconds
** (tests/fuzz/run.sh holds the fuzzer's options).
*/
#include <cbeam.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer as a library (libclang_rt.fuzzer_no_main, see the Makefile). */
int LLVMFuzzerRunDriver(int *argc, char ***argv,
                        int (*cb)(const uint8_t *data, size_t size));

/* The glue between libFuzzer and the processes is not what is fuzzed: no
** coverage there (the Makefile leaves the scheduler without it too). */
#define NOCOV __attribute__((no_sanitize("coverage")))

#define SMALL_PRINT    40
#define BIG_PRINT      ((size_t) 1 << 20)
#define COMPRESS_MAX   ((size_t) 256 << 10)
#define BINARY_API_MAX 4096

/* ---- The checks, inside the worker process ---- */

static beam_pid_t echo_pid;
static char *big_a, *big_b; /* BIG_PRINT each: not on a process's stack */

static void check(int ok, const char *what, beam_term_t t) {
  if (ok)
    return;
  char text[512];
  beam_print(text, sizeof text, t);
  fprintf(stderr, "etf_fuzz: %s: %s\n", what, text);
  abort();
}

static int sign(int c) {
  return (c > 0) - (c < 0);
}

/* The encoding of 't' in a malloc()ed block, or NULL when out of memory. */
static uint8_t *encode(beam_term_t t, unsigned flags, size_t *len) {
  beam_etf_opts_t o = {flags, 0, 0, 0};
  void *out;
  int rc = beam_etf_encode_alloc(t, &o, &out, len);
  if (rc == BEAM_ENOMEM)
    return NULL;
  check(rc == 0, "a decoded term must encode", t);
  return out;
}

/* Print 't' short and long; its copy 'w' must print the same. beam_print
** returns the full length (a lower bound >= the buffer past 64 KiB of
** text, where it stops walking). */
static void prints(beam_term_t t, beam_term_t w) {
  char small[SMALL_PRINT];
  size_t rs = beam_print(small, sizeof small, t);
  size_t rl = beam_print(big_a, BIG_PRINT, t);
  size_t ls = strlen(small), ll = strlen(big_a);
  check(ll == (rl < BIG_PRINT ? rl : BIG_PRINT - 1),
        "print: the length returned is not the length written", t);
  check(ls == (rs < SMALL_PRINT ? rs : SMALL_PRINT - 1),
        "print: the short length returned is not the length written", t);
  check(memcmp(small, big_a, ls) == 0,
        "print: the short text is not a prefix of the long one", t);
  check(rl < 65536 ? rs == rl : rs >= SMALL_PRINT && rs <= rl,
        "print: the length depends on the buffer", t);
  size_t rw = beam_print(big_b, BIG_PRINT, w);
  check(rw == rl && strcmp(big_a, big_b) == 0, "print: the copy differs", w);
}

/* Flip one bit of the canonical encoding 'e' of 't' (hash 'ht'). When the
** bytes still decode, to 'v': t =:= v exactly when v encodes to 'e' again,
** and the order is antisymmetric. '*c' = compare(t, v). Returns v, or an
** error term if the bytes did not decode. */
static beam_term_t tweaked(beam_term_t t, uint64_t ht, const uint8_t *e,
                           size_t len, size_t at, int *c) {
  uint8_t *b = malloc(len);
  check(b != NULL, "out of memory", t);
  memcpy(b, e, len);
  b[at] ^= 1;
  beam_term_t v = beam_etf_decode(b, len, NULL, NULL);
  free(b);
  if (beam_is_error(v))
    return v;
  size_t len2;
  uint8_t *e2 = encode(v, 0, &len2);
  int eq = beam_equal(t, v);
  if (e2) {
    check(eq == (len2 == len && memcmp(e2, e, len) == 0),
          "=:= disagrees with the canonical bytes", v);
    free(e2);
  }
  *c = beam_compare(t, v);
  check(sign(*c) == -sign(beam_compare(v, t)), "compare is not antisymmetric",
        v);
  if (eq)
    check(*c == 0 && beam_hash(v) == ht, "=:= terms differ in order or hash",
          v);
  return v;
}

static void exercise(const uint8_t *data, size_t size) {
  size_t before = beam_arena_bytes();
  beam_mark_t m = beam_arena_mark();
  beam_term_t t = beam_etf_decode(data, size, NULL, NULL);
  if (!beam_is_error(t)) {
    uint64_t ht = beam_hash(t);
    size_t len = 0;
    uint8_t *e = encode(t, 0, &len);
    if (e) {
      beam_term_t u = beam_etf_decode(e, len, NULL, NULL);
      check(!beam_is_error(u), "an encoding must decode", t);
      check(beam_equal(t, u) && beam_compare(t, u) == 0, "round trip =/=", t);
      check(beam_hash(u) == ht, "round trip changes the hash", t);
      size_t len2;
      uint8_t *e2 = encode(u, 0, &len2);
      if (e2)
        check(len2 == len && memcmp(e, e2, len) == 0,
              "the encoding is not canonical", t);
      free(e2);
    }
    if (e && len <= COMPRESS_MAX) {
      size_t zlen;
      uint8_t *z = encode(t, BEAM_ETF_COMPRESSED, &zlen);
      if (z) {
        beam_term_t u = beam_etf_decode(z, zlen, NULL, NULL);
        check(!beam_is_error(u) && beam_equal(t, u),
              "compressed round trip =/=", t);
        free(z);
      }
    }
    /* A copy through the echo's mailbox and heap and back. */
    int rc = beam_send(echo_pid, t);
    check(rc == 0 || rc == BEAM_ENOMEM, "a decoded term must send", t);
    if (rc == 0) {
      beam_term_t w;
      check(beam_receive_any(BEAM_INFINITY, &w) == 0, "no copy came back", t);
      check(beam_equal(t, w) && beam_compare(t, w) == 0,
            "the copy (printed) is =/= the original", w);
      check(beam_hash(w) == ht, "the copy has another hash", t);
      beam_term_t a = beam_tuple(2, t, beam_int(1));
      beam_term_t b = beam_tuple(2, w, beam_int(2));
      if (!beam_is_error(a) && !beam_is_error(b))
        check(beam_compare(a, b) < 0 && beam_compare(b, a) > 0,
              "{T, 1} < {Copy, 2} fails", t);
      prints(t, w);
    }
    if (e && len > 1) {
      int c1 = 0, c2 = 0;
      beam_term_t v1 = tweaked(t, ht, e, len, len - 1, &c1);
      beam_term_t v2 = tweaked(t, ht, e, len, 1 + ht % (len - 1), &c2);
      if (!beam_is_error(v1) && !beam_is_error(v2) && c1 <= 0 &&
          beam_compare(v1, v2) <= 0)
        check(c2 <= 0, "compare is not transitive", t);
    }
    free(e);
    if (size <= BINARY_API_MAX) {
      beam_term_t copy =
          beam_binary_to_term(beam_term_to_binary(t, NULL), NULL);
      check(beam_is_error(copy) || beam_equal(copy, t), "binary round trip", t);
    }
  }
  beam_etf_opts_t safe = {BEAM_ETF_SAFE, 0, 8, 0};
  size_t used = 0;
  beam_term_t s = beam_etf_decode(data, size, &safe, &used);
  if (!beam_is_error(s) && !beam_is_error(t))
    check(beam_equal(s, t) && used == size, "safe decode differs", t);
  beam_arena_release(m);
  check(beam_arena_bytes() == before, "the heap is not back at its mark",
        beam_nil());
}

/* ---- The processes ---- */

static int g_argc;
static char **g_argv;
static int driver_rc;
/* The input being run: set by the driver before it sends 'job' to the
** worker (the same OS thread; the send orders it anyway). */
static const uint8_t *job_data;
static size_t job_size;
static beam_pid_t worker_pid;
static beam_term_t job_atom, done_atom;

static NOCOV void expect(beam_term_t msg, beam_term_t want, const char *who) {
  if (beam_equal(msg, want))
    return;
  char text[512];
  beam_print(text, sizeof text, msg);
  fprintf(stderr, "etf_fuzz: %s got an unexpected message: %s\n", who, text);
  abort();
}

static NOCOV void echo_main(beam_term_t back) {
  for (;;) {
    beam_mark_t m = beam_arena_mark();
    beam_term_t msg;
    if (beam_receive_any(BEAM_INFINITY, &msg) != 0)
      abort();
    int rc = beam_send(back, msg);
    if (rc != 0 && rc != BEAM_ENOMEM)
      abort();
    beam_arena_release(m);
  }
}

static NOCOV void worker_main(beam_term_t driver) {
  beam_spawn_opts_t o = {.flags = BEAM_SPAWN_PINNED};
  big_a = malloc(BIG_PRINT);
  big_b = malloc(BIG_PRINT);
  if (!big_a || !big_b || beam_spawn_opt(echo_main, beam_self(), &o, &echo_pid))
    abort();
  for (;;) {
    beam_mark_t m = beam_arena_mark();
    beam_term_t msg;
    if (beam_receive_any(BEAM_INFINITY, &msg) != 0)
      abort();
    expect(msg, job_atom, "the worker");
    beam_arena_release(m);
    exercise(job_data, job_size);
    if (beam_send(driver, done_atom) != 0)
      abort();
  }
}

/* libFuzzer's callback, in the driver process. */
static NOCOV int one_input(const uint8_t *data, size_t size) {
  job_data = data;
  job_size = size;
  beam_mark_t m = beam_arena_mark();
  if (beam_send(worker_pid, job_atom) != 0)
    abort();
  beam_term_t msg;
  if (beam_receive_any(BEAM_INFINITY, &msg) != 0)
    abort();
  expect(msg, done_atom, "the driver");
  beam_arena_release(m);
  return 0;
}

static NOCOV void driver_main(beam_term_t boot) {
  /* beam_run put cbeam's fault handler on SIGABRT (with
  ** BEAM_RUN_FAULTS_ABORT it only passes the signal on), and libFuzzer
  ** leaves an installed SIGABRT handler alone: take it away, so that
  ** libFuzzer's own handler saves the input of a failed check. SIGSEGV,
  ** SIGBUS, SIGFPE and SIGILL go through cbeam's handler to ASan's. */
  signal(SIGABRT, SIG_DFL);
  job_atom = beam_atom("job");
  done_atom = beam_atom("done");
  beam_spawn_opts_t o = {.flags = BEAM_SPAWN_PINNED};
  if (beam_spawn_opt(worker_main, beam_self(), &o, &worker_pid) != 0)
    abort();
  driver_rc = LLVMFuzzerRunDriver(&g_argc, &g_argv, one_input);
  beam_send(boot, done_atom);
}

/* The first process: starts the driver with a main thread's stack and
** ends when it does (when libFuzzer returns rather than exits). */
static NOCOV void boot_main(beam_term_t arg) {
  (void) arg;
  beam_spawn_opts_t o = {.stack_size = (size_t) 8 << 20,
                         .flags = BEAM_SPAWN_PINNED};
  beam_pid_t driver;
  beam_term_t msg;
  if (beam_spawn_opt(driver_main, beam_self(), &o, &driver) != 0)
    abort();
  beam_receive_any(BEAM_INFINITY, &msg);
}

int main(int argc, char **argv) {
  g_argc = argc;
  g_argv = argv;
  /* One scheduler, so every process runs on this thread, where libFuzzer
  ** keeps its thread-locals and takes its SIGALRM (-timeout). */
  beam_config_t cfg = {.schedulers = 1,
                       .process_limit = 64,
                       .dirty_io_threads = 1,
                       .flags = BEAM_RUN_FAULTS_ABORT | BEAM_RUN_NO_SPARES};
  int rc = beam_run(boot_main, beam_nil(), &cfg);
  if (rc != 0) {
    fprintf(stderr, "etf_fuzz: beam_run: %s\n", beam_strerror(rc));
    return 1;
  }
  return driver_rc;
}
