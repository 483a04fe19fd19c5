/* SPDX-License-Identifier: MIT */
/* otp/atoms.c: the OTP layer's atoms, looked up once (atoms.h). */
#include "atoms.h"

#include <pthread.h>

static beam__otp_atoms_t atoms;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void look_up(void) {
#define BEAM__OTP_ATOM_SET(name, text) atoms.name = beam_atom(text);
  BEAM__OTP_ATOMS(BEAM__OTP_ATOM_SET)
#undef BEAM__OTP_ATOM_SET
}

const beam__otp_atoms_t *beam__otp_atoms(void) {
  pthread_once(&once, look_up);
  return &atoms;
}
