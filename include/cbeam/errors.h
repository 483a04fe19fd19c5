/* SPDX-License-Identifier: MIT */
/*
** cbeam/errors.h: the one list of error codes.
**
** Every public call that can fail returns a negative BEAM_E* code. The list
** below generates the enum, beam_strerror() and beam_err_name(), so the three
** cannot drift apart. Codes that have a POSIX twin mirror it (BEAM_EINVAL ==
** -EINVAL); cbeam's own codes live below -1000.
*/
#ifndef CBEAM_ERRORS_H
#define CBEAM_ERRORS_H

#include <errno.h>

/* XX(name, value, message) */
#define BEAM_ERRNO_MAP(XX)                                                     \
  XX(EINVAL, -EINVAL, "invalid argument")                                      \
  XX(ENOMEM, -ENOMEM, "out of memory")                                         \
  XX(ETIMEDOUT, -ETIMEDOUT, "timed out")                                       \
  XX(ERANGE, -ERANGE, "value out of range")                                    \
  XX(EAGAIN, -EAGAIN, "resource temporarily unavailable")                      \
  XX(ENOENT, -ENOENT, "no such entry")                                         \
  XX(EBUSY, -EBUSY, "runtime already running")                                 \
  XX(ENOTPROC, -1001, "operation must be called from inside a process")        \
  XX(ENOPROC, -1002, "no such process")                                        \
  XX(ESYSLIMIT, -1003, "system limit reached")                                 \
  XX(EBADTERM, -1004, "not a valid term")                                      \
  XX(EBADARG, -1005, "bad argument")                                           \
  XX(EPATTERN, -1006, "malformed pattern or format string")                    \
  XX(ENOTRUNNING, -1007, "runtime is not running")                             \
  XX(ETYPE, -1008, "term has the wrong type")                                 \
  XX(ECALLBACK, -1009, "not allowed inside a receive match callback")        \
  XX(EEXITED, -1010, "the process ended without a result")                     \
  XX(ENOTOWNER, -1011, "only the owner may do this")

typedef enum beam_errno {
#define BEAM__ERR_ENUM(name, value, msg) BEAM_##name = (value),
  BEAM_ERRNO_MAP(BEAM__ERR_ENUM)
#undef BEAM__ERR_ENUM
} beam_errno_t;

#endif
