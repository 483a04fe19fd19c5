/* SPDX-License-Identifier: MIT */
/* memory_teardown_test.c: beam_memory() is [any]: another thread may call
** it at any moment, while beam_run starts the schedulers and while it
** frees them. It used to read the scheduler structs after teardown had
** begun freeing them (a use after free that ASan reports); now teardown
** waits for readers to leave first. */
#include "../harness/check.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

static _Atomic bool stop_reading;
static _Atomic long reads;

static void *reader(void *arg) {
  (void) arg;
  while (!atomic_load(&stop_reading)) {
    beam_memory_t m;
    if (beam_memory(&m) == 0)
      atomic_fetch_add(&reads, 1);
  }
  return NULL;
}

static void child(beam_term_t arg) {
  (void) arg;
  beam_yield();
}

static void spawn_a_few(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  for (int i = 0; i < 50; i++)
    ASSERT_OK(beam_spawn(child, beam_nil(), &p));
  reached = 1;
}

BEAM_TEST_T(memory_from_another_thread_while_runs_start_and_stop, 120) {
  pthread_t t[2];
  atomic_store(&stop_reading, false);
  for (int i = 0; i < 2; i++)
    ASSERT_EQ(pthread_create(&t[i], NULL, reader, NULL), 0);
  int runs = (int) (40 * beam_test_scale());
  for (int r = 0; r < (runs < 10 ? 10 : runs); r++)
    RUN_TO_END(spawn_a_few, 2);
  atomic_store(&stop_reading, true);
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  ASSERT_GT(atomic_load(&reads), 0);
}
