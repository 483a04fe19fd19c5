/* SPDX-License-Identifier: MIT */
/*
** otp/atoms.h: the atoms the OTP layer matches on every message, looked
** up once. beam_is(t, "name") finds the atom by its name each time (a
** hash of the string and a table probe); a GenServer call matches half a
** dozen tags, so the layer compares against these instead. Atoms are never
** freed, so the values hold across runs.
*/
#ifndef BEAM_OTP_ATOMS_H
#define BEAM_OTP_ATOMS_H

#include <cbeam.h>

#define BEAM__OTP_ATOMS(X)                                                     \
  X(gen_call, "$gen_call") X(gen_cast, "$gen_cast") X(gen_stop, "$gen_stop")  \
  X(EXIT, "EXIT") X(DOWN, "DOWN") X(ok, "ok") X(error, "error")               \
  X(reply, "reply") X(noreply, "noreply") X(stop, "stop")                     \
  X(continue_, "continue") X(hibernate, "hibernate")                          \
  X(infinity, "infinity") X(ignore, "ignore") X(noproc, "noproc")             \
  X(timeout, "timeout") X(exit, "exit") X(nil, "nil") X(normal, "normal")    \
  X(kill, "kill") X(shutdown, "shutdown") X(killed, "killed")                 \
  X(nonode, "nonode@nohost") X(nodedown, "nodedown")                          \
  X(undefined, "undefined") X(via, "via") X(Registry, "Elixir.Registry")

typedef struct beam__otp_atoms {
#define BEAM__OTP_ATOM_FIELD(name, text) beam_term_t name;
  BEAM__OTP_ATOMS(BEAM__OTP_ATOM_FIELD)
#undef BEAM__OTP_ATOM_FIELD
} beam__otp_atoms_t;

/* The atoms, looked up on first use (any thread). */
const beam__otp_atoms_t *beam__otp_atoms(void);

/* 't' is the atom 'a' (atoms are immediates: one compare). */
static inline int beam__otp_is(beam_term_t t, beam_term_t a) {
  return t.raw == a.raw;
}

#endif
