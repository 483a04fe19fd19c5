/* SPDX-License-Identifier: MIT */
/*
** otp/kept.h: a reference kept off the heap across a user's callback.
**
** A callback may collect the process's heap (beam_gc), which frees every
** term it does not name: a task's function, a server's init. The layer's
** own boxed terms that must outlive such a call (the alias a result goes
** to) are kept as their External Term Format bytes in the C frame and
** rebuilt afterwards. Pids and atoms are immediates and need none of this.
*/
#ifndef BEAM_OTP_KEPT_H
#define BEAM_OTP_KEPT_H

#include <cbeam.h>

typedef struct beam__kept {
  unsigned char etf[64]; /* a local reference takes about 35 bytes */
  size_t len;
} beam__kept_t;

static inline int beam__keep(beam__kept_t *k, beam_term_t t) {
  return beam_etf_encode(t, NULL, k->etf, sizeof k->etf, &k->len);
}

/* The term again, on the current heap. */
static inline beam_term_t beam__kept(const beam__kept_t *k) {
  return beam_etf_decode(k->etf, k->len, NULL, NULL);
}

#endif
