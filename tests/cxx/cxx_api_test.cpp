// SPDX-License-Identifier: MIT
//
// cxx_api_test.cpp: the public header compiles as C++ and the library
// links into a C++ program. Built by 'make test' with
// g++ -std=c++11 -Wall -Wextra -Wpedantic -Werror against libcbeam.a and
// run as one check: it includes <cbeam.h> (nothing else from cbeam), so
// anything a header adds that C++ cannot take (C11-only keywords,
// _Generic macros without an #ifndef __cplusplus guard, implicit void *
// conversions in inline code) fails the build here first.
//
// The program itself is a small tour: boot, spawn, send, selective
// receive with a timeout, beam_fmt/beam_match, a monitor and a DOWN with
// the reason given to beam_exit (BEAM_NORETURN), a map, ETF round trip.
// It prints "cxx ok" and exits 0 when every step did what it should.
#include <cbeam.h>

#include <cstdio>
#include <cstring>

namespace {

int failures = 0;

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "FAIL: %s\n", what);
    ++failures;
  }
}

// receive do {:ping, from, n} -> send(from, {:pong, n + 1}) end, until stop
void echo(beam_term_t arg) {
  (void) arg;
  beam_term_t from, n;
  for (;;) {
    int k = beam_receive(5000, "{ping, From, N}", &from, &n, "stop",
                         static_cast<const char *>(nullptr));
    if (k != 0)
      return;
    int64_t v = 0;
    if (beam_get_int(n, &v) != 0)
      return;
    beam_send(from, beam_fmt("{pong, ~i}", static_cast<int64_t>(v + 1)));
  }
}

// Ends with a reason from below a few C++ frames: beam_exit never returns.
struct Quitter {
  [[noreturn]] static void quit(int depth) {
    if (depth == 0)
      beam_exit(beam_fmt("{shutdown, ~a}", "from_cxx"));
    quit(depth - 1);
  }
};

void quitter(beam_term_t arg) {
  (void) arg;
  Quitter::quit(3);
}

void main_proc(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  check(beam_spawn(echo, beam_nil(), &p) == 0, "spawn");
  check(beam_is_pid(p) != 0, "spawn gives a pid");

  // Messages out and back, with a clause index and a bound variable.
  beam_term_t n;
  check(beam_send(p, beam_fmt("{ping, ~t, ~i}", beam_self(),
                              static_cast<int64_t>(41))) == 0,
        "send");
  int k = beam_receive(2000, "{pang, N}", &n, "{pong, N}", &n,
                       static_cast<const char *>(nullptr));
  check(k == 1, "receive picks the pong clause");
  int64_t v = 0;
  check(k == 1 && beam_get_int(n, &v) == 0 && v == 42, "pong carries 42");

  // Nothing more is coming: the timeout path.
  beam_term_t any;
  check(beam_receive_any(10, &any) == BEAM_ETIMEDOUT, "timeout");

  // A monitor sees the reason beam_exit gave, from a process that
  // ended from below C++ frames.
  beam_pid_t q;
  beam_term_t ref;
  check(beam_spawn_monitor(quitter, beam_nil(), &q, &ref) == 0,
        "spawn_monitor");
  beam_term_t why;
  k = beam_receive(2000, "{'DOWN', ~t, process, ~t, Why}", ref, q, &why,
                   static_cast<const char *>(nullptr));
  check(k == 0, "DOWN arrives");
  check(k == 0 && beam_match(why, "{shutdown, from_cxx}") == 1,
        "DOWN carries the beam_exit reason");

  // Terms: a map, printing, the External Term Format both ways.
  beam_term_t m = beam_map_put(beam_map_new(), beam_atom("k"),
                               beam_string("v"));
  beam_term_t got;
  check(beam_map_get(m, beam_atom("k"), &got) == 1, "map_get");
  char buf[64];
  beam_print(buf, sizeof buf, m);
  check(std::strcmp(buf, "#{k => <<\"v\">>}") == 0, "print a map");
  beam_term_t back = beam_binary_to_term(beam_term_to_binary(m, nullptr),
                                         nullptr);
  check(beam_equal(back, m) != 0, "ETF round trip");

  check(beam_send(p, beam_atom("stop")) == 0, "send stop");
}

} // namespace

int main() {
  beam_config_t cfg;
  std::memset(&cfg, 0, sizeof cfg);
  cfg.schedulers = 2;
  int rc = beam_run(main_proc, beam_nil(), &cfg);
  check(rc == 0, "beam_run returns 0");
  check(std::strcmp(beam_err_name(BEAM_ENOMEM), "ENOMEM") == 0, "err_name");
  check(beam_version() == BEAM_VERSION_HEX, "version");
  if (failures != 0)
    return 1;
  std::puts("cxx ok");
  return 0;
}
