/* SPDX-License-Identifier: MIT */
/*
** check.h: cbeam's test harness (the runner is runner.c).
**
** A test is 'BEAM_TEST(name) { ... }' anywhere in a test file; a constructor
** registers it, so no central list can drift. The runner forks each test
** into its own child with a timeout (seconds, default 10, scaled by
** BEAM_TEST_TIMEOUT_MULTIPLIER for sanitizer builds), so a crash or a hang
** fails that test alone. Asserts never compile out and print both operands;
** ASSERT_OK prints the error's name. BEAM_SKIP("why") skips.
**
** Why our own runner rather than Criterion: it is ~300 lines, runs tests in
** parallel with per-test timeouts, and lets a test opt out of the fork
** (the sanitizers and the runtime's threads behave best in a fresh child).
*/
#ifndef BEAM_TEST_CHECK_H
#define BEAM_TEST_CHECK_H

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbeam.h>

typedef void (*beam_test_fn)(void);
void beam_test_register(const char *name, const char *file, beam_test_fn fn,
                        int timeout_s);
/* Print to the test's log (shown when it fails, or with -v). */
#define TLOG(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr))

#define BEAM_TEST_T(name, timeout_s)                                           \
  static void test_##name(void);                                               \
  __attribute__((constructor)) static void register_##name(void) {             \
    beam_test_register(#name, __FILE__, test_##name, (timeout_s));             \
  }                                                                            \
  static void test_##name(void)
#define BEAM_TEST(name) BEAM_TEST_T(name, 0)

#define BEAM_TEST_SKIP_CODE 77
#define BEAM_SKIP(why)                                                         \
  do {                                                                         \
    fprintf(stderr, "SKIP: %s\n", (why));                                      \
    fflush(NULL);                                                              \
    _exit(BEAM_TEST_SKIP_CODE);                                                \
  } while (0)

void _exit(int);

#define BEAM__FAIL(...)                                                        \
  do {                                                                         \
    fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                            \
    fprintf(stderr, __VA_ARGS__);                                              \
    fputc('\n', stderr);                                                       \
    fflush(NULL);                                                              \
    signal(SIGABRT, SIG_DFL); /* not a process crash: the test fails */       \
    abort();                                                                   \
  } while (0)

#define ASSERT(c)                                                              \
  do {                                                                         \
    if (!(c))                                                                  \
      BEAM__FAIL("assertion failed: %s", #c);                                  \
  } while (0)
#define ASSERT_TRUE(c) ASSERT(c)
#define ASSERT_FALSE(c) ASSERT(!(c))

#define BEAM__ASSERT_CMP(a, op, b)                                             \
  do {                                                                         \
    int64_t a_ = (int64_t) (a), b_ = (int64_t) (b);                            \
    if (!(a_ op b_))                                                           \
      BEAM__FAIL("assertion failed: %s %s %s (%" PRId64 " vs %" PRId64 ")",    \
                 #a, #op, #b, a_, b_);                                         \
  } while (0)
#define ASSERT_EQ(a, b) BEAM__ASSERT_CMP(a, ==, b)
#define ASSERT_NE(a, b) BEAM__ASSERT_CMP(a, !=, b)
#define ASSERT_LT(a, b) BEAM__ASSERT_CMP(a, <, b)
#define ASSERT_LE(a, b) BEAM__ASSERT_CMP(a, <=, b)
#define ASSERT_GT(a, b) BEAM__ASSERT_CMP(a, >, b)
#define ASSERT_GE(a, b) BEAM__ASSERT_CMP(a, >=, b)

/* 'rc' must be >= 0; on failure prints the BEAM_E* name. */
#define ASSERT_OK(rc)                                                          \
  do {                                                                         \
    int64_t r_ = (int64_t) (rc);                                               \
    if (r_ < 0)                                                                \
      BEAM__FAIL("%s failed: %s (%" PRId64 ", %s)", #rc,                       \
                 beam_err_name((int) r_), r_, beam_strerror((int) r_));        \
  } while (0)
/* beam_run's answer must be 0: it ran, and its first process ended
** 'normal' (1 means it crashed, faulted or was killed: its report is in
** the test's log). */
#define ASSERT_RAN(rc)                                                         \
  do {                                                                         \
    int64_t r_ = (int64_t) (rc);                                               \
    if (r_ == 1)                                                               \
      BEAM__FAIL("%s: the first process ended abnormally", #rc);               \
    if (r_ != 0)                                                               \
      BEAM__FAIL("%s failed: %s (%" PRId64 ", %s)", #rc,                       \
                 beam_err_name((int) r_), r_, beam_strerror((int) r_));        \
  } while (0)
/* 'rc' must be exactly the error 'err'. */
#define ASSERT_ERR(rc, err)                                                    \
  do {                                                                         \
    int64_t r_ = (int64_t) (rc);                                               \
    if (r_ != (int64_t) (err))                                                 \
      BEAM__FAIL("%s: expected %s, got %s (%" PRId64 ")", #rc,                 \
                 beam_err_name((int) (err)), beam_err_name((int) r_), r_);     \
  } while (0)

#define ASSERT_STR_EQ(a, b)                                                    \
  do {                                                                         \
    const char *a_ = (a), *b_ = (b);                                           \
    if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                       \
      BEAM__FAIL("assertion failed: %s == %s (\"%s\" vs \"%s\")", #a, #b,      \
                 a_ ? a_ : "(null)", b_ ? b_ : "(null)");                      \
  } while (0)

/* Terms: exact equality, printing both on failure. */
#define ASSERT_TERM_EQ(a, b)                                                   \
  do {                                                                         \
    beam_term_t a_ = (a), b_ = (b);                                            \
    if (!beam_equal(a_, b_)) {                                                 \
      char sa_[256], sb_[256];                                                 \
      beam_print(sa_, sizeof sa_, a_);                                         \
      beam_print(sb_, sizeof sb_, b_);                                         \
      BEAM__FAIL("assertion failed: %s =:= %s (%s vs %s)", #a, #b, sa_, sb_);  \
    }                                                                          \
  } while (0)
/* The term prints exactly as 'text'. */
#define ASSERT_PRINTS(t, text)                                                 \
  do {                                                                         \
    char s_[1024];                                                             \
    beam_print(s_, sizeof s_, (t));                                            \
    ASSERT_STR_EQ(s_, (text));                                                 \
  } while (0)

/* Helpers for tests (runner.c). */
/* Resident set size of this process in bytes (from /proc/self/statm). */
size_t beam_test_rss(void);
/* Scale for iteration counts: smaller under sanitizers (1.0 plain). */
double beam_test_scale(void);

/* Run 'main_fn' as the first process on 'nsched' schedulers and check it
** got to its end: a root sets 'reached' = 1 as its last act, since a root
** killed by a signal it should have survived would otherwise end beam_run
** quietly and pass. */
__attribute__((unused)) static volatile int reached;
#define RUN_TO_END(main_fn, nsched)                                            \
  do {                                                                         \
    beam_config_t cfg_ = {.schedulers = (nsched)};                             \
    reached = 0;                                                               \
    ASSERT_RAN(beam_run((main_fn), beam_nil(), &cfg_));                        \
    ASSERT_EQ(reached, 1);                                                     \
  } while (0)

#endif
