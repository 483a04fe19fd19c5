/* SPDX-License-Identifier: MIT */
/*
** registry.c: register / unregister / whereis / registered (SEMANTICS R).
**
** One table, name atom -> pid, under one mutex: registering is rare next to
** sending, and a lookup is a hash probe, so a lock is simpler than a
** lock-free map and nowhere near the hot path (a send by pid never comes
** here). Each process also records its own name ('reg_name') and whether
** it may still take one ('reg_dead'), both under the same mutex, so "pid
** already named" (R3) and "pid dead" (R4) are checked atomically with the
** insert, and a process that is ending releases its name (R8) before its
** links and monitors hear of the end (signal.c).
*/
#include "../sched/sched.h"
#include "../util/u64map.h"

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
  if (p && !p->reg_dead && p->reg_name.raw == 0 && /* R3, R4 */
      !beam__u64map_get(&reg.names, name.raw, NULL)) { /* R2 */
    rc = beam__u64map_put(&reg.names, name.raw, pid.raw);
    if (rc == 0)
      p->reg_name = name;
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
      p->reg_name = beam__mk(0);
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
  pthread_mutex_lock(&reg.lock);
  beam_term_t n = p->reg_name;
  pthread_mutex_unlock(&reg.lock);
  return n;
}

void beam__registry_release(beam__proc_t *p) {
  uint64_t holder;
  pthread_mutex_lock(&reg.lock);
  if (p->reg_name.raw &&
      beam__u64map_get(&reg.names, p->reg_name.raw, &holder) &&
      holder == p->pid.raw)
    beam__u64map_del(&reg.names, p->reg_name.raw, NULL);
  p->reg_name = beam__mk(0);
  p->reg_dead = true;
  pthread_mutex_unlock(&reg.lock);
}

void beam__registry_reset(void) {
  pthread_mutex_lock(&reg.lock);
  beam__u64map_free(&reg.names);
  pthread_mutex_unlock(&reg.lock);
}
