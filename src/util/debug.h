/* SPDX-License-Identifier: MIT */
/*
** debug.h: test switches. Not part of the public API: the tests include
** this header by path and link the static library, where the symbols are
** visible; the shared library does not export them (built with
** -fvisibility=hidden and no BEAM_API here).
*/
#ifndef BEAM_UTIL_DEBUG_H
#define BEAM_UTIL_DEBUG_H

/* [any] Every allocation the library makes fails once 'n' more have
** succeeded (the BEAM_ENOMEM paths); -1 disarms. Defined in alloc.c. */
void beam_debug_fail_alloc_after(long n);

#endif
