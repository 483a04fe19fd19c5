/* SPDX-License-Identifier: MIT */
/* pubsub.c: publish/subscribe over a Registry with duplicate keys, as in
** the Registry documentation: subscribers register under a topic, publish
** is a dispatch that sends the message to each of them.
**
**   defmodule PubSub do
**     def subscribe(topic, name), do: Registry.register(PubSub, topic, name)
**     def publish(topic, msg) do
**       Registry.dispatch(PubSub, topic, fn entries ->
**         for {pid, _name} <- entries, do: send(pid, {:broadcast, topic, msg})
**       end)
**     end
**     def subscribers(topic), do: PubSub |> Registry.lookup(topic)
**       |> Enum.map(fn {_, n} -> n end) |> Enum.join(", ")
**   end
**
**   defmodule Subscriber do
**     def start(parent, name, topics) do
**       spawn_monitor(fn ->
**         for t <- topics, do: {:ok, _} = PubSub.subscribe(t, name)
**         send(parent, {:subscribed, name})
**         loop(parent, name)
**       end)
**     end
**     defp loop(parent, name) do
**       receive do
**         {:broadcast, topic, msg} ->
**           send(parent, {:got, name, topic, msg}); loop(parent, name)
**         :leave -> :ok
**       end
**     end
**   end
**
**   {:ok, _} = Registry.start_link(keys: :duplicate, name: PubSub)
**   # alice: ["hello"], bob: ["hello", "news"], carol: ["news"], each
**   # started and waited for in turn
**   IO.puts("hello: #{PubSub.subscribers("hello")}")      # alice, bob
**   IO.puts("subscriptions: #{Registry.count(PubSub)}")   # 4
**   :ok = PubSub.publish("hello", "world")  # the parent prints each {:got, ...}
**   :ok = PubSub.publish("news", "extra")
**   :ok = PubSub.publish("sports", "goal")  # nobody: dispatch calls nothing
**   send(alice, :leave)                     # after her DOWN, she is gone
**   IO.puts("hello: #{PubSub.subscribers("hello")}")      # bob
**
** The parent takes each subscriber's report in a fixed order (a selective
** receive per name), so the output is the same on every run: the lines
** the Elixir script prints (checked with Elixir 1.14).
*/
#include <cbeam.h>
#include <stdio.h>
#include <string.h>

#define PUBSUB beam_atom("pubsub")

static beam_term_t subscribe(beam_term_t topic, beam_term_t name) {
  return beam_registry_register(PUBSUB, topic, name);
}

/* dispatch's function: C has no closures, so the message comes in 'ctx'. */
static void broadcast(beam_term_t entries, void *ctx) {
  beam_term_t msg = *(beam_term_t *) ctx;
  for (beam_term_t l = entries; beam_type(l) == BEAM_T_LIST; l = beam_tl(l))
    beam_send(beam_tuple_get(beam_hd(l), 0), msg);
}

static int publish(const char *topic, const char *text) {
  beam_term_t msg =
      beam_tuple(3, beam_atom("broadcast"), beam_string(topic),
                 beam_string(text));
  return beam_registry_dispatch(PUBSUB, beam_string(topic), broadcast, &msg);
}

/* "alice, bob": the names of a topic's subscribers, in the order they
** subscribed. */
static void print_subscribers(const char *topic) {
  char line[256] = "";
  beam_term_t l = beam_registry_lookup(PUBSUB, beam_string(topic));
  for (; beam_type(l) == BEAM_T_LIST; l = beam_tl(l)) {
    if (line[0])
      strcat(line, ", ");
    strncat(line, beam_atom_name(beam_tuple_get(beam_hd(l), 1)), 64);
  }
  printf("%s: %s\n", topic, line);
}

/* {Parent, Name, [Topic]} */
static void subscriber(beam_term_t a) {
  beam_term_t parent = beam_tuple_get(a, 0), name = beam_tuple_get(a, 1);
  for (beam_term_t t = beam_tuple_get(a, 2); beam_type(t) == BEAM_T_LIST;
       t = beam_tl(t))
    if (!beam_match(subscribe(beam_hd(t), name), "{ok, _}"))
      beam_exit(beam_atom("subscribe_failed"));
  beam_send(parent, beam_tuple(2, beam_atom("subscribed"), name));
  beam_term_t topic, msg;
  while (beam_receive(BEAM_INFINITY, "{broadcast, T, M}", &topic, &msg,
                      "leave", NULL) == 0)
    beam_send(parent, beam_tuple(4, beam_atom("got"), name, topic, msg));
}

static void text_of(beam_term_t bin, char *out, size_t size) {
  size_t len = 0;
  const char *p = beam_binary_data(bin, &len);
  snprintf(out, size, "%.*s", (int) len, p ? p : "");
}

/* The reports of 'names' (in that order) for 'topic'. */
static void expect(const char *const *names, size_t n, const char *topic) {
  for (size_t i = 0; i < n; i++) {
    beam_term_t msg;
    char text[64];
    if (beam_receive(5000, "{got, ~t, ~t, M}", beam_atom(names[i]),
                     beam_string(topic), &msg, NULL) != 0) {
      printf("%s got nothing on %s\n", names[i], topic);
      continue;
    }
    text_of(msg, text, sizeof text);
    printf("%s got %s on %s\n", names[i], text, topic);
  }
}

static void main_proc(beam_term_t arg) {
  (void) arg;
  beam_term_t r = beam_registry_start_link(PUBSUB, BEAM_REGISTRY_DUPLICATE);
  if (!beam_match(r, "{ok, _}")) {
    puts("the registry did not start");
    return;
  }
  const char *names[] = {"alice", "bob", "carol"};
  beam_term_t topics[3] = {
      beam_list(1, beam_string("hello")),
      beam_list(2, beam_string("hello"), beam_string("news")),
      beam_list(1, beam_string("news"))};
  beam_pid_t pids[3];
  beam_term_t refs[3];
  for (int i = 0; i < 3; i++) {
    beam_spawn_monitor(subscriber,
                       beam_tuple(3, beam_self(), beam_atom(names[i]),
                                  topics[i]),
                       &pids[i], &refs[i]);
    beam_receive(5000, "{subscribed, ~t}", beam_atom(names[i]), NULL);
  }
  print_subscribers("hello");
  print_subscribers("news");
  printf("subscriptions: %lld\n", (long long) beam_registry_count(PUBSUB));

  publish("hello", "world");
  expect(names, 2, "hello");          /* alice, bob */
  publish("news", "extra");
  expect(names + 1, 2, "news");       /* bob, carol */
  publish("sports", "goal");
  puts("sports: nobody listens");

  beam_send(pids[0], beam_atom("leave"));
  beam_term_t reason;
  beam_receive(5000, "{'DOWN', ~t, process, _, R}", refs[0], &reason, NULL);
  printf("alice left: %s\n", beam_atom_name(reason));
  print_subscribers("hello");         /* gone at once, with her DOWN */
  publish("hello", "again");
  expect(names + 1, 1, "hello");
  beam_term_t who;
  if (beam_receive(100, "{got, N, _, _}", &who, NULL) == 0)
    printf("unexpected: %s\n", beam_atom_name(who));
  else
    puts("nobody else got it");
  printf("subscriptions: %lld\n", (long long) beam_registry_count(PUBSUB));
  for (int i = 1; i < 3; i++)
    beam_send(pids[i], beam_atom("leave"));
}

int main(void) {
  return beam_run(main_proc, beam_nil(), NULL) == 0 ? 0 : 1;
}
