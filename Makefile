# SPDX-License-Identifier: MIT
# cbeam: one plain GNU Makefile (one platform family needs no generator).
#
#   make                 build libcbeam.a and libcbeam.so into build/<variant>/
#   make test            build and run every test and example; ends with
#                        "N passed, N failed, N skipped"
#   make demo            build and run the examples
#   make bench           build the benchmark driver build/<variant>/cbeam-bench
#   make install PREFIX=/usr/local   (DESTDIR for staging; BINDIR, LIBDIR,
#                        INCLUDEDIR, PKGCONFIGDIR override the layout)
#   make uninstall PREFIX=...        removes exactly what install put there
#   make test SAN=address,undefined   (build/asan)   make test SAN=thread (build/tsan)
#   make check-exports   fail if the shared library exports a non-beam_ symbol
#   make format / check-format

CC       ?= cc
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
LIBDIR   ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
SAN      ?=
MODE     ?=
JOBS     ?= 2
ARCH     := $(shell uname -m)

ifeq ($(SAN),)
  VARIANT := plain
else ifeq ($(SAN),thread)
  VARIANT := tsan
else
  VARIANT := asan
endif
ifneq ($(MODE),)
  VARIANT := $(VARIANT)-$(MODE)
endif
B := build/$(VARIANT)

WARN    := -Wall -Wextra -Werror -Wshadow -Wundef -Wstrict-prototypes \
           -Wmissing-prototypes -Wpointer-arith -Wvla
OPT     := -O2 -g
CFLAGS_ := -std=c11 $(OPT) $(WARN) -fPIC -fvisibility=hidden \
           -fstack-clash-protection -fno-omit-frame-pointer -pthread \
           -Iinclude -D_GNU_SOURCE
LDLIBS_ := -pthread -lgmp -lm -lz

ifneq ($(SAN),)
  CFLAGS_ += -fsanitize=$(SAN) -fno-sanitize-recover=all
  LDFLAGS_ += -fsanitize=$(SAN)
endif
ifeq ($(MODE),stress)
  CFLAGS_ += -DBEAM_STRESS=1
endif
CFLAGS_ += $(CFLAGS)
LDFLAGS_ += $(LDFLAGS)

# C++ only builds the test that the public header compiles as C++11
# (tests/cxx/); the library itself is C.
CXX      ?= g++
CXXFLAGS_ := -std=c++11 $(OPT) -Wall -Wextra -Wpedantic -Werror \
             -fstack-clash-protection -fno-omit-frame-pointer -pthread -Iinclude
ifneq ($(SAN),)
  CXXFLAGS_ += -fsanitize=$(SAN) -fno-sanitize-recover=all
endif
CXXFLAGS_ += $(CXXFLAGS)

ifeq ($(ARCH),x86_64)
  CTX_ASM := src/proc/ctx_x86_64.S
else ifeq ($(ARCH),aarch64)
  CTX_ASM := src/proc/ctx_aarch64.S
else
  $(error unsupported architecture $(ARCH): cbeam has context switches for x86_64 and aarch64)
endif

LIB_SRC  := $(sort $(wildcard src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o) $(CTX_ASM:%.S=$(B)/obj/%.o)
TEST_SRC := $(sort $(wildcard tests/harness/*.c tests/unit/*.c tests/unit/*/*.c tests/api/*.c))
TEST_OBJ := $(TEST_SRC:%.c=$(B)/obj/%.o)
EX_SRC   := $(sort $(wildcard examples/*.c))
EX_BIN   := $(EX_SRC:examples/%.c=$(B)/examples/%)
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_OBJ := $(BENCH_SRC:%.c=$(B)/obj/%.o)
HEADERS  := $(shell find include src tests/harness bench -name '*.h')

SOVERSION := 0
LIB_A  := $(B)/libcbeam.a
LIB_SO := $(B)/libcbeam.so.$(SOVERSION)

.PHONY: all test demo bench stress install uninstall clean check-exports format check-format
all: $(LIB_A) $(LIB_SO)

$(B)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(CFLAGS_) -c $< -o $@

$(B)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "AS $<"
	@$(CC) $(CFLAGS_) -c $< -o $@

# The library's own code goes into one section, 'cbeam_text', so that the
# fault handler can tell a fault in the runtime (fatal) from one in a
# process's code (that process's crash): see src/proc/fault.c.
OBJCOPY ?= objcopy
TEXT_TO_CBEAM := $(foreach s,.text .text.unlikely .text.hot .text.startup .text.exit,\
  --rename-section $(s)=cbeam_text,alloc,load,readonly,code,contents)

$(B)/obj/src/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(CFLAGS_) -c $< -o $@
	@$(OBJCOPY) $(TEXT_TO_CBEAM) $@

$(B)/obj/src/%.o: src/%.S
	@mkdir -p $(dir $@)
	@echo "AS $<"
	@$(CC) $(CFLAGS_) -c $< -o $@
	@$(OBJCOPY) $(TEXT_TO_CBEAM) $@

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	@echo "AR $@"
	@ar rcs $@ $^

$(LIB_SO): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libcbeam.so.$(SOVERSION) $(LDFLAGS_) -o $@ $^ $(LDLIBS_)
	ln -sf libcbeam.so.$(SOVERSION) $(B)/libcbeam.so

$(B)/tests/unit: $(TEST_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_) -o $@ $(TEST_OBJ) $(LIB_A) $(LDLIBS_)

# Examples build as a user's program would: default visibility, and
# -rdynamic so that crash reports can name their functions.
EX_CFLAGS := $(filter-out -fvisibility=hidden,$(CFLAGS_))
$(B)/examples/%: examples/%.c $(LIB_A) $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(EX_CFLAGS) $(LDFLAGS_) -rdynamic -o $@ $< $(LIB_A) $(LDLIBS_)

$(B)/cbeam-bench: $(BENCH_OBJ) $(LIB_A)
	$(CC) $(LDFLAGS_) -o $@ $(BENCH_OBJ) $(LIB_A) $(LDLIBS_)

bench: $(B)/cbeam-bench

# A C++ translation unit that includes <cbeam.h>, linked against the
# static library: the header must stay valid C++11 (run by 'make test' in
# every variant; counted as skipped when there is no $(CXX)).
$(B)/tests/cxx_api_test: tests/cxx/cxx_api_test.cpp $(LIB_A) $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "CXX $<"
	@$(CXX) $(CXXFLAGS_) $(LDFLAGS_) -o $@ $< $(LIB_A) $(LDLIBS_)

CXX_FOUND := $(shell command -v $(firstword $(CXX)) 2>/dev/null)
CXX_TEST  := $(if $(CXX_FOUND),$(B)/tests/cxx_api_test)

# The summary line is the sum over the unit runner, the examples and the
# checks tests/run-all.sh adds. The benchmark driver is built too, so that
# it cannot rot between comparisons.
test: $(B)/tests/unit $(EX_BIN) $(B)/cbeam-bench $(CXX_TEST)
	@B=$(B) JOBS=$(JOBS) VARIANT=$(VARIANT) CXX_TEST=$(CXX_TEST) \
	  MAKE="$(MAKE)" sh tests/run-all.sh

demo: $(EX_BIN)
	@for e in $(EX_BIN); do echo "=== $$e"; $$e || exit 1; done

stress:
	$(MAKE) test MODE=stress

check-exports: $(LIB_SO)
	@bad=$$(nm -D --defined-only $(LIB_SO) | awk '{print $$3}' | grep -v '^beam_' | grep -v '^_' || true); \
	if [ -n "$$bad" ]; then echo "non-beam_ exports:"; echo "$$bad"; exit 1; fi; \
	echo "exports ok"

# Install: the headers, both libraries, cbeam-term and two pkg-config
# files. cbeam.pc links libcbeam.so with a run path to LIBDIR, so a program
# built against it starts from any prefix without ldconfig or
# LD_LIBRARY_PATH; cbeam-static.pc names libcbeam.a itself (a bare -lcbeam
# would pick the .so when both are there) and the libraries it needs. Both
# add -fstack-clash-protection to Cflags: a process's stack has a guard
# below it, and a frame larger than a page must probe it, not jump it.
# tests/install/run.sh checks all of it from a fresh prefix.
VERSION := $(shell sed -n 's/^\#define BEAM_VERSION_\(MAJOR\|MINOR\|PATCH\) //p' include/cbeam/version.h | paste -sd.)
PUB_HEADERS := $(sort $(wildcard include/cbeam/*.h))
INSTALLED = $(INCLUDEDIR)/cbeam.h $(PUB_HEADERS:include/%=$(INCLUDEDIR)/%) \
            $(LIBDIR)/libcbeam.a $(LIBDIR)/libcbeam.so.$(SOVERSION) \
            $(LIBDIR)/libcbeam.so $(BINDIR)/cbeam-term \
            $(PKGCONFIGDIR)/cbeam.pc $(PKGCONFIGDIR)/cbeam-static.pc
# In the .pc files, directories under PREFIX are written as ${prefix}/...
pcdir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
PC_SED = -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call pcdir,$(LIBDIR))|' \
         -e 's|@INCLUDEDIR@|$(call pcdir,$(INCLUDEDIR))|' -e 's|@VERSION@|$(VERSION)|'

install: $(LIB_A) $(LIB_SO) $(B)/cbeam-term
	install -d $(DESTDIR)$(INCLUDEDIR)/cbeam $(DESTDIR)$(LIBDIR) \
	  $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(BINDIR)
	install -m 644 include/cbeam.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(PUB_HEADERS) $(DESTDIR)$(INCLUDEDIR)/cbeam/
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libcbeam.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libcbeam.so
	install -m 755 $(B)/cbeam-term $(DESTDIR)$(BINDIR)/
	sed $(PC_SED) cbeam.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/cbeam.pc
	sed $(PC_SED) cbeam-static.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/cbeam-static.pc

# Directories are left in place (they may be shared), except cbeam's own
# include/cbeam, which goes when it is empty.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	@rmdir $(DESTDIR)$(INCLUDEDIR)/cbeam 2>/dev/null || \
	  { [ ! -d $(DESTDIR)$(INCLUDEDIR)/cbeam ] || \
	    echo "note: $(DESTDIR)$(INCLUDEDIR)/cbeam is not empty, left in place"; }

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

check-format:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

# make compare: every cbeam-bench workload against its Erlang/OTP twin
# (bench/erl/, needs erl and erlc: Debian erlang-base), medians and ratios;
# see bench/README.md. E.g. make compare COMPARE_ARGS="--runs 5 --schedulers 2"
.PHONY: compare
compare: $(B)/cbeam-bench
	CBEAM_BENCH=$(B)/cbeam-bench sh bench/compare.sh $(COMPARE_ARGS)

# ---- External Term Format (issue 3): cbeam-term, fuzz targets, erl diff ----
# cbeam-term (tools/) is built with the libraries. tests/fuzz/etf_fuzz is a
# libFuzzer target built with clang (FUZZ_CC) over the whole runtime, in
# build/fuzz: every input is decoded, printed, copied (as a message),
# compared and re-encoded inside a cbeam process with its default stack
# (tests/fuzz/etf_fuzz.c). 'make test' (plain) replays its corpus for a few
# seconds and 'make stress' fuzzes for FUZZ_SECONDS (600). tests/diff/
# checks bytes, order and equality against erl (plain 'make test'; skipped
# without erl).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_B       := build/fuzz
FUZZ_FLAGS   := -std=c11 -O1 -g -fsanitize=address,undefined \
                -fno-sanitize-recover=all -fno-omit-frame-pointer -pthread \
                -Iinclude -D_GNU_SOURCE
# Coverage guides the fuzzer through the term layer (what an input can
# steer: decode, print, compare, copy, encode) and the target itself; the
# rest of the runtime (scheduler, mailboxes, stacks, timers) is built with
# the same sanitizers but without coverage, so that timing (a watchdog
# look during a slow input, a park timeout) does not show up as new
# features.
FUZZ_COV     := -fsanitize=fuzzer-no-link
FUZZ_COV_OBJ := $(patsubst %.c,$(FUZZ_B)/obj/%.o,$(wildcard src/term/*.c src/util/*.c))
FUZZ_RT_OBJ  := $(patsubst %.c,$(FUZZ_B)/obj/%.o,$(filter-out $(wildcard src/term/*.c src/util/*.c),$(LIB_SRC))) \
                $(CTX_ASM:%.S=$(FUZZ_B)/obj/%.o)
FUZZ_OBJ     := $(FUZZ_COV_OBJ) $(FUZZ_RT_OBJ)
$(FUZZ_RT_OBJ): FUZZ_COV :=

all: $(B)/cbeam-term
test: $(B)/cbeam-term $(B)/tests/etf_diff

$(B)/cbeam-term: tools/cbeam-term.c $(LIB_A) $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(CFLAGS_) $(LDFLAGS_) -o $@ $< $(LIB_A) $(LDLIBS_)

$(B)/tests/etf_diff: tests/diff/etf_diff.c $(LIB_A) $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(CFLAGS_) $(LDFLAGS_) -o $@ $< $(LIB_A) $(LDLIBS_)

# The library's code goes into 'cbeam_text' here too (see the library
# objects above), so the fault handler knows runtime from user code as in
# a user's program. Coverage puts each function in a section of its own
# (.text.NAME), so every .text* section is renamed. The target runs with
# BEAM_RUN_FAULTS_ABORT: every fault and abort still ends the fuzzer, which
# then saves the input.
READELF ?= readelf
FUZZ_TO_CBEAM = $(OBJCOPY) $$($(READELF) -SW $@ | sed -n \
  's/^ *\[ *[0-9]*\] \(\.text[^ ]*\) .*/--rename-section \1=cbeam_text,alloc,load,readonly,code,contents/p' \
  | sort -u) $@
$(FUZZ_B)/obj/src/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "CC(fuzz) $<"
	@$(FUZZ_CC) $(FUZZ_FLAGS) $(FUZZ_COV) -c $< -o $@
	@$(FUZZ_TO_CBEAM)

$(FUZZ_B)/obj/src/%.o: src/%.S
	@mkdir -p $(dir $@)
	@echo "AS(fuzz) $<"
	@$(FUZZ_CC) $(FUZZ_FLAGS) -c $< -o $@
	@$(FUZZ_TO_CBEAM)

# The target has its own main(), which starts the runtime and runs
# libFuzzer inside a process (LLVMFuzzerRunDriver): so it links libFuzzer
# without its main (libclang_rt.fuzzer_no_main, in libclang-rt-14-dev;
# newer LLVMs name it without the architecture).
FUZZ_RTDIR   = $(shell $(FUZZ_CC) -print-runtime-dir 2>/dev/null)
FUZZ_DRIVER ?= $(firstword $(wildcard $(FUZZ_RTDIR)/libclang_rt.fuzzer_no_main-$(ARCH).a \
                 $(FUZZ_RTDIR)/libclang_rt.fuzzer_no_main.a) libclang_rt.fuzzer_no_main-$(ARCH).a)
$(FUZZ_B)/etf_fuzz: tests/fuzz/etf_fuzz.c $(FUZZ_OBJ) $(HEADERS)
	@echo "LD $@"
	@$(FUZZ_CC) $(FUZZ_FLAGS) $(FUZZ_COV) -o $@ $< $(FUZZ_OBJ) $(FUZZ_DRIVER) \
	  -lgmp -lm -lz -lstdc++

# tests/fuzz/syntax_fuzz is the pattern/format syntax target (formats,
# patterns, compiled vs interpreted matching, print -> fmt): the term layer
# only, on libFuzzer's own main.
$(FUZZ_B)/syntax_fuzz: tests/fuzz/syntax_fuzz.c $(FUZZ_COV_OBJ) $(HEADERS)
	@echo "LD $@"
	@$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_COV_OBJ) \
	  -lgmp -lm -lz

# The plain 'make test' builds the fuzz targets when clang can (a note, not
# a failure, otherwise: run-all.sh then counts the replays as skipped).
ifeq ($(VARIANT),plain)
test: fuzz-maybe
# tests/install/run.sh installs the shared library too: build it here, in
# parallel with the rest, rather than in its sub-make.
test: $(LIB_SO)
endif
.PHONY: fuzz fuzz-maybe
fuzz-maybe:
	@for t in etf_fuzz syntax_fuzz; do \
	  $(MAKE) --no-print-directory $(FUZZ_B)/$$t 2>/dev/null || \
	  { rm -f $(FUZZ_B)/$$t; echo "note: fuzz target $$t not built (needs clang, libclang-rt-14-dev)"; }; \
	done
# FUZZ_SECONDS each: 'make stress' gives both targets 10 minutes.
fuzz: $(FUZZ_B)/etf_fuzz $(FUZZ_B)/syntax_fuzz
	sh tests/fuzz/run.sh $(FUZZ_B)/etf_fuzz $(FUZZ_SECONDS)
	sh tests/fuzz/run.sh $(FUZZ_B)/syntax_fuzz $(FUZZ_SECONDS) tests/fuzz/syntax_corpus
stress: fuzz
