/* SPDX-License-Identifier: MIT */
/* server_process.c: the generic server by hand, a KeyValueStore on top of
** it, and the same KeyValueStore as a GenServer, to show what GenServer
** generalises.
**
**   defmodule ServerProcess do
**     def start(callback_module) do
**       spawn(fn ->
**         initial_state = callback_module.init()
**         loop(callback_module, initial_state)
**       end)
**     end
**
**     def call(server_pid, request) do
**       send(server_pid, {:call, request, self()})
**       receive do
**         {:response, response} -> response
**       end
**     end
**
**     def cast(server_pid, request) do
**       send(server_pid, {:cast, request})
**     end
**
**     defp loop(callback_module, current_state) do
**       receive do
**         {:call, request, caller} ->
**           {response, new_state} =
**             callback_module.handle_call(request, current_state)
**           send(caller, {:response, response})
**           loop(callback_module, new_state)
**
**         {:cast, request} ->
**           new_state = callback_module.handle_cast(request, current_state)
**           loop(callback_module, new_state)
**       end
**     end
**   end
**
**   defmodule KeyValueStore do
**     def start, do: ServerProcess.start(KeyValueStore)
**     def put(pid, key, value), do: ServerProcess.cast(pid, {:put, key, value})
**     def get(pid, key), do: ServerProcess.call(pid, {:get, key})
**
**     def init, do: %{}
**     def handle_cast({:put, key, value}, state), do: Map.put(state, key, value)
**     def handle_call({:get, key}, state), do: {Map.get(state, key), state}
**   end
**
**   defmodule KeyValueStore.GenServer do
**     use GenServer
**     def start do
**       {:ok, pid} = GenServer.start(__MODULE__, nil)
**       pid
**     end
**     def put(pid, key, value), do: GenServer.cast(pid, {:put, key, value})
**     def get(pid, key), do: GenServer.call(pid, {:get, key})
**
**     @impl GenServer
**     def init(_), do: {:ok, %{}}
**     @impl GenServer
**     def handle_cast({:put, key, value}, state),
**       do: {:noreply, Map.put(state, key, value)}
**     @impl GenServer
**     def handle_call({:get, key}, _from, state),
**       do: {:reply, Map.get(state, key), state}
**   end
**
**   pid = KeyValueStore.start()
**   KeyValueStore.put(pid, :some_key, :some_value)
**   KeyValueStore.get(pid, :some_key)              #=> :some_value
**   KeyValueStore.get(pid, :other_key)             #=> nil
**   Enum.each(1..10_000, &KeyValueStore.put(pid, &1, &1 * 2))
**   KeyValueStore.get(pid, 5_000)                  #=> 10000
**   # The same session with gs = KeyValueStore.GenServer.start(): the
**   # same answers.
**
**   # A call to a server that is gone:
**   Process.exit(pid, :kill)
**   task = Task.async(fn -> KeyValueStore.get(pid, :some_key) end)
**   Task.yield(task, 200)                          #=> nil: it waits forever
**   Task.shutdown(task, :brutal_kill)
**   GenServer.stop(gs)
**   try do
**     KeyValueStore.GenServer.get(gs, :some_key)
**   catch
**     :exit, {reason, {GenServer, :call, _}} -> reason   #=> :noproc
**   end
**
** C has no modules: a callback module is a struct of function pointers,
** found by its name, an atom, as ServerProcess.start(KeyValueStore) names
** the module by an atom. The hand-written loop is a raw process that
** receives {call, Request, Caller} and {cast, Request}; it collects its
** heap with the state as root when due, as GenServer does for you.
**
** What GenServer adds to the hand-written loop, each of which the
** hand-written call lacks: the reply goes to a reference made for that
** call (an alias), so a stray {response, _} is never taken for it; a
** call has a timeout (5000 ms by default); the caller monitors the
** server, so a call to a dead server exits with noproc instead of
** waiting forever (shown at the end); start waits for init and reports
** its failure; and there are names, terminate, stop, handle_info,
** continue and hibernate.
*/
#include <cbeam.h>
#include <stdio.h>

/* ---- ServerProcess: the generic part, by hand ---- */

typedef struct callback_module {
  const char *name;
  beam_term_t (*init)(void);
  /* {Response, NewState} */
  beam_term_t (*handle_call)(beam_term_t request, beam_term_t state);
  /* NewState */
  beam_term_t (*handle_cast)(beam_term_t request, beam_term_t state);
} callback_module_t;

static const callback_module_t *find_module(beam_term_t name);

static void loop(beam_term_t module_name) {
  const callback_module_t *m = find_module(module_name);
  beam_term_t state = m->init();
  for (;;) {
    beam_term_t request, caller, response;
    switch (beam_receive(BEAM_INFINITY, "{call, Request, Caller}", &request,
                         &caller, "{cast, Request}", &request, NULL)) {
    case 0:
      beam_match(m->handle_call(request, state), "{Response, NewState}",
                 &response, &state);
      beam_send(caller, beam_fmt("{response, ~t}", response));
      break;
    case 1:
      state = m->handle_cast(request, state);
      break;
    }
    beam_gc_maybe(&state); /* what Elixir's loop/2 tail call leaves behind */
  }
}

static beam_pid_t server_process_start(const char *callback_module) {
  beam_pid_t pid = beam_nil();
  beam_spawn(loop, beam_atom(callback_module), &pid);
  return pid;
}

static beam_term_t server_process_call(beam_pid_t server, beam_term_t req) {
  beam_send(server, beam_fmt("{call, ~t, ~t}", req, beam_self()));
  beam_term_t response;
  beam_receive(BEAM_INFINITY, "{response, Response}", &response, NULL);
  return response;
}

static void server_process_cast(beam_pid_t server, beam_term_t req) {
  beam_send(server, beam_fmt("{cast, ~t}", req));
}

/* ---- KeyValueStore: the callback module ---- */

static beam_term_t kvs_init(void) {
  return beam_map_new();
}

static beam_term_t kvs_handle_cast(beam_term_t req, beam_term_t state) {
  beam_term_t key, value;
  if (beam_match(req, "{put, Key, Value}", &key, &value) == 1)
    return beam_map_put(state, key, value);
  return state;
}

static beam_term_t map_get(beam_term_t map, beam_term_t key) {
  beam_term_t value;
  return beam_map_get(map, key, &value) == 1 ? value : beam_atom("nil");
}

static beam_term_t kvs_handle_call(beam_term_t req, beam_term_t state) {
  beam_term_t key;
  if (beam_match(req, "{get, Key}", &key) == 1)
    return beam_fmt("{~t, ~t}", map_get(state, key), state);
  return beam_fmt("{{error, unknown_request}, ~t}", state);
}

static const callback_module_t modules[] = {
    {"key_value_store", kvs_init, kvs_handle_call, kvs_handle_cast},
};

static const callback_module_t *find_module(beam_term_t name) {
  for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++)
    if (beam_is(name, modules[i].name))
      return &modules[i];
  beam_exit(beam_fmt("{undef, ~t}", name)); /* no such module */
}

static beam_pid_t kvs_start(void) {
  return server_process_start("key_value_store");
}

static void kvs_put(beam_pid_t pid, beam_term_t key, beam_term_t value) {
  server_process_cast(pid, beam_fmt("{put, ~t, ~t}", key, value));
}

static beam_term_t kvs_get(beam_pid_t pid, beam_term_t key) {
  return server_process_call(pid, beam_fmt("{get, ~t}", key));
}

/* ---- KeyValueStore.GenServer: the same on GenServer ---- */

static beam_term_t gs_init(beam_term_t arg) {
  (void) arg;
  return beam_fmt("{ok, ~t}", beam_map_new());
}

static beam_term_t gs_handle_cast(beam_term_t req, beam_term_t state) {
  beam_term_t key, value;
  if (beam_match(req, "{put, Key, Value}", &key, &value) == 1)
    state = beam_map_put(state, key, value);
  return beam_fmt("{noreply, ~t}", state);
}

static beam_term_t gs_handle_call(beam_term_t req, beam_term_t from,
                                  beam_term_t state) {
  (void) from;
  beam_term_t key;
  if (beam_match(req, "{get, Key}", &key) == 1)
    return beam_fmt("{reply, ~t, ~t}", map_get(state, key), state);
  return beam_fmt("{reply, {error, unknown_request}, ~t}", state);
}

static const beam_gen_server_t key_value_store_gen_server = {
    .init = gs_init,
    .handle_call = gs_handle_call,
    .handle_cast = gs_handle_cast};

static beam_pid_t gs_start(void) {
  beam_term_t pid = beam_nil();
  beam_match(beam_gen_server_start(&key_value_store_gen_server, beam_nil(),
                                   NULL),
             "{ok, Pid}", &pid);
  return pid;
}

static void gs_put(beam_pid_t pid, beam_term_t key, beam_term_t value) {
  beam_gen_server_cast(pid, beam_fmt("{put, ~t, ~t}", key, value));
}

static beam_term_t gs_get(beam_pid_t pid, beam_term_t key) {
  return beam_gen_server_call(pid, beam_fmt("{get, ~t}", key), 5000);
}

/* ---- The same session on both ---- */

typedef struct store_api {
  const char *name;
  beam_pid_t (*start)(void);
  void (*put)(beam_pid_t, beam_term_t, beam_term_t);
  beam_term_t (*get)(beam_pid_t, beam_term_t);
} store_api_t;

static void show(const char *store, const char *what, beam_term_t v) {
  char text[64];
  beam_print(text, sizeof text, v);
  printf("%-24s %-16s -> %s\n", store, what, text);
}

static beam_pid_t session(const store_api_t *s) {
  beam_pid_t pid = s->start();
  s->put(pid, beam_atom("some_key"), beam_atom("some_value"));
  show(s->name, "get(some_key)", s->get(pid, beam_atom("some_key")));
  show(s->name, "get(other_key)", s->get(pid, beam_atom("other_key")));
  for (int64_t i = 1; i <= 10000; i++)
    s->put(pid, beam_int(i), beam_int(i * 2));
  show(s->name, "get(5000)", s->get(pid, beam_int(5000)));
  return pid;
}

static beam_term_t get_some_key(beam_term_t pid) {
  return kvs_get(pid, beam_atom("some_key"));
}

static void main_proc(beam_term_t arg) {
  (void) arg;
  static const store_api_t by_hand = {"KeyValueStore", kvs_start, kvs_put,
                                      kvs_get};
  static const store_api_t on_gen_server = {"KeyValueStore.GenServer",
                                            gs_start, gs_put, gs_get};
  beam_pid_t pid = session(&by_hand);
  beam_pid_t gs = session(&on_gen_server);

  /* A call to a server that is gone: the hand-written call waits forever
  ** (here inside a task, given up on after 200 ms)... */
  beam_exit_signal(pid, beam_atom("kill"));
  beam_task_t task;
  beam_task_async(get_some_key, pid, &task);
  show("KeyValueStore", "dead: yield 200", beam_task_yield(&task, 200));
  beam_task_shutdown(&task, BEAM_BRUTAL_KILL);
  /* ...GenServer.call monitors the server and exits with noproc. */
  beam_gen_server_stop(gs, beam_atom("normal"), 5000);
  beam_term_t reason;
  int rc = beam_gen_server_call_result(gs, beam_fmt("{get, some_key}"), 5000,
                                       &reason);
  show("KeyValueStore.GenServer", "dead: call",
       beam_atom(rc == BEAM_ENOPROC ? "noproc" : beam_err_name(rc)));
}

int main(void) {
  return beam_run(main_proc, beam_nil(), NULL) == 0 ? 0 : 1;
}
