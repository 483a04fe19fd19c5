/* SPDX-License-Identifier: MIT */
/*
** mailbox.c: the outer MPSC queue and the inner list (see mailbox.h).
**
** Outer queue (Vyukov's intrusive MPSC, 1024cores.net): 'head' is the most
** recently pushed node, 'tail' the oldest not yet taken; a stub node keeps
** the list non-empty. A push exchanges 'head' and then links the previous
** head to the new node. Between those two steps the queue is momentarily
** cut: the consumer can see 'head' moved on while the link is still NULL.
** pop() then reports "nothing yet" and beam__mailbox_head_moved() reports
** "moved", so a receiver never goes to sleep on a cut queue; the sender,
** after finishing its push, checks whether the receiver is waiting and wakes
** it (proc.c describes that handshake).
**
** Memory orders:
**  - push: the exchange on 'head' is acq_rel: release publishes the new
**    node's contents (its term was written before), acquire orders us after
**    the previous pusher so we may write its 'next'. The store to prev->next
**    is release, pairing with the consumer's acquire load of 'next': the
**    consumer sees the whole message once it sees the link.
**  - head_moved() is a seq_cst load: it is the "check" half of a
**    store-then-check handshake whose other half is the sender's seq_cst
**    exchange + state load (Dekker style); weaker orders would let both
**    sides miss each other and the receiver sleep forever.
*/
#include "mailbox.h"

void beam__mailbox_init(beam__mailbox_t *mb) {
  atomic_store_explicit(&mb->stub.next, NULL, memory_order_relaxed);
  atomic_store_explicit(&mb->head, &mb->stub, memory_order_relaxed);
  mb->tail = &mb->stub;
  atomic_store_explicit(&mb->first, NULL, memory_order_relaxed);
  mb->lastp = &mb->first;
  mb->inner_len = 0;
}

void beam__mailbox_push(beam__mailbox_t *mb, beam__msg_t *m) {
  atomic_store_explicit(&m->next, NULL, memory_order_relaxed);
  beam__msg_t *prev =
      atomic_exchange_explicit(&mb->head, m, memory_order_seq_cst);
  atomic_store_explicit(&prev->next, m, memory_order_release);
}

static beam__msg_t *pop(beam__mailbox_t *mb) {
  beam__msg_t *tail = mb->tail;
  beam__msg_t *next = atomic_load_explicit(&tail->next, memory_order_acquire);
  if (tail == &mb->stub) {
    if (next == NULL)
      return NULL;
    mb->tail = next;
    tail = next;
    next = atomic_load_explicit(&next->next, memory_order_acquire);
  }
  if (next != NULL) {
    mb->tail = next;
    return tail;
  }
  beam__msg_t *head = atomic_load_explicit(&mb->head, memory_order_acquire);
  if (tail != head)
    return NULL; /* a push is half done: its link is not written yet */
  beam__mailbox_push(mb, &mb->stub);
  next = atomic_load_explicit(&tail->next, memory_order_acquire);
  if (next != NULL) {
    mb->tail = next;
    return tail;
  }
  return NULL;
}

size_t beam__mailbox_drain(beam__mailbox_t *mb, beam__signal_fn on_signal,
                           void *ctx) {
  size_t n = 0;
  beam__msg_t *m;
  while ((m = pop(mb)) != NULL) {
    atomic_store_explicit(&m->next, NULL, memory_order_relaxed);
    if (m->kind != 0 && on_signal && (m = on_signal(ctx, m)) == NULL)
      continue;
    atomic_store_explicit(mb->lastp, m, memory_order_relaxed);
    mb->lastp = &m->next;
    mb->inner_len++;
    n++;
  }
  return n;
}

bool beam__mailbox_tail_pending(beam__mailbox_t *mb) {
  return mb->tail != &mb->stub;
}

bool beam__mailbox_head_moved(beam__mailbox_t *mb) {
  return atomic_load_explicit(&mb->head, memory_order_seq_cst) != &mb->stub;
}

beam__msg_t *beam__mailbox_unlink(beam__mailbox_t *mb, beam__link_t *pos) {
  beam__msg_t *m = beam__link_get(pos);
  beam__msg_t *after = beam__link_get(&m->next);
  atomic_store_explicit(pos, after, memory_order_relaxed);
  if (mb->lastp == &m->next)
    mb->lastp = pos;
  mb->inner_len--;
  return m;
}

void beam__mailbox_fini(beam__mailbox_t *mb,
                        void (*on_dead)(void *ctx, beam__msg_t *m),
                        void *ctx) {
  beam__msg_t *m;
  while ((m = pop(mb)) != NULL) {
    if (m->kind != 0 && on_dead)
      on_dead(ctx, m);
    else
      beam__msg_free(m);
  }
  m = beam__link_get(&mb->first);
  while (m != NULL) {
    beam__msg_t *next = beam__link_get(&m->next);
    beam__msg_free(m);
    m = next;
  }
  atomic_store_explicit(&mb->first, NULL, memory_order_relaxed);
  mb->lastp = &mb->first;
  mb->inner_len = 0;
}
