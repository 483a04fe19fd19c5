/* SPDX-License-Identifier: MIT */
/* supervision_tree.c: "let it crash". A worker crashes every few hundred
** ms; its supervisor starts it again each time, and clients calling it
** by name keep getting answers, with a short gap at each restart.
**
**   defmodule Flaky do
**     use GenServer
**     def start_link(name), do: GenServer.start_link(__MODULE__, name, name: name)
**     def init(name) do
**       Process.send_after(self(), :crash, Enum.random(200..400))
**       {:ok, {name, 0}}
**     end
**     def handle_call(:ping, _from, {name, n}), do: {:reply, {:pong, name, n}, {name, n + 1}}
**     def handle_info(:crash, _state), do: raise "boom"
**   end
**
**   defmodule Stats do
**     use Agent
**     def start_link(_), do: Agent.start_link(fn -> 0 end, name: __MODULE__)
**   end
**
**   workers = for n <- [:flaky_1, :flaky_2, :flaky_3],
**                 do: Supervisor.child_spec({Flaky, n}, id: n)
**   children = [
**     Stats,
**     %{id: :workers, type: :supervisor,
**       start: {Supervisor, :start_link, [workers, [strategy: :one_for_one,
**                                                    max_restarts: 100]]}}
**   ]
**   {:ok, sup} = Supervisor.start_link(children, strategy: :rest_for_one)
**
**   # a client: ping a random worker every 10 ms for 2 s, counting
**   # answers and the calls that hit a restart
**   try do
**     GenServer.call(name, :ping)
**   catch
**     :exit, {reason, _} -> reason  # :noproc between death and restart
**   end
**
** The tree: the root (rest_for_one) over an Agent keeping statistics and
** the workers' supervisor (one_for_one, 100 restarts in 5 s) over three
** workers. Each crash is one restart of one worker: the other two and the
** Agent never notice. At the end the root stops, children last to first,
** and no process is left.
*/
#include <cbeam.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static const char *names[] = {"flaky_1", "flaky_2", "flaky_3"};
enum { WORKERS = 3, RUN_MS = 2000, PAUSE_MS = 10 };

/* A random number below 'n', from any process (rand() is not that). */
static int random_below(int n) {
  static _Atomic uint64_t seed = 2026;
  uint64_t x = atomic_fetch_add(&seed, 0x9e3779b97f4a7c15ull);
  x = (x ^ (x >> 31)) * 0xbf58476d1ce4e5b9ull;
  return (int) ((x ^ (x >> 29)) % (uint64_t) n);
}

/* ---- The worker ---- */

static _Atomic int starts; /* of any worker: 3 at first, then one a restart */

static beam_term_t flaky_init(beam_term_t name) {
  atomic_fetch_add(&starts, 1);
  beam_send_after(200 + random_below(201), beam_self(), beam_atom("crash"),
                  NULL);
  return beam_fmt("{ok, {~t, 0}}", name);
}

static beam_term_t flaky_call(beam_term_t req, beam_term_t from,
                              beam_term_t s) {
  (void) req;
  (void) from;
  int64_t n = 0;
  beam_get_int(beam_tuple_get(s, 1), &n);
  beam_term_t name = beam_tuple_get(s, 0);
  return beam_fmt("{reply, {pong, ~t, ~i}, {~t, ~i}}", name, n, name, n + 1);
}

static beam_term_t flaky_info(beam_term_t msg, beam_term_t s) {
  (void) msg; /* crash */
  beam_exit(beam_atom("boom"));
  return s;
}

static const beam_gen_server_t flaky = {
    .init = flaky_init, .handle_call = flaky_call, .handle_info = flaky_info};

static beam_term_t start_flaky(beam_term_t name) {
  return beam_gen_server_start_link(
      &flaky, name,
      &(beam_gen_server_opts_t){.name = beam_atom_name(name)});
}

/* ---- The statistics Agent ---- */

static beam_term_t zero(beam_term_t arg) {
  (void) arg;
  return beam_fmt("{0, 0}"); /* {Answered, DuringRestart} */
}

static beam_term_t add(beam_term_t state, beam_term_t delta) {
  int64_t a = 0, b = 0, da = 0, db = 0;
  beam_get_int(beam_tuple_get(state, 0), &a);
  beam_get_int(beam_tuple_get(state, 1), &b);
  beam_get_int(beam_tuple_get(delta, 0), &da);
  beam_get_int(beam_tuple_get(delta, 1), &db);
  return beam_fmt("{~i, ~i}", a + da, b + db);
}

static beam_term_t get(beam_term_t state, beam_term_t arg) {
  (void) arg;
  return state;
}

static beam_term_t start_stats(beam_term_t arg) {
  return beam_agent_start_link(zero, arg,
                               &(beam_gen_server_opts_t){.name = "stats"});
}

/* ---- The workers' supervisor ---- */

static beam_term_t start_workers(beam_term_t arg) {
  (void) arg;
  beam_child_spec_t specs[WORKERS];
  for (int i = 0; i < WORKERS; i++)
    specs[i] = (beam_child_spec_t){.id = beam_atom(names[i]),
                                   .start = start_flaky,
                                   .arg = beam_atom(names[i])};
  beam_supervisor_opts_t o = {.max_restarts = 100, .name = "workers"};
  return beam_supervisor_start_link(specs, WORKERS, &o);
}

/* ---- A client ---- */

static void client(beam_term_t parent) {
  int64_t answered = 0, during_restart = 0, other = 0;
  int64_t end = beam_monotonic_ms() + RUN_MS;
  while (beam_monotonic_ms() < end) {
    beam_term_t name = beam_atom(names[random_below(WORKERS)]), reply;
    int rc = beam_gen_server_call_result(name, beam_atom("ping"), 1000,
                                         &reply);
    if (rc == 0)
      answered++;
    else if (rc == BEAM_ENOPROC || rc == BEAM_EEXITED)
      during_restart++; /* between its death and its restart */
    else
      other++;
    beam_sleep(PAUSE_MS);
  }
  beam_agent_cast(beam_atom("stats"), add,
                  beam_fmt("{~i, ~i}", answered, during_restart));
  beam_send(parent, beam_fmt("{done, ~i}", other));
}

static void main_proc(beam_term_t arg) {
  (void) arg;
  beam_trap_exit(1);
  size_t before = beam_process_count();
  beam_child_spec_t children[] = {
      {.id = beam_atom("stats"), .start = start_stats, .arg = beam_nil()},
      {.id = beam_atom("workers"),
       .start = start_workers,
       .arg = beam_nil(),
       .type = BEAM_SUPERVISOR},
  };
  beam_supervisor_opts_t o = {.strategy = BEAM_REST_FOR_ONE};
  beam_term_t r = beam_supervisor_start_link(children, 2, &o), root;
  if (beam_match(r, "{ok, P}", &root) != 1) {
    printf("start failed\n");
    exit(1);
  }
  char text[512];
  beam_print(text, sizeof text, beam_supervisor_which_children(root));
  printf("tree: %s\n", text);
  beam_term_t first[WORKERS];
  for (int i = 0; i < WORKERS; i++)
    first[i] = beam_whereis(beam_atom(names[i]));

  enum { CLIENTS = 4 };
  beam_pid_t pid;
  for (int c = 0; c < CLIENTS; c++)
    beam_spawn(client, beam_self(), &pid);
  int64_t other = 0;
  for (int c = 0; c < CLIENTS; c++) {
    beam_term_t n;
    beam_receive(BEAM_INFINITY, "{done, N}", &n, NULL);
    int64_t v = 0;
    beam_get_int(n, &v);
    other += v;
  }
  beam_term_t stats = beam_agent_get(beam_atom("stats"), get, beam_nil(), 5000);
  int64_t answered = 0, gaps = 0;
  beam_get_int(beam_tuple_get(stats, 0), &answered);
  beam_get_int(beam_tuple_get(stats, 1), &gaps);

  int restarted = 0;
  for (int i = 0; i < WORKERS; i++)
    restarted += !beam_equal(first[i], beam_whereis(beam_atom(names[i])));
  printf("%d clients for %d ms: %lld answers, %lld calls during a restart, "
         "%lld other errors\n",
         CLIENTS, RUN_MS, (long long) answered, (long long) gaps,
         (long long) other);
  printf("crashes, each followed by a restart: %d (every worker: %s)\n",
         atomic_load(&starts) - WORKERS, restarted == WORKERS ? "yes" : "no");
  beam_print(text, sizeof text,
             beam_supervisor_count_children(beam_atom("workers")));
  printf("workers' supervisor: %s\n", text);

  beam_supervisor_stop(root, beam_atom("normal"), BEAM_INFINITY);
  /* The tree is gone when stop returns; a client that sent its last
  ** message may still be on its way out. */
  for (int i = 0; i < 100 && beam_process_count() > before; i++)
    beam_sleep(10);
  printf("stopped: %zu processes left of the tree\n",
         beam_process_count() - before);
}

int main(void) {
  beam_set_crash_reporter(NULL, NULL); /* Elixir would log each crash */
  int rc = beam_run(main_proc, beam_nil(), NULL);
  return rc == 0 ? 0 : 1;
}
