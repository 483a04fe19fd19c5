/* SPDX-License-Identifier: MIT */
/*
** runner.c: runs the tests registered by BEAM_TEST, each in a forked child
** with its own timeout, 'jobs' at a time, and prints one line per test and
** the closing 'N passed, N failed, N skipped' that CI reads.
**
** A child's stdout and stderr go to a temporary file; the runner shows it
** only when the test fails (or with -v), so a green run stays short.
**
** Usage: runner [-v] [-j JOBS] [-l] [SUBSTRING...]
**   -l lists the tests; SUBSTRINGs select tests whose name contains one.
** Env: BEAM_TEST_TIMEOUT_MULTIPLIER scales every timeout (sanitizers),
**      BEAM_TEST_SCALE scales iteration counts (beam_test_scale()).
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MAX_TESTS 2048
#define DEFAULT_TIMEOUT_S 10

typedef struct test {
  const char *name;
  const char *file;
  beam_test_fn fn;
  int timeout_s;
} test_t;

static test_t tests[MAX_TESTS];
static int ntests;

void beam_test_register(const char *name, const char *file, beam_test_fn fn,
                        int timeout_s) {
  if (ntests == MAX_TESTS) {
    fprintf(stderr, "runner: too many tests\n");
    exit(2);
  }
  tests[ntests++] = (test_t){name, file, fn, timeout_s};
}

size_t beam_test_rss(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long size = 0, rss = 0;
  if (f) {
    if (fscanf(f, "%lu %lu", &size, &rss) != 2)
      rss = 0;
    fclose(f);
  }
  return (size_t) rss * (size_t) sysconf(_SC_PAGESIZE);
}

double beam_test_scale(void) {
  const char *s = getenv("BEAM_TEST_SCALE");
  double v = s ? atof(s) : 1.0;
  return v > 0 ? v : 1.0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double timeout_multiplier(void) {
  const char *s = getenv("BEAM_TEST_TIMEOUT_MULTIPLIER");
  double v = s ? atof(s) : 1.0;
  return v > 0 ? v : 1.0;
}

typedef struct running {
  pid_t pid;
  int index;
  double start, deadline;
  FILE *log;
  int timed_out;
} running_t;

static int selected(const char *name, int argc, char **argv, int first) {
  if (first >= argc)
    return 1;
  for (int i = first; i < argc; i++)
    if (strstr(name, argv[i]))
      return 1;
  return 0;
}

static void start(running_t *r, int index) {
  fflush(NULL);
  r->log = tmpfile();
  r->index = index;
  r->timed_out = 0;
  r->start = now_s();
  int t = tests[index].timeout_s ? tests[index].timeout_s : DEFAULT_TIMEOUT_S;
  r->deadline = r->start + t * timeout_multiplier();
  r->pid = fork();
  if (r->pid < 0) {
    perror("runner: fork");
    exit(2);
  }
  if (r->pid == 0) {
    int fd = fileno(r->log);
    dup2(fd, 1);
    dup2(fd, 2);
    setpgid(0, 0);
    tests[index].fn();
    fflush(NULL);
    _exit(0);
  }
}

static void dump(FILE *log) {
  char buf[4096];
  size_t n;
  fflush(log);
  rewind(log);
  while ((n = fread(buf, 1, sizeof buf, log)) > 0)
    fwrite(buf, 1, n, stdout);
}

int main(int argc, char **argv) {
  int verbose = 0, jobs = 1, list = 0, first = 1;
  for (; first < argc && argv[first][0] == '-'; first++) {
    if (!strcmp(argv[first], "-v"))
      verbose = 1;
    else if (!strcmp(argv[first], "-l"))
      list = 1;
    else if (!strcmp(argv[first], "-j") && first + 1 < argc)
      jobs = atoi(argv[++first]);
    else {
      fprintf(stderr, "usage: %s [-v] [-j N] [-l] [SUBSTRING...]\n", argv[0]);
      return 2;
    }
  }
  if (jobs < 1)
    jobs = 1;
  if (list) {
    for (int i = 0; i < ntests; i++)
      printf("%s\t%s\n", tests[i].name, tests[i].file);
    return 0;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  running_t *run = calloc((size_t) jobs, sizeof *run);
  int next = 0, active = 0, passed = 0, failed = 0, skipped = 0;
  for (;;) {
    while (active < jobs && next < ntests) {
      if (!selected(tests[next].name, argc, argv, first)) {
        next++;
        continue;
      }
      for (int j = 0; j < jobs; j++)
        if (run[j].pid == 0) {
          start(&run[j], next++);
          active++;
          break;
        }
    }
    if (active == 0)
      break;
    int status;
    pid_t done = waitpid(-1, &status, WNOHANG);
    if (done == 0) {
      double t = now_s();
      for (int j = 0; j < jobs; j++)
        if (run[j].pid > 0 && !run[j].timed_out && t > run[j].deadline) {
          run[j].timed_out = 1;
          kill(-run[j].pid, SIGKILL);
          kill(run[j].pid, SIGKILL);
        }
      usleep(2000);
      continue;
    }
    if (done < 0) {
      if (errno == EINTR)
        continue;
      perror("runner: waitpid");
      return 2;
    }
    for (int j = 0; j < jobs; j++) {
      running_t *r = &run[j];
      if (r->pid != done)
        continue;
      const test_t *t = &tests[r->index];
      double ms = (now_s() - r->start) * 1000.0;
      if (r->timed_out) {
        printf("FAIL %s (timed out after %.0f ms)\n", t->name, ms);
        dump(r->log);
        failed++;
      } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        printf("ok   %s (%.0f ms)\n", t->name, ms);
        if (verbose)
          dump(r->log);
        passed++;
      } else if (WIFEXITED(status) &&
                 WEXITSTATUS(status) == BEAM_TEST_SKIP_CODE) {
        printf("skip %s\n", t->name);
        dump(r->log);
        skipped++;
      } else {
        if (WIFSIGNALED(status))
          printf("FAIL %s (signal %d: %s)\n", t->name, WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
        else
          printf("FAIL %s (exit %d)\n", t->name, WEXITSTATUS(status));
        dump(r->log);
        failed++;
      }
      fclose(r->log);
      r->pid = 0;
      active--;
    }
  }
  free(run);
  printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed ? 1 : 0;
}
