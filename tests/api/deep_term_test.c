/* SPDX-License-Identifier: MIT */
/* deep_term_test.c: every walk over a term survives any nesting inside a
** process with its default stack (issue 15, defect 1). Each shape nests
** through a place the old recursive walkers recursed on: list heads, a
** tuple's first element, map values. 100,000 levels is ~50x what a 64 KiB
** stack held before. */
#include "../harness/check.h"

#define DEPTH 100000

typedef enum { HEADS, TUPLE_FIRST, MAP_VALUES, MIXED } shape_t;

/* 'leaf' at the bottom of DEPTH levels of 'shape'. */
static beam_term_t deep(shape_t shape, beam_term_t leaf) {
  beam_term_t t = leaf, k = beam_atom("k");
  for (int i = 0; i < DEPTH; i++) {
    switch (shape == MIXED ? (shape_t) (i % 3) : shape) {
    case HEADS:
      t = beam_cons(t, beam_nil());
      break;
    case TUPLE_FIRST:
      t = beam_tuple(2, t, beam_int(i));
      break;
    default:
      t = beam_map_put(beam_map_put(beam_map_new(), k, t), beam_atom("z"),
                       beam_int(i));
      break;
    }
  }
  ASSERT_OK(beam_term_error(t));
  return t;
}

static char report[4096];
static _Atomic int reports;

static void capture(void *ctx, const beam_crash_t *c) {
  (void) ctx;
  snprintf(report, sizeof report, "%s", c->text);
  reports++;
}

static void exit_with(beam_term_t shape) {
  int64_t s;
  ASSERT_OK(beam_get_int(shape, &s));
  beam_exit(deep((shape_t) s, beam_atom("bottom")));
}

static void walk_all(shape_t shape) {
  beam_term_t a = deep(shape, beam_int(1)), b = deep(shape, beam_int(1));
  beam_term_t c = deep(shape, beam_int(2)), f = deep(shape, beam_float(1.0));
  /* compare, equal, hash */
  ASSERT_EQ(beam_compare(a, b), 0);
  ASSERT(beam_equal(a, b));
  ASSERT_EQ(beam_hash(a), beam_hash(b));
  ASSERT_LT(beam_compare(a, c), 0);
  ASSERT_GT(beam_compare(c, a), 0);
  ASSERT(!beam_equal(a, c));
  ASSERT_EQ(beam_compare(a, f), 0); /* 1 == 1.0 at the bottom */
  ASSERT(!beam_equal(a, f));        /* but 1 =/= 1.0 */
  /* print: bounded text, no crash */
  char buf[256];
  size_t n = beam_print(buf, sizeof buf, a);
  ASSERT_GE(n, sizeof buf);
  ASSERT_EQ(strlen(buf), sizeof buf - 1);
  /* copy: a send to ourselves and back */
  ASSERT_OK(beam_send(beam_self(), beam_tuple(2, beam_atom("deep"), a)));
  beam_term_t got;
  ASSERT_EQ(beam_receive(1000, "{deep, T}", &got, NULL), 0);
  ASSERT(beam_equal(got, b));
  /* match: a ~t hole compares with =:= */
  ASSERT_EQ(beam_match(got, "~t", b), 1);
  ASSERT_EQ(beam_match(got, "~t", c), 0);
  /* ETF both ways, at the default depth limit */
  beam_term_t bin = beam_term_to_binary(a, NULL);
  ASSERT_OK(beam_term_error(bin));
  beam_term_t back = beam_binary_to_term(bin, NULL);
  ASSERT_OK(beam_term_error(back));
  ASSERT(beam_equal(back, a));
  /* the crash reporter prints a deep exit reason; a monitor copies it */
  beam_term_t ref;
  beam_spawn_opts_t o = {0};
  o.flags = BEAM_SPAWN_MONITOR;
  o.monitor_ref = &ref;
  beam_pid_t pid;
  ASSERT_OK(beam_spawn_opt(exit_with, beam_int(shape), &o, &pid));
  beam_term_t why;
  ASSERT_EQ(beam_receive(5000, "{'DOWN', ~t, process, _, Why}", ref, &why,
                         NULL),
            0);
  ASSERT(beam_equal(why, deep(shape, beam_atom("bottom"))));
}

static void deep_main(beam_term_t arg) {
  int64_t s;
  ASSERT_OK(beam_get_int(arg, &s));
  walk_all((shape_t) s);
}

static void run_shape(shape_t s) {
  beam_config_t cfg = {0};
  cfg.schedulers = 2;
  ASSERT_RAN(beam_run(deep_main, beam_int(s), &cfg));
}

BEAM_TEST_T(deep_terms_nested_through_heads, 60) { run_shape(HEADS); }
BEAM_TEST_T(deep_terms_nested_through_tuple_firsts, 60) {
  run_shape(TUPLE_FIRST);
}
BEAM_TEST_T(deep_terms_nested_through_map_values, 60) {
  run_shape(MAP_VALUES);
}
BEAM_TEST_T(deep_terms_nested_every_way, 60) { run_shape(MIXED); }

/* The unwatched crash's report is printed from inside the dying process,
** with its default stack. */
static void report_main(beam_term_t arg) {
  (void) arg;
  beam_set_crash_reporter(capture, NULL);
  beam_pid_t pid;
  ASSERT_OK(beam_spawn(exit_with, beam_int(MIXED), &pid));
  while (reports == 0) /* the report comes after the pid is gone */
    beam_sleep(1);
  ASSERT_EQ(reports, 1);
  ASSERT(strstr(report, "exited: {") != NULL || strstr(report, "exited: [") ||
         strstr(report, "exited: #{"));
}

BEAM_TEST_T(deep_exit_reason_is_reported, 60) {
  ASSERT_RAN(beam_run(report_main, beam_nil(), NULL));
}

/* ETF input nesting tuples through their last element ({[], {[], ...}}:
** 3 bytes a level, so 200 levels is the 602-byte input that crashed the
** old printer) decodes without counting against the depth limit, then
** prints, compares and re-encodes inside a process. */
static void etf_print_main(beam_term_t arg) {
  (void) arg;
  enum { LEVELS = 20000 };
  unsigned char *in = malloc(3 * LEVELS + 2), *p = in;
  *p++ = 131;
  for (int i = 0; i < LEVELS; i++) {
    *p++ = 104; /* SMALL_TUPLE_EXT, arity 2 */
    *p++ = 2;
    *p++ = 106; /* [] */
  }
  *p++ = 106;
  beam_etf_opts_t shallow = {0, 0, 8, 0};
  beam_term_t t = beam_etf_decode(in, (size_t) (p - in), &shallow, NULL);
  ASSERT_OK(beam_term_error(t));
  char buf[64];
  ASSERT_GE(beam_print(buf, sizeof buf, t), sizeof buf);
  ASSERT(strncmp(buf, "{[],{[],{[],", 12) == 0);
  beam_term_t again = beam_binary_to_term(beam_term_to_binary(t, NULL), NULL);
  ASSERT(beam_equal(t, again));
  ASSERT_EQ(beam_hash(t), beam_hash(again));
  free(in);
}

BEAM_TEST_T(deep_etf_input_decodes_and_prints_in_a_process, 60) {
  ASSERT_RAN(beam_run(etf_print_main, beam_nil(), NULL));
}
