/* SPDX-License-Identifier: MIT */
/*
** cbeam.h: the BEAM's process model for C. The only header users include.
**
**   version.h  BEAM_VERSION_*, checked against beam_version()
**   errors.h   BEAM_E* codes, beam_strerror(), beam_err_name()
**   term.h     terms: build, match, compare, print; process memory
**   process.h  boot, spawn, send, receive, timers, dirty calls
**   failure.h  links, monitors, exit signals, registry, exit hooks,
**              crash reports, process_info
**   etf.h      the External Term Format (term_to_binary, binary_to_term)
**
** All public names start with 'beam_' or 'BEAM_'. Every function carries a
** contract tag in the comment just above its declaration:
**   [any]    callable from any thread, inside a process or not
**   [proc]   inside a process only; elsewhere it returns BEAM_ENOTPROC (an
**            error term, for a call that returns a term; beam_exit aborts)
**   [yields] may suspend the calling process, which may then resume on
**            another OS thread, and acts on pending exit signals
**   [allocs] may allocate what outlives the call: terms built on, or
**            messages moved onto, the current heap (they stay until
**            beam_arena_release() or the process ends), or memory handed
**            over or kept (a malloc block, an atom, a registry or link
**            entry, a message sent); temporary buffers do not count
**   [nofail] always succeeds ([proc, nofail]: once inside a process)
*/
#ifndef CBEAM_H
#define CBEAM_H

#define BEAM_API __attribute__((visibility("default")))

/* The C library headers the parts use, included here outside the C++
** linkage block (a C++ library may declare overloads in them). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "cbeam/version.h"
#include "cbeam/errors.h"
#include "cbeam/term.h"
#include "cbeam/process.h"
#include "cbeam/failure.h"
#include "cbeam/etf.h"
#include "cbeam/otp.h"

/* [any, nofail] A static description of an error code ("unknown error" for
** codes that are not BEAM_E*). */
BEAM_API const char *beam_strerror(int err);
/* [any, nofail] The code's name without the prefix, e.g. "ENOMEM". */
BEAM_API const char *beam_err_name(int err);
/* [any, nofail] BEAM_VERSION_HEX of the library actually linked. */
BEAM_API unsigned beam_version(void);

#ifdef __cplusplus
}
#endif

#endif
