#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh: the front door, as a new user meets it. 'make install' into a
# fresh prefix; then the README's first program and examples/hello.c are
# built with the README's own build commands (the lines of README.md that
# start with "cc hello.c ", run as written: one shared, one static) with
# PKG_CONFIG_PATH pointing at the prefix, and run; the installed
# cbeam-term round-trips a term; 'make uninstall' leaves no file behind;
# a DESTDIR install stages the same files and .pc files naming the final
# prefix.
#   sh tests/install/run.sh BUILD_DIR     (MAKE: the make to call)
# Prints one "ok"/"FAIL"/"skip" line per check and a final
# "install: N passed, N failed, N skipped" line for tests/run-all.sh.
set -u
B=${1:-build/plain}
MAKE=${MAKE:-make}
checks=8
p=0; f=0
if ! command -v pkg-config > /dev/null 2>&1 || ! command -v cc > /dev/null 2>&1; then
  echo "skip install/* (needs cc and pkg-config: install Debian's gcc and pkgconf)"
  echo "install: 0 passed, 0 failed, $checks skipped"
  exit 0
fi
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
prefix=$dir/prefix
log=$dir/log
ok() { p=$((p + 1)); echo "ok   install/$1"; }
bad() {
  f=$((f + 1)); echo "FAIL install/$1"
  [ -s "$log" ] && sed 's/^/  | /' "$log" | tail -n 30
}
# The files an install must put under a prefix, relative to it.
expected() {
  echo include/cbeam.h
  for h in include/cbeam/*.h; do echo "$h"; done
  printf '%s\n' lib/libcbeam.a lib/libcbeam.so lib/libcbeam.so.0 \
    lib/pkgconfig/cbeam.pc lib/pkgconfig/cbeam-static.pc bin/cbeam-term
}
expected | sort > "$dir/expected"
# Files and links under a directory, relative to it.
listing() { (cd "$1" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort); }

# 1. make install into a fresh prefix puts exactly the expected files.
if $MAKE --no-print-directory install PREFIX="$prefix" > "$log" 2>&1 &&
   listing "$prefix" > "$dir/got" && diff "$dir/expected" "$dir/got" >> "$log"; then
  ok make_install
else
  bad make_install
fi

# The README's build commands, as written.
grep '^cc hello\.c ' README.md > "$dir/commands"
shared_cmd=$(grep -v 'cbeam-static' "$dir/commands" | head -n 1)
static_cmd=$(grep 'cbeam-static' "$dir/commands" | head -n 1)
# The README's first program: the first ```c block after "## A first program".
mkdir -p "$dir/readme" "$dir/example"
awk '/^## A first program/ { s = 1 } s == 1 && /^```c$/ { s = 2; next }
     s == 2 && /^```$/ { exit } s == 2 { print }' README.md > "$dir/readme/hello.c"
cp examples/hello.c "$dir/example/hello.c"

# build NAME WORKDIR COMMAND KIND PATTERN...: run COMMAND in WORKDIR with the
# prefix's pkg-config files, check how ./hello links (KIND: shared or
# static), run it and grep its output for each PATTERN.
build() {
  name=$1; wd=$2; cmd=$3; kind=$4; shift 4
  : > "$log"
  if [ -z "$cmd" ]; then echo "README.md has no such 'cc hello.c' line" > "$log"; bad "$name"; return; fi
  rm -f "$wd/hello"
  echo "\$ $cmd" >> "$log"
  if ! (cd "$wd" && PKG_CONFIG_PATH="$prefix/lib/pkgconfig" sh -c "$cmd") >> "$log" 2>&1; then
    bad "$name"; return
  fi
  dyn=$(readelf -d "$wd/hello" 2>/dev/null)
  case "$kind" in
    shared)
      echo "$dyn" | grep -q 'NEEDED.*\[libcbeam\.so\.0\]' &&
        echo "$dyn" | grep -Eq "(RUNPATH|RPATH).*\[$prefix/lib\]" ||
        { echo "not linked to $prefix/lib/libcbeam.so.0 through a run path:"; echo "$dyn"; } >> "$log" ;;
    static)
      echo "$dyn" | grep -q 'libcbeam' &&
        { echo "linked to libcbeam.so, not libcbeam.a:"; echo "$dyn"; } >> "$log" ;;
  esac
  # No LD_LIBRARY_PATH: the program must find what it needs on its own.
  (cd "$wd" && env -u LD_LIBRARY_PATH timeout 30 ./hello) > "$dir/out" 2>&1
  rc=$?
  cat "$dir/out" >> "$log"
  [ $rc -eq 0 ] || echo "exit status $rc" >> "$log"
  for pat in "$@"; do
    grep -Eq -- "$pat" "$dir/out" || echo "missing: $pat" >> "$log"
  done
  if [ $rc -eq 0 ] && ! grep -Eq '^(missing|not linked|linked to)' "$log"; then ok "$name"; else bad "$name"; fi
}
build readme_first_program_shared "$dir/readme" "$shared_cmd" shared '^42 came back$'
build readme_first_program_static "$dir/readme" "$static_cmd" static '^42 came back$'
# examples/hello.expect: one pattern per line.
set --
while IFS= read -r pat; do [ -n "$pat" ] && set -- "$@" "$pat"; done < examples/hello.expect
build example_hello_shared "$dir/example" "$shared_cmd" shared "$@"
build example_hello_static "$dir/example" "$static_cmd" static "$@"

# 6. The installed cbeam-term round-trips a term through the ETF.
: > "$log"
t='{ok, [1,2|3], <<"hi">>, #{a => -1.5}}'
if back=$(echo "$t." | "$prefix/bin/cbeam-term" encode 2>> "$log" |
          "$prefix/bin/cbeam-term" decode 2>> "$log") &&
   [ "$back" = '{ok,[1,2|3],<<"hi">>,#{a => -1.5}}' ]; then
  ok installed_cbeam_term
else
  echo "decoded: ${back:-}" >> "$log"; bad installed_cbeam_term
fi

# 7. make uninstall removes every file install put there.
if $MAKE --no-print-directory uninstall PREFIX="$prefix" > "$log" 2>&1 &&
   listing "$prefix" > "$dir/left" && [ ! -s "$dir/left" ] && [ ! -e "$prefix/include/cbeam" ]; then
  ok make_uninstall
else
  { echo "left behind:"; cat "$dir/left"; } >> "$log" 2>/dev/null; bad make_uninstall
fi

# 8. DESTDIR stages the same files; the .pc files name the final prefix;
# uninstall with the same DESTDIR empties the stage.
stage=$dir/stage
final=/opt/cbeam-test
if $MAKE --no-print-directory install DESTDIR="$stage" PREFIX="$final" > "$log" 2>&1 &&
   listing "$stage$final" > "$dir/got" && diff "$dir/expected" "$dir/got" >> "$log" &&
   grep -qx "prefix=$final" "$stage$final/lib/pkgconfig/cbeam.pc" &&
   grep -qx "prefix=$final" "$stage$final/lib/pkgconfig/cbeam-static.pc" &&
   $MAKE --no-print-directory uninstall DESTDIR="$stage" PREFIX="$final" >> "$log" 2>&1 &&
   listing "$stage" > "$dir/left" && [ ! -s "$dir/left" ]; then
  ok destdir_install_and_uninstall
else
  bad destdir_install_and_uninstall
fi

echo "install: $p passed, $f failed, $((checks - p - f)) skipped"
[ "$f" -eq 0 ]
