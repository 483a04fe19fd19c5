/* SPDX-License-Identifier: MIT */
/*
** dirty.c: dirty schedulers, two pools of plain threads for work that
** must not run on a scheduler: long computations (beam_dirty_cpu, as many
** threads as schedulers) and calls that block (beam_dirty_io, 10 threads by
** default: file I/O, getaddrinfo, a blocking library).
**
** The calling process switches out with BEAM__Y_DIRTY. Its scheduler, on
** its own stack and once the process's stack is no longer in use, puts the
** job on the pool's queue and goes on running other processes. A pool
** thread runs fn(arg) on its own (large, native) stack, not on the
** process's: the function may be any C code, but must not call the
** runtime's process functions (there is no current process there). When
** it returns, the thread stores the result in the job, marks the process
** runnable and puts it on the global run queue, waking a scheduler.
**
** While the call runs, the process's state is DIRTY: messages and signals
** queue up but wake nobody; the process acts on them when the call
** returns, at the checkpoint that ends beam_dirty_* (so a kill sent during
** a dirty call takes effect right after it, as on the BEAM). The job lives
** on the process's stack, which is safe: the process does not run until
** the pool thread has finished with it.
**
** Shutdown: beam_run stops the pools after the schedulers; a pool thread
** finishes the call it is in (a dirty call is not interruptible) and the
** queued jobs are dropped (their processes are reaped with the rest).
*/
#include "dirty.h"
#include "runq.h"

typedef struct beam__dirty_job {
  void *(*fn)(void *);
  void *arg;
  void *result;
  beam__proc_t *proc;
  struct beam__dirty_job *next;
} beam__dirty_job_t;

typedef struct pool {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  beam__dirty_job_t *head, *tail;
  pthread_t *threads;
  unsigned nthreads;
  bool stopping;
} pool_t;

static pool_t pools[2]; /* BEAM__DIRTY_CPU, BEAM__DIRTY_IO */

static void *pool_main(void *arg) {
  pool_t *pl = arg;
  pthread_mutex_lock(&pl->lock);
  for (;;) {
    while (!pl->head && !pl->stopping)
      pthread_cond_wait(&pl->cond, &pl->lock);
    if (pl->stopping)
      break;
    beam__dirty_job_t *j = pl->head;
    pl->head = j->next;
    if (!pl->head)
      pl->tail = NULL;
    pthread_mutex_unlock(&pl->lock);
    j->result = j->fn(j->arg);
    beam__proc_t *p = j->proc; /* 'j' is gone once p runs again */
    atomic_store_explicit(&p->state, BEAM__P_RUNNABLE, memory_order_release);
    beam__sched_ready(NULL, p, false);
    pthread_mutex_lock(&pl->lock);
  }
  pthread_mutex_unlock(&pl->lock);
  return NULL;
}

static void pool_stop(pool_t *pl) {
  pthread_mutex_lock(&pl->lock);
  pl->stopping = true;
  pthread_cond_broadcast(&pl->cond);
  pthread_mutex_unlock(&pl->lock);
  for (unsigned i = 0; i < pl->nthreads; i++)
    pthread_join(pl->threads[i], NULL);
  beam__free(pl->threads);
  pthread_cond_destroy(&pl->cond);
  pthread_mutex_destroy(&pl->lock);
  memset(pl, 0, sizeof *pl);
}

static int pool_start(pool_t *pl, unsigned n) {
  memset(pl, 0, sizeof *pl);
  pthread_mutex_init(&pl->lock, NULL);
  pthread_cond_init(&pl->cond, NULL);
  pl->threads = beam__calloc(n, sizeof *pl->threads);
  if (!pl->threads)
    return BEAM_ENOMEM;
  for (; pl->nthreads < n; pl->nthreads++)
    if (pthread_create(&pl->threads[pl->nthreads], NULL, pool_main, pl) != 0)
      break;
  return pl->nthreads > 0 ? 0 : BEAM_ENOMEM;
}

int beam__dirty_start(unsigned cpu_threads, unsigned io_threads) {
  int rc = pool_start(&pools[BEAM__DIRTY_CPU], cpu_threads);
  if (rc == 0)
    rc = pool_start(&pools[BEAM__DIRTY_IO], io_threads);
  if (rc != 0)
    beam__dirty_stop();
  return rc;
}

void beam__dirty_stop(void) {
  for (int i = 0; i < 2; i++)
    if (pools[i].threads)
      pool_stop(&pools[i]);
}

/* [sched] The process 'p' has switched out for a dirty call: queue it. */
void beam__dirty_submit(beam__proc_t *p) {
  beam__dirty_job_t *j = p->dirty_job;
  pool_t *pl = &pools[p->dirty_kind];
  j->proc = p;
  j->next = NULL;
  pthread_mutex_lock(&pl->lock);
  if (pl->tail)
    pl->tail->next = j;
  else
    pl->head = j;
  pl->tail = j;
  pthread_cond_signal(&pl->cond);
  pthread_mutex_unlock(&pl->lock);
}

static int dirty_call(unsigned kind, void *(*fn)(void *), void *arg,
                      void **result) {
  beam__proc_t *p = beam__proc_current();
  if (!p)
    return BEAM_ENOTPROC;
  if (!fn)
    return BEAM_EINVAL;
  beam__signals_check(p); /* a pending kill: no need to start the call */
  beam__dirty_job_t job = {.fn = fn, .arg = arg};
  p->dirty_job = &job;
  p->dirty_kind = (uint8_t) kind;
  beam__proc_switch_out(p, BEAM__Y_DIRTY);
  p->dirty_job = NULL;
  if (result)
    *result = job.result;
  beam__proc_checkpoint(p, 0); /* signals that came meanwhile */
  return 0;
}

int beam_dirty_cpu(void *(*fn)(void *), void *arg, void **result) {
  return dirty_call(BEAM__DIRTY_CPU, fn, arg, result);
}

int beam_dirty_io(void *(*fn)(void *), void *arg, void **result) {
  return dirty_call(BEAM__DIRTY_IO, fn, arg, result);
}
