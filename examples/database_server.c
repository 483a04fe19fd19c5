/* SPDX-License-Identifier: MIT */
/* database_server.c: the classic DatabaseServer, a process that runs slow
** queries for its callers, first alone, then as a pool whose queries run
** at once.
**
**   defmodule DatabaseServer do
**     use GenServer
**
**     def start_link(id), do: GenServer.start_link(__MODULE__, id)
**
**     def run_async(server, query_def) do
**       GenServer.cast(server, {:run_query, self(), query_def})
**     end
**
**     def get_result do
**       receive do
**         {:query_result, result} -> result
**       after
**         5000 -> {:error, :timeout}
**       end
**     end
**
**     @impl true
**     def init(id), do: {:ok, id}
**
**     @impl true
**     def handle_cast({:run_query, caller, query_def}, id) do
**       send(caller, {:query_result, run_query(id, query_def)})
**       {:noreply, id}
**     end
**
**     defp run_query(id, query_def) do
**       Process.sleep(300)
**       "#{query_def} result from server #{id}"
**     end
**   end
**
**   # One server: the queries wait for each other (5 x 300 ms).
**   {:ok, server} = DatabaseServer.start_link(1)
**   Enum.each(1..5, &DatabaseServer.run_async(server, "query #{&1}"))
**   Enum.map(1..5, fn _ -> DatabaseServer.get_result() end)
**
**   # A pool of five: each query goes to its own server, all five run at
**   # once and the whole takes about one query (300 ms), not the sum.
**   pool = Enum.map(1..5, fn id ->
**     {:ok, pid} = DatabaseServer.start_link(id); pid end)
**   Enum.each(1..5, fn i ->
**     DatabaseServer.run_async(Enum.at(pool, i - 1), "query #{i}") end)
**   Enum.map(1..5, fn _ -> DatabaseServer.get_result() end)
**
** A server handles one message at a time, so one server runs its queries
** one after another; concurrency comes from having several. run_async is
** a cast that names the caller; the result comes back as a plain message
** that get_result receives, in whichever order the queries finish (the
** pool's lines may come in any order). The program checks the timings
** itself and prints only whether they were within bounds. (The book picks
** a server at random, Enum.at(pool, :rand.uniform(n) - 1); here query i
** goes to server i, so that no two queries share one.)
*/
#include <cbeam.h>
#include <stdio.h>

enum { QUERIES = 5, QUERY_MS = 300 };

static beam_term_t db_init(beam_term_t id) {
  return beam_fmt("{ok, ~t}", id);
}

static beam_term_t run_query(beam_term_t id, beam_term_t query_def) {
  char text[96];
  int64_t n = 0;
  beam_get_int(id, &n);
  size_t len = 0;
  const char *q = beam_binary_data(query_def, &len);
  beam_sleep(QUERY_MS); /* the database */
  snprintf(text, sizeof text, "%.*s result from server %lld", (int) len,
           q ? q : "", (long long) n);
  return beam_string(text);
}

static beam_term_t db_cast(beam_term_t req, beam_term_t id) {
  beam_term_t caller, query_def;
  if (beam_match(req, "{run_query, Caller, Q}", &caller, &query_def) == 1)
    beam_send(caller,
              beam_fmt("{query_result, ~t}", run_query(id, query_def)));
  return beam_fmt("{noreply, ~t}", id);
}

static const beam_gen_server_t database_server = {.init = db_init,
                                                  .handle_cast = db_cast};

static beam_pid_t start_link(int64_t id) {
  beam_term_t pid = beam_nil();
  beam_match(beam_gen_server_start_link(&database_server, beam_int(id), NULL),
             "{ok, Pid}", &pid);
  return pid;
}

static void run_async(beam_pid_t server, int64_t i) {
  char q[32];
  snprintf(q, sizeof q, "query %lld", (long long) i);
  beam_gen_server_cast(server, beam_fmt("{run_query, ~t, ~s}", beam_self(), q));
}

static beam_term_t get_result(void) {
  beam_term_t result;
  if (beam_receive(5000, "{query_result, R}", &result, NULL) == 0)
    return result;
  return beam_fmt("{error, timeout}");
}

/* The results as they come, then how long they took against 'lo'..'hi'. */
static void collect(const char *what, int64_t t0, int64_t lo, int64_t hi) {
  for (int i = 0; i < QUERIES; i++) {
    char line[96];
    beam_print(line, sizeof line, get_result());
    printf("  %s\n", line);
  }
  int64_t took = beam_monotonic_ms() - t0;
  if (took >= lo && took < hi)
    printf("%s: within bounds\n", what);
  else
    printf("%s: took %lld ms, outside %lld..%lld\n", what, (long long) took,
           (long long) lo, (long long) hi);
}

static void main_proc(beam_term_t arg) {
  (void) arg;
  puts("one server, five queries:");
  beam_pid_t server = start_link(1);
  int64_t t0 = beam_monotonic_ms();
  for (int64_t i = 1; i <= QUERIES; i++)
    run_async(server, i);
  collect("one server: the queries ran one after another (about 5 x 300 ms)",
          t0, QUERIES * QUERY_MS, 4 * QUERIES * QUERY_MS);

  puts("a pool of five servers, five queries:");
  beam_pid_t pool[QUERIES];
  for (int i = 0; i < QUERIES; i++)
    pool[i] = start_link(i + 1);
  t0 = beam_monotonic_ms();
  for (int64_t i = 1; i <= QUERIES; i++)
    run_async(pool[i - 1], i);
  /* Sleeps, not CPU: even a loaded sanitizer build stays well under the
  ** sum (5 x 300 ms). */
  collect("pool: the queries ran at once (about one query, not the sum)", t0,
          QUERY_MS, QUERIES * QUERY_MS);

  beam_gen_server_stop(server, beam_atom("normal"), 5000);
  for (int i = 0; i < QUERIES; i++)
    beam_gen_server_stop(pool[i], beam_atom("normal"), 5000);
}

int main(void) {
  return beam_run(main_proc, beam_nil(), NULL) == 0 ? 0 : 1;
}
