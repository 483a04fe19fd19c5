/* SPDX-License-Identifier: MIT */
/*
** clock.c: the monotonic clock (vDSO, ~20 ns). Callers that need it often
** cache one reading per scheduler iteration.
*/
#include "../internal.h"

#include <time.h>

int64_t beam__now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t beam_monotonic_ms(void) {
  return beam__now_ns() / 1000000;
}
