/* SPDX-License-Identifier: MIT */
/*
** otp/fnterm.h: a C function's (or a static table's) address as a term,
** and back. The OTP layer passes callbacks to the processes it spawns (a
** task's function, a server's table, an Agent's functions) inside their
** argument or a message; every process runs the same program, so the
** address is valid in all of them. Functions go through one function
** type, tables through const void *.
*/
#ifndef BEAM_OTP_FNTERM_H
#define BEAM_OTP_FNTERM_H

#include <cbeam.h>

typedef void (*beam__otp_fn_t)(void);

static inline beam_term_t beam__otp_fn_term(beam__otp_fn_t fn) {
  return beam_uint((uint64_t) (uintptr_t) fn);
}

static inline beam__otp_fn_t beam__otp_term_fn(beam_term_t t) {
  uint64_t v = 0;
  beam_get_uint(t, &v);
  return (beam__otp_fn_t) (uintptr_t) v;
}

static inline beam_term_t beam__otp_ptr_term(const void *p) {
  return beam_uint((uint64_t) (uintptr_t) p);
}

static inline const void *beam__otp_term_ptr(beam_term_t t) {
  uint64_t v = 0;
  beam_get_uint(t, &v);
  return (const void *) (uintptr_t) v;
}

#endif
