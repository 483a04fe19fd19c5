/* SPDX-License-Identifier: MIT */
/* kv_server.c: the KV store as a GenServer, and a counter as an Agent.
**
**   defmodule KV do
**     use GenServer
**     def start_link(_), do: GenServer.start_link(__MODULE__, %{}, name: KV)
**     def init(map), do: {:ok, map}
**     def handle_call({:get, k}, _from, map), do: {:reply, Map.get(map, k), map}
**     def handle_cast({:put, k, v}, map), do: {:noreply, Map.put(map, k, v)}
**   end
**
**   {:ok, _} = KV.start_link([])
**   GenServer.cast(KV, {:put, :lang, "elixir"})
**   GenServer.call(KV, {:get, :lang})                 #=> "elixir"
**   {:ok, c} = Agent.start_link(fn -> 0 end)
**   Agent.update(c, &(&1 + 1)); Agent.get(c, & &1)    #=> 1
**
** The server's state is a map; it never frees anything by hand: after
** each callback the behaviour collects its heap with the state as root.
** A call to a name nobody holds makes the caller exit, as in Elixir; the
** code-returning form says so instead.
*/
#include <cbeam.h>
#include <stdio.h>

static beam_term_t kv_init(beam_term_t map) {
  return beam_tuple(2, beam_atom("ok"), map);
}

static beam_term_t kv_call(beam_term_t req, beam_term_t from,
                           beam_term_t map) {
  (void) from;
  beam_term_t k, v;
  if (beam_match(req, "{get, K}", &k) == 1) {
    if (beam_map_get(map, k, &v) != 1)
      v = beam_atom("nil");
    return beam_fmt("{reply, ~t, ~t}", v, map);
  }
  if (beam_is(req, "size"))
    return beam_fmt("{reply, ~i, ~t}", (int) beam_map_size(map), map);
  return beam_fmt("{reply, {error, unknown}, ~t}", map);
}

static beam_term_t kv_cast(beam_term_t req, beam_term_t map) {
  beam_term_t k, v;
  if (beam_match(req, "{put, K, V}", &k, &v) == 1)
    map = beam_map_put(map, k, v);
  return beam_fmt("{noreply, ~t}", map);
}

static const beam_gen_server_t kv = {.init = kv_init,
                                     .handle_call = kv_call,
                                     .handle_cast = kv_cast};

static beam_term_t zero(beam_term_t arg) {
  (void) arg;
  return beam_int(0);
}

static beam_term_t plus(beam_term_t n, beam_term_t by) {
  int64_t a = 0, b = 0;
  beam_get_int(n, &a);
  beam_get_int(by, &b);
  return beam_int(a + b);
}

static beam_term_t value(beam_term_t n, beam_term_t arg) {
  (void) arg;
  return n;
}

static void main_proc(beam_term_t arg) {
  (void) arg;
  char text[128];
  beam_gen_server_opts_t named = {.name = "kv"};
  beam_print(text, sizeof text,
             beam_gen_server_start_link(&kv, beam_map_new(), &named));
  printf("start_link: %s\n", text);
  beam_term_t kvname = beam_atom("kv");
  beam_gen_server_cast(kvname, beam_fmt("{put, lang, <<\"elixir\">>}"));
  beam_term_t put = beam_atom("put");
  for (int64_t i = 0; i < 100000; i++) /* a state that grows, collected */
    beam_gen_server_cast(kvname,
                         beam_tuple(3, put, beam_int(i), beam_int(i * i)));
  beam_print(text, sizeof text,
             beam_gen_server_call(kvname, beam_fmt("{get, lang}"), 5000));
  printf("get lang: %s\n", text);
  beam_print(text, sizeof text,
             beam_gen_server_call(kvname, beam_fmt("{get, 999}"), 5000));
  printf("get 999: %s\n", text);
  beam_print(text, sizeof text,
             beam_gen_server_call(kvname, beam_atom("size"), 5000));
  printf("size: %s\n", text);
  beam_term_t why;
  int rc = beam_gen_server_call_result(beam_atom("nobody"), beam_atom("size"),
                                       100, &why);
  printf("call to nobody: %s\n", beam_err_name(rc));

  beam_term_t c;
  beam_match(beam_agent_start_link(zero, beam_nil(), NULL), "{ok, C}", &c);
  beam_agent_update(c, plus, beam_int(1), 5000);
  beam_print(text, sizeof text, beam_agent_get(c, value, beam_nil(), 5000));
  printf("agent: %s\n", text);
  beam_agent_stop(c, beam_atom("normal"), 5000);
  beam_gen_server_stop(kvname, beam_atom("normal"), 5000);
}

int main(void) {
  return beam_run(main_proc, beam_nil(), NULL) == 0 ? 0 : 1;
}
