/* SPDX-License-Identifier: MIT */
/*
** mailbox/mailbox.h: a process's message queue.
**
** Two parts (DESIGN-NOTES §4, after the BEAM's outer/inner queues):
**  - the *outer* queue, where any thread appends: Vyukov's intrusive MPSC
**    queue. A push is one atomic exchange and one release store, wait-free
**    and lock-free for senders; per sender, pushes keep their order, which
**    is Erlang's per-pair FIFO guarantee.
**  - the *inner* queue, private to the receiver: a singly linked list the
**    receiver drains the outer queue into. Selective receive walks it with a
**    pointer to a link field, so a matched message is unlinked in O(1) and
**    the walk can stop and resume exactly where it was.
** The inner list reuses each message's 'next' field (relaxed accesses: only
** the owner touches a drained message).
*/
#ifndef BEAM_MAILBOX_MAILBOX_H
#define BEAM_MAILBOX_MAILBOX_H

#include "../term/heap.h"

typedef _Atomic(beam__msg_t *) beam__link_t;

/* No padding of its own, and 'head' last: the descriptor starts a line
** with it, apart from the owner's part (proc.h). */
typedef struct beam__mailbox {
  /* Owner only. */
  beam__msg_t *tail;
  beam__msg_t stub;
  beam__link_t first;  /* inner queue, oldest first */
  beam__link_t *lastp; /* link field of the inner queue's last message */
  int64_t inner_len;
  /* Written by every sender. */
  _Atomic(beam__msg_t *) head;
} beam__mailbox_t;

void beam__mailbox_init(beam__mailbox_t *mb);
/* Free every queued message, outer and inner; signal blocks still in the
** outer queue go to 'on_dead' (may be NULL), which frees them. Owner only,
** and only once no sender can still push (after the grace period). */
void beam__mailbox_fini(beam__mailbox_t *mb,
                        void (*on_dead)(void *ctx, beam__msg_t *m),
                        void *ctx);
/* [any] Append; the caller then checks whether the receiver must wake. */
void beam__mailbox_push(beam__mailbox_t *mb, beam__msg_t *m);
/* A signal block (kind != 0) met while draining: returns the message it
** became (itself or a replacement) for the inner queue, or NULL if it
** consumed the block.
** It may also never return (the process ends); the queue is consistent
** whenever it is called. */
typedef beam__msg_t *(*beam__signal_fn)(void *ctx, beam__msg_t *m);
/* [owner] Move every message the outer queue holds to the inner queue,
** handing signals to 'on_signal' (NULL: treat them as messages). Returns
** how many messages moved. */
size_t beam__mailbox_drain(beam__mailbox_t *mb, beam__signal_fn on_signal,
                           void *ctx);
/* [owner] A message taken off the outer queue's list but not yet returned
** by a drain (a push was half done during the last drain). */
bool beam__mailbox_tail_pending(beam__mailbox_t *mb);
/* [any] True if a sender has pushed (or is pushing) since the last full
** drain. Sequentially consistent: pairs with the sender's exchange, see
** proc.c. Reads only the atomic 'head', so a scheduler may call it after
** the owner could have been resumed elsewhere. */
bool beam__mailbox_head_moved(beam__mailbox_t *mb);
/* [owner] Unlink the inner message whose link field is '*pos'. */
beam__msg_t *beam__mailbox_unlink(beam__mailbox_t *mb, beam__link_t *pos);

static inline beam__msg_t *beam__link_get(beam__link_t *l) {
  return atomic_load_explicit(l, memory_order_relaxed);
}

#endif
