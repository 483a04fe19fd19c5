/* SPDX-License-Identifier: MIT */
/*
** registry.c: register / unregister / whereis / registered (SEMANTICS R).
**
** One table, name atom -> pid, under one mutex: registering is rare next to
** sending, and a lookup is a hash probe, so a lock is simpler than a
** lock-free map and nowhere near the hot path (a send by pid never comes
** here). Each process also records its own name ('reg_name', written under
** the mutex) and whether it may still take one ('reg_dead'). A process that
** ends must not pay for the mutex when it has no name (most do not), so the
** end and a racing register meet Dekker-style on those two atomics: the
** ending process sets 'reg_dead' then reads 'reg_name'; register sets
** 'reg_name' then reads 'reg_dead' and undoes itself if set. Both seq_cst,
** so at least one sees the other and the name never outlives the process
** (R4, R8); the release happens before links and monitors hear of the end
** (signal.c).
*/
#include "ptab.h"
#include "../util/u64map.h"

#include <pthread.h>

static struct {
  pthread_mutex_t lock;
  beam__u64map_t names; /* atom raw -> pid raw */
} reg = {.lock = PTHREAD_MUTEX_INITIALIZER};

static bool valid_name(beam_term_t name) {
  return beam_is_atom(name) && name.raw != beam__am_undefined.raw;
}

int beam_register(beam_term_t name, beam_pid_t pid) {
  if (!beam__proc_current())
    return BEAM_ENOTPROC;
  if (!valid_name(name) || !beam__is_pid(pid))
    return BEAM_EBADARG; /* R5 */
  int rc = BEAM_EBADARG;
  pthread_mutex_lock(&reg.lock);
  beam__proc_t *p = beam__ptab_lookup(pid);
  if (p && !atomic_load(&p->reg_dead) && atomic_load(&p->reg_name) == 0 &&
      !beam__u64map_get(&reg.names, name.raw, NULL)) { /* R2-R4 */
    rc = beam__u64map_put(&reg.names, name.raw, pid.raw);
    if (rc == 0) {
      atomic_store(&p->reg_name, name.raw);
      if (atomic_load(&p->reg_dead)) { /* it began to end meanwhile */
        beam__u64map_del(&reg.names, name.raw, NULL);
        atomic_store(&p->reg_name, 0);
        rc = BEAM_EBADARG;
      }
    }
  }
  pthread_mutex_unlock(&reg.lock);
  return rc;
}

int beam_unregister(beam_term_t name) {
  if (!beam__proc_current())
    return BEAM_ENOTPROC;
  uint64_t pid;
  int rc = BEAM_EBADARG; /* R7 */
  pthread_mutex_lock(&reg.lock);
  if (beam_is_atom(name) && beam__u64map_del(&reg.names, name.raw, &pid)) {
    beam__proc_t *p = beam__ptab_lookup(beam__mk(pid));
    if (p)
      atomic_store(&p->reg_name, 0);
    rc = 0;
  }
  pthread_mutex_unlock(&reg.lock);
  return rc;
}

beam_term_t beam_whereis(beam_term_t name) {
  uint64_t pid;
  pthread_mutex_lock(&reg.lock);
  int found = beam_is_atom(name) && beam__u64map_get(&reg.names, name.raw, &pid);
  pthread_mutex_unlock(&reg.lock);
  return found ? beam__mk(pid) : beam__am_undefined; /* R6 */
}

beam_term_t beam_registered(void) {
  pthread_mutex_lock(&reg.lock);
  size_t n = reg.names.count, i = 0, at = 0;
  beam_term_t *v = n ? beam__malloc(n * sizeof *v) : NULL;
  uint64_t k;
  while (v && beam__u64map_next(&reg.names, &i, &k, NULL))
    v[at++] = beam__mk(k);
  pthread_mutex_unlock(&reg.lock);
  beam_term_t l = v || n == 0 ? beam_list_v(at, v)
                              : beam_error_term(BEAM_ENOMEM);
  beam__free(v);
  return l;
}

beam_term_t beam__registry_name_of(beam__proc_t *p) {
  return beam__mk(atomic_load(&p->reg_name));
}

void beam__registry_release(beam__proc_t *p) {
  atomic_store(&p->reg_dead, true);
  if (atomic_load(&p->reg_name) == 0)
    return; /* the common case: no lock */
  uint64_t holder, name;
  pthread_mutex_lock(&reg.lock);
  name = atomic_load(&p->reg_name);
  if (name && beam__u64map_get(&reg.names, name, &holder) &&
      holder == p->pid.raw)
    beam__u64map_del(&reg.names, name, NULL);
  atomic_store(&p->reg_name, 0);
  pthread_mutex_unlock(&reg.lock);
}

void beam__registry_reset(void) {
  pthread_mutex_lock(&reg.lock);
  beam__u64map_free(&reg.names);
  pthread_mutex_unlock(&reg.lock);
}
