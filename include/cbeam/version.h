/* SPDX-License-Identifier: MIT */
/*
** cbeam/version.h: while the major is 0 the API may change between minors
** (each change is listed in CHANGELOG.md). From 1.0 on, one major is API and
** ABI compatible, minors only add, and the SONAME is the major.
*/
#ifndef CBEAM_VERSION_H
#define CBEAM_VERSION_H

#define BEAM_VERSION_MAJOR 0
#define BEAM_VERSION_MINOR 1
#define BEAM_VERSION_PATCH 0
#define BEAM_VERSION_HEX                                                       \
  ((BEAM_VERSION_MAJOR << 16) | (BEAM_VERSION_MINOR << 8) | BEAM_VERSION_PATCH)

#endif
