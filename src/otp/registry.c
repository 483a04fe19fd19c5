/* SPDX-License-Identifier: MIT */
/*
** otp/registry.c: Elixir's Registry (keys: unique | duplicate), on the
** public API only (docs/otp.md "Registry").
**
** The table. Elixir keeps a registry in ETS tables that every caller reads
** directly, so lookup and dispatch are no message round trip. Here the
** same: one table per registry in C memory, all of them behind one
** reader-writer lock. An entry holds its key and value as External Term
** Format bytes (off every process heap) and the registrant's pid (an
** immediate, kept as its word). A lookup copies the matching entries out
** under the read lock, lets go, and only then decodes them onto the
** caller's heap: nothing that can yield or collect runs under the lock.
** Keys are equal when their ETF bytes are (=:=, as ETS's set and
** duplicate_bag compare keys; so 1 and 1.0 are different keys), and are
** found through beam_hash, which agrees with =:=.
**
** Layout of one registry: entries hang in hash buckets by key, in
** insertion order within a bucket (lookup and dispatch give entries of a
** key in the order they were registered, as Elixir does), and on their
** registrant's 'member' record, newest first (Registry.keys's order). A
** member is a process that holds at least one entry: it is linked to the
** registry process and has an exit hook for this registry, once. When its
** last entry goes (unregister, or a register that failed) it stops being
** one: the hook goes and, as Elixir 1.14's unlink_if_unregistered, the
** link too, unless the process was linked to the registry before it
** registered (it started it with start_link, say).
**
** Death. The member's exit hook runs in the dying process, whatever ends
** it (return, beam_exit, a fault, any exit signal, kill), before its links
** and monitors are told (failure.h): its entries are gone before anyone
** can see it dead, so a lookup after its DOWN never finds them (Elixir's
** unique lookup checks Process.alive? for the same effect). The registry
** process traps exits and removes a member on its EXIT as well: a second
** line, normally finding nothing.
**
** The registry process is a GenServer registered under the registry's
** name (Process.whereis(Name) gives it, as in Elixir); its own exit hook
** removes the table, whatever ends it. Exit hooks name their registry by
** a number that is never reused, not by address, so a hook that outlives
** its registry finds nothing and does nothing.
*/
#include "atoms.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define A beam__otp_atoms() /* atoms.h */

typedef struct member member_t;

typedef struct entry {
  struct entry *kprev, *knext; /* in its key bucket, oldest first */
  struct entry *pprev, *pnext; /* in its member's list, newest first */
  member_t *owner;
  uint64_t hash; /* beam_hash of the key */
  size_t klen, vlen;
  unsigned char bytes[]; /* the key's ETF, then the value's */
} entry_t;

struct member {
  member_t *next; /* in its pid bucket */
  uint64_t pid;   /* the process's word (a local pid is an immediate) */
  entry_t *first; /* its entries, newest first */
  bool linked_before; /* linked to the registry before it registered */
};

typedef struct bucket {
  entry_t *head, *tail;
} bucket_t;

typedef struct registry {
  struct registry *next;
  uint64_t name; /* the atom's word */
  uint64_t id;   /* never reused: what exit hooks hold */
  uint64_t pid;  /* the registry process */
  bool duplicate;
  bucket_t *keys;
  size_t nkeys, count; /* buckets (a power of two), entries */
  member_t **members;
  size_t nmembers, nmember; /* buckets (a power of two), members */
} registry_t;

/* 'lock' guards 'registries', every registry on it and every entry. */
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static registry_t *registries;
static uint64_t next_id = 1;

static beam_term_t word(uint64_t raw) {
  beam_term_t t = {raw};
  return t;
}

static size_t pid_slot(const registry_t *r, uint64_t pid) {
  return (size_t) ((pid * UINT64_C(0x9e3779b97f4a7c15)) >> 20) &
         (r->nmembers - 1);
}

/* ---- The table (callers hold 'lock') ---- */

/* The registry of this name whose process holds the name now: not one
** whose process has ended but whose hook has not run yet, nor one left by
** an earlier beam_run (which frees its processes without their hooks). */
static registry_t *by_name(uint64_t name) {
  for (registry_t *r = registries; r; r = r->next)
    if (r->name == name)
      return beam_whereis(word(name)).raw == r->pid ? r : NULL;
  return NULL;
}

/* Any registry of this name, live or not. */
static registry_t *any_by_name(uint64_t name) {
  for (registry_t *r = registries; r; r = r->next)
    if (r->name == name)
      return r;
  return NULL;
}

static registry_t *by_id(uint64_t id) {
  for (registry_t *r = registries; r; r = r->next)
    if (r->id == id)
      return r;
  return NULL;
}

static bool same_key(const entry_t *e, uint64_t hash, const void *key,
                     size_t klen) {
  return e->hash == hash && e->klen == klen && memcmp(e->bytes, key, klen) == 0;
}

static bucket_t *key_bucket(const registry_t *r, uint64_t hash) {
  return &r->keys[hash & (r->nkeys - 1)];
}

static entry_t *first_with_key(const registry_t *r, uint64_t hash,
                               const void *key, size_t klen) {
  for (entry_t *e = key_bucket(r, hash)->head; e; e = e->knext)
    if (same_key(e, hash, key, klen))
      return e;
  return NULL;
}

static member_t *find_member(const registry_t *r, uint64_t pid) {
  for (member_t *m = r->members[pid_slot(r, pid)]; m; m = m->next)
    if (m->pid == pid)
      return m;
  return NULL;
}

static void append(bucket_t *b, entry_t *e) {
  e->knext = NULL;
  e->kprev = b->tail;
  if (b->tail)
    b->tail->knext = e;
  else
    b->head = e;
  b->tail = e;
}

/* Double the key buckets, keeping each bucket's order (so that entries of
** one key stay oldest first). On no memory the table just stays small. */
static void grow_keys(registry_t *r) {
  size_t n = r->nkeys * 2;
  bucket_t *nb = calloc(n, sizeof *nb);
  if (nb == NULL)
    return;
  for (size_t i = 0; i < r->nkeys; i++) {
    entry_t *e = r->keys[i].head;
    while (e) {
      entry_t *next = e->knext;
      append(&nb[e->hash & (n - 1)], e);
      e = next;
    }
  }
  free(r->keys);
  r->keys = nb;
  r->nkeys = n;
}

static void grow_members(registry_t *r) {
  size_t n = r->nmembers * 2;
  member_t **nb = calloc(n, sizeof *nb);
  if (nb == NULL)
    return;
  size_t old = r->nmembers;
  r->nmembers = n;
  for (size_t i = 0; i < old; i++) {
    member_t *m = r->members[i];
    while (m) {
      member_t *next = m->next;
      size_t s = pid_slot(r, m->pid);
      m->next = nb[s];
      nb[s] = m;
      m = next;
    }
  }
  free(r->members);
  r->members = nb;
}

static void insert(registry_t *r, member_t *m, entry_t *e) {
  e->owner = m;
  append(key_bucket(r, e->hash), e);
  e->pprev = NULL;
  e->pnext = m->first;
  if (m->first)
    m->first->pprev = e;
  m->first = e;
  if (++r->count > 2 * r->nkeys)
    grow_keys(r);
}

static void remove_entry(registry_t *r, entry_t *e) {
  bucket_t *b = key_bucket(r, e->hash);
  if (e->kprev)
    e->kprev->knext = e->knext;
  else
    b->head = e->knext;
  if (e->knext)
    e->knext->kprev = e->kprev;
  else
    b->tail = e->kprev;
  if (e->pprev)
    e->pprev->pnext = e->pnext;
  else
    e->owner->first = e->pnext;
  if (e->pnext)
    e->pnext->pprev = e->pprev;
  r->count--;
  free(e);
}

/* A dead process: its entries and its member record. */
static void remove_member(registry_t *r, uint64_t pid) {
  member_t **at = &r->members[pid_slot(r, pid)];
  while (*at && (*at)->pid != pid)
    at = &(*at)->next;
  member_t *m = *at;
  if (m == NULL)
    return;
  while (m->first)
    remove_entry(r, m->first);
  *at = m->next;
  r->nmember--;
  free(m);
}

static void free_registry(registry_t *r) {
  for (size_t i = 0; i < r->nkeys; i++) {
    entry_t *e = r->keys[i].head;
    while (e) {
      entry_t *next = e->knext;
      free(e);
      e = next;
    }
  }
  for (size_t i = 0; i < r->nmembers; i++) {
    member_t *m = r->members[i];
    while (m) {
      member_t *next = m->next;
      free(m);
      m = next;
    }
  }
  free(r->keys);
  free(r->members);
  free(r);
}

/* Take 'r' off the list (under the write lock); the caller frees it. */
static void detach(registry_t *r) {
  registry_t **at = &registries;
  while (*at != r)
    at = &(*at)->next;
  *at = r->next;
}

/* ---- Arguments ---- */

/* A key encoded for a search: on the stack when small. */
typedef struct key_buf {
  unsigned char small[256];
  unsigned char *bytes;
  size_t len;
  uint64_t hash;
} key_buf_t;

static int encode_key(key_buf_t *k, beam_term_t key) {
  if (beam_is_error(key))
    return beam_term_error(key);
  k->bytes = k->small;
  int rc = beam_etf_encode(key, NULL, k->small, sizeof k->small, &k->len);
  if (rc == BEAM_ERANGE) {
    if ((k->bytes = malloc(k->len)) == NULL)
      return BEAM_ENOMEM;
    rc = beam_etf_encode(key, NULL, k->bytes, k->len, &k->len);
  }
  if (rc != 0) {
    if (k->bytes != k->small)
      free(k->bytes);
    k->bytes = k->small;
    return rc;
  }
  k->hash = beam_hash(key);
  return 0;
}

static void key_done(key_buf_t *k) {
  if (k->bytes != k->small)
    free(k->bytes);
}

/* A registry name must be an atom. */
static int check_name(beam_term_t reg) {
  if (beam_is_error(reg))
    return beam_term_error(reg);
  return beam_is_atom(reg) ? 0 : BEAM_EBADARG;
}

/* ---- Reading: copy out under the lock, decode after ---- */

typedef struct found {
  size_t n;
  struct item {
    uint64_t pid;
    size_t off, len;
  } *items;
  unsigned char *bytes; /* the values' ETF, one after another */
} found_t;

/* The entries of 'key' in 'reg', oldest first, copied off the table:
** 0, BEAM_ENOENT (no such registry), BEAM_ENOMEM. */
static int copy_out(beam_term_t reg, const key_buf_t *k, found_t *f) {
  f->n = 0;
  f->items = NULL;
  f->bytes = NULL;
  int rc = 0;
  pthread_rwlock_rdlock(&lock);
  registry_t *r = by_name(reg.raw);
  if (r == NULL) {
    rc = BEAM_ENOENT;
    goto out;
  }
  size_t n = 0, total = 0;
  for (entry_t *e = key_bucket(r, k->hash)->head; e; e = e->knext)
    if (same_key(e, k->hash, k->bytes, k->len)) {
      n++;
      total += e->vlen;
    }
  if (n == 0)
    goto out;
  f->items = malloc(n * sizeof *f->items);
  f->bytes = malloc(total);
  if (f->items == NULL || f->bytes == NULL) {
    free(f->items);
    free(f->bytes);
    f->items = NULL;
    f->bytes = NULL;
    rc = BEAM_ENOMEM;
    goto out;
  }
  size_t off = 0;
  for (entry_t *e = key_bucket(r, k->hash)->head; e; e = e->knext)
    if (same_key(e, k->hash, k->bytes, k->len)) {
      f->items[f->n] = (struct item){e->owner->pid, off, e->vlen};
      memcpy(f->bytes + off, e->bytes + e->klen, e->vlen);
      off += e->vlen;
      f->n++;
    }
out:
  pthread_rwlock_unlock(&lock);
  return rc;
}

/* [{Pid, Value}], oldest first, on the current heap; frees 'f'. */
static beam_term_t found_list(found_t *f) {
  beam_term_t list = beam_nil();
  for (size_t i = f->n; i-- > 0;) {
    beam_term_t v = beam_etf_decode(f->bytes + f->items[i].off,
                                    f->items[i].len, NULL, NULL);
    list = beam_cons(beam_tuple(2, word(f->items[i].pid), v), list);
  }
  free(f->items);
  free(f->bytes);
  return list;
}

static beam_term_t lookup(beam_term_t reg, beam_term_t key) {
  int rc = check_name(reg);
  key_buf_t k;
  if (rc == 0)
    rc = encode_key(&k, key);
  if (rc != 0)
    return beam_error_term(rc);
  found_t f;
  rc = copy_out(reg, &k, &f);
  key_done(&k);
  return rc != 0 ? beam_error_term(rc) : found_list(&f);
}

beam_term_t beam_registry_lookup(beam_term_t reg, beam_term_t key) {
  return lookup(reg, key);
}

int beam_registry_dispatch(beam_term_t reg, beam_term_t key,
                           beam_registry_dispatch_fn_t fn, void *ctx) {
  if (fn == NULL)
    return BEAM_EINVAL;
  beam_term_t entries = lookup(reg, key);
  if (beam_is_error(entries))
    return beam_term_error(entries);
  if (!beam_is_list(entries) || beam_list_length(entries) == 0)
    return 0; /* as Elixir: no entries, no call */
  fn(entries, ctx);
  return 0;
}

beam_term_t beam_registry_keys(beam_term_t reg, beam_pid_t pid) {
  int rc = check_name(reg);
  if (rc != 0)
    return beam_error_term(rc);
  if (!beam_is_pid(pid))
    return beam_error_term(BEAM_EBADARG);
  /* Copy the keys' bytes out, then decode (newest first). */
  size_t n = 0, total = 0;
  unsigned char *bytes = NULL;
  size_t *lens = NULL;
  pthread_rwlock_rdlock(&lock);
  registry_t *r = by_name(reg.raw);
  member_t *m = r ? find_member(r, pid.raw) : NULL;
  if (r == NULL)
    rc = BEAM_ENOENT;
  for (entry_t *e = m ? m->first : NULL; e; e = e->pnext) {
    n++;
    total += e->klen;
  }
  if (n > 0) {
    bytes = malloc(total);
    lens = malloc(n * sizeof *lens);
    if (bytes == NULL || lens == NULL) {
      rc = BEAM_ENOMEM;
    } else {
      size_t i = 0, off = 0;
      for (entry_t *e = m->first; e; e = e->pnext) {
        memcpy(bytes + off, e->bytes, e->klen);
        off += e->klen;
        lens[i++] = e->klen;
      }
    }
  }
  pthread_rwlock_unlock(&lock);
  beam_term_t list = beam_nil();
  if (rc == 0) {
    size_t off = total;
    for (size_t i = n; i-- > 0;) {
      off -= lens[i];
      list = beam_cons(beam_etf_decode(bytes + off, lens[i], NULL, NULL), list);
    }
  }
  free(bytes);
  free(lens);
  return rc != 0 ? beam_error_term(rc) : list;
}

int64_t beam_registry_count(beam_term_t reg) {
  int rc = check_name(reg);
  if (rc != 0)
    return rc;
  pthread_rwlock_rdlock(&lock);
  registry_t *r = by_name(reg.raw);
  int64_t n = r ? (int64_t) r->count : BEAM_ENOENT;
  pthread_rwlock_unlock(&lock);
  return n;
}

beam_term_t beam_registry_whereis_name(beam_term_t name) {
  size_t n = beam_tuple_size(name);
  if (n != 2 && n != 3)
    return beam_error_term(BEAM_EBADARG);
  beam_term_t reg = beam_tuple_get(name, 0);
  int rc = check_name(reg);
  key_buf_t k;
  if (rc == 0)
    rc = encode_key(&k, beam_tuple_get(name, 1));
  if (rc != 0)
    return beam_error_term(rc);
  beam_term_t pid = A->undefined;
  pthread_rwlock_rdlock(&lock);
  registry_t *r = by_name(reg.raw);
  if (r == NULL) {
    rc = BEAM_ENOENT;
  } else if (r->duplicate) {
    rc = BEAM_EBADARG; /* ":via is not supported for duplicate registries" */
  } else {
    entry_t *e = first_with_key(r, k.hash, k.bytes, k.len);
    if (e)
      pid = word(e->owner->pid);
  }
  pthread_rwlock_unlock(&lock);
  key_done(&k);
  return rc != 0 ? beam_error_term(rc) : pid;
}

/* ---- Registering ---- */

/* A member's exit hook: its entries go before anyone hears of its end. */
static void member_exit(void *ctx, beam_term_t reason) {
  (void) reason;
  uint64_t pid = beam_self().raw;
  pthread_rwlock_wrlock(&lock);
  registry_t *r = by_id((uint64_t) (uintptr_t) ctx);
  if (r)
    remove_member(r, pid);
  pthread_rwlock_unlock(&lock);
}

/* Look 'reg' up: its id and process, and whether 'pid' is a member. */
static int registry_of(beam_term_t reg, uint64_t pid, uint64_t *id,
                       uint64_t *server, bool *member) {
  pthread_rwlock_rdlock(&lock);
  registry_t *r = by_name(reg.raw);
  if (r) {
    *id = r->id;
    *server = r->pid;
    *member = find_member(r, pid) != NULL;
  }
  pthread_rwlock_unlock(&lock);
  return r ? 0 : BEAM_ENOENT;
}

/* Whether the caller is linked to 'server' already. */
static bool linked_to(uint64_t server) {
  beam_process_info_t info;
  if (beam_process_info(beam_self(), &info) != 0)
    return false;
  for (beam_term_t l = info.links; beam_is_list(l) &&
       !beam_equal(l, beam_nil()); l = beam_tl(l))
    if (beam_hd(l).raw == server)
      return true;
  return false;
}

/* The caller has no entry left in registry 'id' (its member record is
** gone): drop its hook and, unless it was linked before, its link. */
static void leave(uint64_t id, uint64_t server, bool linked_before) {
  beam_on_exit_remove(member_exit, (void *) (uintptr_t) id);
  if (!linked_before)
    beam_unlink(word(server));
}

/* The entry to insert: both terms encoded into one block. */
static int make_entry(beam_term_t key, beam_term_t value, entry_t **out) {
  size_t klen, vlen;
  if (beam_is_error(key))
    return beam_term_error(key);
  if (beam_is_error(value))
    return beam_term_error(value);
  int rc = beam_etf_encode(key, NULL, NULL, 0, &klen);
  if (rc != BEAM_ERANGE)
    return rc == 0 ? BEAM_EBADTERM : rc;
  rc = beam_etf_encode(value, NULL, NULL, 0, &vlen);
  if (rc != BEAM_ERANGE)
    return rc == 0 ? BEAM_EBADTERM : rc;
  entry_t *e = malloc(sizeof *e + klen + vlen);
  if (e == NULL)
    return BEAM_ENOMEM;
  if ((rc = beam_etf_encode(key, NULL, e->bytes, klen, &e->klen)) != 0 ||
      (rc = beam_etf_encode(value, NULL, e->bytes + klen, vlen, &e->vlen)) !=
          0) {
    free(e);
    return rc;
  }
  e->hash = beam_hash(key);
  *out = e;
  return 0;
}

beam_term_t beam_registry_register(beam_term_t reg, beam_term_t key,
                                   beam_term_t value) {
  beam_pid_t self = beam_self();
  if (beam_is_error(self))
    return self;
  int rc = check_name(reg);
  entry_t *e = NULL;
  if (rc == 0)
    rc = make_entry(key, value, &e);
  uint64_t id = 0, server = 0;
  bool member = false;
  if (rc == 0)
    rc = registry_of(reg, self.raw, &id, &server, &member);
  if (rc != 0) {
    free(e);
    return beam_error_term(rc);
  }
  /* A new member: hook and link first (the link may yield), so that from
  ** the insert on, its end always takes the entry with it. */
  void *ctx = (void *) (uintptr_t) id;
  bool linked_before = false;
  if (!member) {
    linked_before = linked_to(server);
    if ((rc = beam_on_exit(member_exit, ctx)) != 0) {
      free(e);
      return beam_error_term(rc);
    }
    if (beam_link(word(server)) != 0) { /* the registry is ending */
      beam_on_exit_remove(member_exit, ctx);
      free(e);
      return beam_error_term(BEAM_ENOENT);
    }
  }
  beam_term_t result;
  pthread_rwlock_wrlock(&lock);
  registry_t *r = by_id(id);
  member_t *m = r ? find_member(r, self.raw) : NULL;
  if (r && m == NULL && (m = calloc(1, sizeof *m)) != NULL) {
    m->pid = self.raw;
    m->linked_before = linked_before;
    size_t s = pid_slot(r, m->pid);
    m->next = r->members[s];
    r->members[s] = m;
    if (++r->nmember > 2 * r->nmembers)
      grow_members(r);
  }
  entry_t *held;
  bool left = false;
  if (r == NULL) {
    result = beam_error_term(BEAM_ENOENT); /* it ended meanwhile */
  } else if (m == NULL) {
    result = beam_error_term(BEAM_ENOMEM);
  } else if (!r->duplicate &&
             (held = first_with_key(r, e->hash, e->bytes, e->klen)) != NULL) {
    result = word(held->owner->pid); /* {error, ...} built below */
    if (m->first == NULL) { /* no entry: not a member after all */
      linked_before = m->linked_before;
      remove_member(r, self.raw);
      left = true;
    }
  } else {
    insert(r, m, e);
    e = NULL;
    result = A->ok;
  }
  pthread_rwlock_unlock(&lock);
  if (left)
    leave(id, server, linked_before);
  else if (!member && (r == NULL || m == NULL))
    beam_on_exit_remove(member_exit, ctx);
  free(e);
  if (beam_is_error(result))
    return result;
  if (beam_is_pid(result))
    return beam_tuple(2, A->error,
                      beam_tuple(2, beam_atom("already_registered"), result));
  return beam_tuple(2, A->ok, word(server));
}

int beam_registry_unregister(beam_term_t reg, beam_term_t key) {
  beam_pid_t self = beam_self();
  if (beam_is_error(self))
    return beam_term_error(self);
  int rc = check_name(reg);
  key_buf_t k;
  if (rc == 0)
    rc = encode_key(&k, key);
  if (rc != 0)
    return rc;
  pthread_rwlock_wrlock(&lock);
  registry_t *r = by_name(reg.raw);
  member_t *m = r ? find_member(r, self.raw) : NULL;
  if (r == NULL)
    rc = BEAM_ENOENT;
  /* Only the caller's own entries. */
  entry_t *e = m ? m->first : NULL;
  while (e) {
    entry_t *next = e->pnext;
    if (same_key(e, k.hash, k.bytes, k.len))
      remove_entry(r, e);
    e = next;
  }
  /* The last one: unlink, as Elixir 1.14's unlink_if_unregistered. */
  bool left = m && m->first == NULL, linked_before = m && m->linked_before;
  uint64_t id = r ? r->id : 0, server = r ? r->pid : 0;
  if (left)
    remove_member(r, self.raw);
  pthread_rwlock_unlock(&lock);
  key_done(&k);
  if (left)
    leave(id, server, linked_before);
  return rc;
}

/* ---- The registry process ---- */

/* Whatever ends the registry process, its table goes with it. */
static void registry_exit(void *ctx, beam_term_t reason) {
  (void) reason;
  pthread_rwlock_wrlock(&lock);
  registry_t *r = by_id((uint64_t) (uintptr_t) ctx);
  if (r)
    detach(r);
  pthread_rwlock_unlock(&lock);
  if (r)
    free_registry(r);
}

/* init({Name, Duplicate}): the name is already ours (GenServer's). */
static beam_term_t reg_init(beam_term_t arg) {
  registry_t *r = calloc(1, sizeof *r);
  if (r)
    r->keys = calloc(16, sizeof *r->keys);
  if (r)
    r->members = calloc(16, sizeof *r->members);
  if (r == NULL || r->keys == NULL || r->members == NULL) {
    if (r) {
      free(r->keys);
      free(r->members);
      free(r);
    }
    return beam_tuple(2, A->stop, beam_atom("system_limit"));
  }
  r->nkeys = r->nmembers = 16;
  r->name = beam_tuple_get(arg, 0).raw;
  r->duplicate = beam__otp_is(beam_tuple_get(arg, 1), beam_atom("duplicate"));
  r->pid = beam_self().raw;
  pthread_rwlock_wrlock(&lock);
  r->id = next_id++;
  /* A registry of this name whose process has ended but whose hook has
  ** not run yet (the name is free once the process is gone), or one left
  ** by an earlier beam_run. */
  registry_t *stale = any_by_name(r->name);
  if (stale)
    detach(stale);
  r->next = registries;
  registries = r;
  pthread_rwlock_unlock(&lock);
  if (stale)
    free_registry(stale);
  if (beam_on_exit(registry_exit, (void *) (uintptr_t) r->id) != 0) {
    registry_exit((void *) (uintptr_t) r->id, A->normal);
    return beam_tuple(2, A->stop, beam_atom("system_limit"));
  }
  beam_trap_exit(1);
  return beam_tuple(2, A->ok, beam_uint(r->id));
}

/* A member's EXIT (its hook normally removed it already). */
static beam_term_t reg_info(beam_term_t msg, beam_term_t state) {
  uint64_t id = 0;
  beam_get_uint(state, &id);
  if (beam_is_tuple(msg) && beam_tuple_size(msg) == 3 &&
      beam__otp_is(beam_tuple_get(msg, 0), A->EXIT)) {
    pthread_rwlock_wrlock(&lock);
    registry_t *r = by_id(id);
    if (r)
      remove_member(r, beam_tuple_get(msg, 1).raw);
    pthread_rwlock_unlock(&lock);
  }
  return beam_tuple(2, A->noreply, state);
}

static const beam_gen_server_t registry_server = {.init = reg_init,
                                                  .handle_info = reg_info};

beam_term_t beam_registry_start_link(beam_term_t name,
                                     beam_registry_keys_t keys) {
  if (beam_is_error(beam_self()))
    return beam_self();
  int rc = check_name(name);
  if (rc != 0)
    return beam_error_term(rc);
  if ((keys != BEAM_REGISTRY_UNIQUE && keys != BEAM_REGISTRY_DUPLICATE) ||
      beam__otp_is(name, A->undefined))
    return beam_error_term(BEAM_EINVAL);
  beam_gen_server_opts_t o = {.name = beam_atom_name(name)};
  return beam_gen_server_start_link(
      &registry_server,
      beam_tuple(2, name,
                 beam_atom(keys == BEAM_REGISTRY_DUPLICATE ? "duplicate"
                                                           : "unique")),
      &o);
}
