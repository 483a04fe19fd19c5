/* SPDX-License-Identifier: MIT */
/*
** errors.c: names and messages for BEAM_E* codes, generated from the one
** list in cbeam/errors.h; and the runtime's panic (our own invariants
** broken: print where and abort, never continue on corrupted state).
*/
#include "../internal.h"

#include <stdarg.h>
#include <unistd.h>

const char *beam_strerror(int err) {
  switch (err) {
#define XX(name, value, msg)                                                   \
  case BEAM_##name:                                                            \
    return msg;
    BEAM_ERRNO_MAP(XX)
#undef XX
  case 0:
    return "success";
  default:
    return "unknown error";
  }
}

const char *beam_err_name(int err) {
  switch (err) {
#define XX(name, value, msg)                                                   \
  case BEAM_##name:                                                            \
    return #name;
    BEAM_ERRNO_MAP(XX)
#undef XX
  case 0:
    return "OK";
  default:
    return "UNKNOWN";
  }
}

unsigned beam_version(void) {
  return BEAM_VERSION_HEX;
}

void beam__write_stderr(const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(2, s, n);
    if (w <= 0)
      return; /* nothing left to report to */
    s += w;
    n -= (size_t) w;
  }
}

void beam__panic(const char *file, int line, const char *fmt, ...) {
  char buf[512];
  int n = snprintf(buf, sizeof buf, "cbeam: panic at %s:%d: ", file, line);
  va_list ap;
  va_start(ap, fmt);
  if (n > 0 && (size_t) n < sizeof buf)
    n += vsnprintf(buf + n, sizeof buf - (size_t) n, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t) n >= sizeof buf - 1)
    n = (int) sizeof buf - 2;
  buf[n++] = '\n';
  beam__write_stderr(buf, (size_t) n);
  abort();
}
