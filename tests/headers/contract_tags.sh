#!/bin/sh
# SPDX-License-Identifier: MIT
# contract_tags.sh: every public function carries its contract tag.
#   sh tests/headers/contract_tags.sh [HEADER...]   (default: include/)
# A declaration (a line starting BEAM_API or BEAM_NORETURN) needs a tag
# such as [any], [proc, yields] or [any, allocs] in the comment just above
# it; adjacent declarations (a group such as beam_is_int ... beam_is_map)
# share that comment. cbeam.h says what the tags mean. Prints the
# declarations without one and fails, or prints how many were checked.
set -u
[ $# -gt 0 ] || set -- include/cbeam.h include/cbeam/*.h
awk '
  FNR == 1 { comment = ""; incomment = 0 }
  incomment { comment = comment " " $0; if ($0 ~ /\*\//) incomment = 0; next }
  /^[ \t]*\/\*/ {
    # A comment opening a new block replaces the one before, unless it
    # trails code (then it belongs to that line).
    comment = $0; incomment = ($0 !~ /\*\//); next
  }
  /^(BEAM_API|BEAM_NORETURN)/ {
    n++
    if (comment !~ /\[(any|proc)(, *(yields|allocs|nofail))*\]/) {
      bad++; printf "%s:%d: no contract tag: %s\n", FILENAME, FNR, $0
    }
    next
  }
  /^[ \t]+[^ \t]/ || /^typedef / { next }   # continuation lines, callback types
  { comment = "" }                         # anything else ends the block
  END {
    if (bad) { printf "%d of %d public functions have no contract tag\n", bad, n; exit 1 }
    printf "%d public functions, each with its contract tag\n", n
  }
' "$@"
