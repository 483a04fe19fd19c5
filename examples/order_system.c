/* SPDX-License-Identifier: MIT */
/* order_system.c: order fulfilment with four GenServers: a warehouse that
** reserves stock, a payment service, a notifier, and a coordinator that
** runs each order through them with a deadline on the payment.
**
**   defmodule Warehouse do
**     use GenServer
**     def start_link(stock), do: GenServer.start_link(__MODULE__, stock, name: __MODULE__)
**     def reserve(id, item, qty), do: GenServer.call(__MODULE__, {:reserve, id, item, qty})
**     def commit(id), do: GenServer.call(__MODULE__, {:commit, id})
**     def release(id), do: GenServer.call(__MODULE__, {:release, id})
**     def stock(item), do: GenServer.call(__MODULE__, {:stock, item})
**
**     def init(stock), do: {:ok, {stock, %{}}}
**     def handle_call({:reserve, id, item, qty}, _from, {stock, held} = s) do
**       if Map.get(stock, item, 0) >= qty do
**         {:reply, :ok, {Map.update!(stock, item, &(&1 - qty)),
**                        Map.put(held, id, {item, qty})}}
**       else
**         {:reply, {:error, :out_of_stock}, s}
**       end
**     end
**     def handle_call({:commit, id}, _from, {stock, held}),
**       do: {:reply, :ok, {stock, Map.delete(held, id)}}
**     def handle_call({:release, id}, _from, {stock, held}) do
**       {{item, qty}, held} = Map.pop(held, id)
**       {:reply, :ok, {Map.update!(stock, item, &(&1 + qty)), held}}
**     end
**     def handle_call({:stock, item}, _from, {stock, _} = s),
**       do: {:reply, Map.get(stock, item, 0), s}
**   end
**
**   defmodule Payment do
**     use GenServer
**     def start_link(_), do: GenServer.start_link(__MODULE__, %{}, name: __MODULE__)
**
**     # The gateway answers in 50 ms, or in 1 s for a large amount (a
**     # manual review); past 'timeout' the charge is voided.
**     def charge(id, amount, timeout) do
**       GenServer.call(__MODULE__, {:charge, id, amount}, timeout)
**     catch
**       :exit, {:timeout, _} ->
**         GenServer.cast(__MODULE__, {:void, id})
**         {:error, :payment_timeout}
**     end
**
**     def init(pending), do: {:ok, pending}
**     # The server is not blocked while the gateway works: a task answers
**     # the caller with GenServer.reply.
**     def handle_call({:charge, id, amount}, from, pending) do
**       {:ok, pid} = Task.start(fn ->
**         Process.sleep(if amount > 500, do: 1000, else: 50)
**         GenServer.reply(from, {:ok, "txn-#{id}"})
**         GenServer.cast(Payment, {:settled, id})
**       end)
**       {:noreply, Map.put(pending, id, pid)}
**     end
**     def handle_cast({:void, id}, pending) do
**       {pid, pending} = Map.pop(pending, id)
**       if pid, do: Process.exit(pid, :kill)
**       IO.puts("payment: order #{id}: charge voided")
**       {:noreply, pending}
**     end
**     def handle_cast({:settled, id}, pending), do: {:noreply, Map.delete(pending, id)}
**   end
**
**   defmodule Notifier do
**     use GenServer
**     def start_link(_), do: GenServer.start_link(__MODULE__, 0, name: __MODULE__)
**     def notify(id, text), do: GenServer.cast(__MODULE__, {:notify, id, text})
**     def sent, do: GenServer.call(__MODULE__, :sent)
**     def init(n), do: {:ok, n}
**     def handle_cast({:notify, id, text}, n) do
**       IO.puts("notifier: order #{id}: #{text}")
**       {:noreply, n + 1}
**     end
**     def handle_call(:sent, _from, n), do: {:reply, n, n}
**   end
**
**   defmodule Coordinator do
**     use GenServer
**     def start_link(timeout), do: GenServer.start_link(__MODULE__, timeout, name: __MODULE__)
**     def place_order(id, item, qty, amount),
**       do: GenServer.call(__MODULE__, {:place_order, id, item, qty, amount})
**
**     def init(timeout), do: {:ok, timeout}
**     def handle_call({:place_order, id, item, qty, amount}, _from, timeout) do
**       IO.puts("coordinator: order #{id}: #{qty} x #{item} for #{amount}")
**       result =
**         with :ok <- Warehouse.reserve(id, item, qty),
**              IO.puts("coordinator: order #{id}: stock reserved"),
**              {:ok, txn} <- Payment.charge(id, amount, timeout) do
**           :ok = Warehouse.commit(id)
**           IO.puts("coordinator: order #{id}: paid, #{txn}; stock committed")
**           Notifier.notify(id, "confirmed (#{txn})")
**           {:ok, txn}
**         else
**           {:error, :out_of_stock} = e ->
**             IO.puts("coordinator: order #{id}: out of stock, rejected")
**             Notifier.notify(id, "sorry, out of stock")
**             e
**           {:error, :payment_timeout} = e ->
**             IO.puts("coordinator: order #{id}: no payment in #{timeout} ms")
**             :ok = Warehouse.release(id)
**             IO.puts("coordinator: order #{id}: stock released")
**             Notifier.notify(id, "payment failed, you were not charged")
**             e
**         end
**       {:reply, result, timeout}
**     end
**   end
**
**   Warehouse.start_link(%{widget: 10, gadget: 1})
**   Payment.start_link([]); Notifier.start_link([]); Coordinator.start_link(300)
**   for {id, item, qty, amount} <- [{1, :widget, 3, 30}, {2, :gadget, 1, 900},
**                                   {3, :gadget, 5, 50}, {4, :gadget, 1, 90}] do
**     IO.puts("order #{id}: #{inspect Coordinator.place_order(id, item, qty, amount)}")
**   end
**   IO.puts("stock: widget #{Warehouse.stock(:widget)}, gadget #{Warehouse.stock(:gadget)}")
**   IO.puts("notifications sent: #{Notifier.sent()}")
**
** Order 1 goes through. Order 2's payment is slow: the coordinator's call
** times out after 300 ms, the charge is voided and the gadget it held goes
** back on the shelf, so order 4 can have it; order 3 wants more gadgets
** than there are and is rejected before any payment. Had the slow charge
** answered after all, its reply would have been dropped: a call's reply
** goes to an alias that the timeout deactivated. The coordinator
** serves one order at a time, so orders never race for the same stock.
** The notifier's and payment's lines are printed by those processes, so
** they may interleave with the coordinator's.
*/
#include <cbeam.h>
#include <stdio.h>

enum { PAYMENT_TIMEOUT_MS = 300, SLOW_MS = 1000, FAST_MS = 50 };

static int64_t int_of(beam_term_t t) {
  int64_t v = 0;
  beam_get_int(t, &v);
  return v;
}

static beam_term_t ok_pid(beam_term_t started) {
  beam_term_t pid = beam_nil();
  beam_match(started, "{ok, Pid}", &pid);
  return pid;
}

static beam_term_t call(const char *server, beam_term_t req) {
  return beam_gen_server_call(beam_atom(server), req, 5000);
}

/* ---- Warehouse: state {Stock, Held} ---- */

static beam_term_t wh_init(beam_term_t stock) {
  return beam_fmt("{ok, {~t, #{}}}", stock);
}

static int64_t count(beam_term_t stock, beam_term_t item) {
  beam_term_t n;
  return beam_map_get(stock, item, &n) == 1 ? int_of(n) : 0;
}

static beam_term_t wh_call(beam_term_t req, beam_term_t from, beam_term_t s) {
  (void) from;
  beam_term_t stock, held, id, item, qty, h;
  beam_match(s, "{Stock, Held}", &stock, &held);
  if (beam_match(req, "{reserve, Id, Item, Qty}", &id, &item, &qty) == 1) {
    int64_t have = count(stock, item), want = int_of(qty);
    if (have < want)
      return beam_fmt("{reply, {error, out_of_stock}, ~t}", s);
    stock = beam_map_put(stock, item, beam_int(have - want));
    held = beam_map_put(held, id, beam_tuple(2, item, qty));
    return beam_fmt("{reply, ok, {~t, ~t}}", stock, held);
  }
  if (beam_match(req, "{commit, Id}", &id) == 1)
    return beam_fmt("{reply, ok, {~t, ~t}}", stock, beam_map_remove(held, id));
  if (beam_match(req, "{release, Id}", &id) == 1 &&
      beam_map_get(held, id, &h) == 1 &&
      beam_match(h, "{Item, Qty}", &item, &qty) == 1) {
    stock = beam_map_put(stock, item,
                         beam_int(count(stock, item) + int_of(qty)));
    return beam_fmt("{reply, ok, {~t, ~t}}", stock, beam_map_remove(held, id));
  }
  if (beam_match(req, "{stock, Item}", &item) == 1)
    return beam_fmt("{reply, ~i, ~t}", count(stock, item), s);
  return beam_fmt("{reply, {error, bad_request}, ~t}", s);
}

static const beam_gen_server_t warehouse = {.init = wh_init,
                                            .handle_call = wh_call};

/* ---- Payment: state #{Id => ChargingTask} ---- */

/* The gateway, in a task: {From, Id, Amount}. */
static beam_term_t gateway(beam_term_t job) {
  beam_term_t from, id, amount;
  beam_match(job, "{From, Id, Amount}", &from, &id, &amount);
  beam_sleep(int_of(amount) > 500 ? SLOW_MS : FAST_MS);
  char txn[32];
  snprintf(txn, sizeof txn, "txn-%lld", (long long) int_of(id));
  beam_gen_server_reply(from, beam_fmt("{ok, ~s}", txn));
  beam_gen_server_cast(beam_atom("payment"), beam_fmt("{settled, ~t}", id));
  return beam_atom("ok");
}

static beam_term_t pay_init(beam_term_t pending) {
  return beam_fmt("{ok, ~t}", pending);
}

static beam_term_t pay_call(beam_term_t req, beam_term_t from,
                            beam_term_t pending) {
  beam_term_t id, amount;
  beam_pid_t task;
  if (beam_match(req, "{charge, Id, Amount}", &id, &amount) == 1 &&
      beam_task_start(gateway, beam_tuple(3, from, id, amount), &task) == 0)
    return beam_fmt("{noreply, ~t}", beam_map_put(pending, id, task));
  return beam_fmt("{reply, {error, bad_request}, ~t}", pending);
}

static beam_term_t pay_cast(beam_term_t req, beam_term_t pending) {
  beam_term_t id, task;
  if (beam_match(req, "{void, Id}", &id) == 1) {
    if (beam_map_get(pending, id, &task) == 1)
      beam_exit_signal(task, beam_atom("kill"));
    printf("payment: order %lld: charge voided\n", (long long) int_of(id));
    pending = beam_map_remove(pending, id);
  } else if (beam_match(req, "{settled, Id}", &id) == 1) {
    pending = beam_map_remove(pending, id);
  }
  return beam_fmt("{noreply, ~t}", pending);
}

static const beam_gen_server_t payment = {
    .init = pay_init, .handle_call = pay_call, .handle_cast = pay_cast};

/* Payment.charge/3: {ok, Txn} or {error, payment_timeout}. */
static beam_term_t charge(beam_term_t id, beam_term_t amount,
                          int64_t timeout_ms) {
  beam_term_t reply;
  int rc = beam_gen_server_call_result(
      beam_atom("payment"), beam_fmt("{charge, ~t, ~t}", id, amount),
      timeout_ms, &reply);
  if (rc == 0)
    return reply;
  if (rc == BEAM_ETIMEDOUT) {
    beam_gen_server_cast(beam_atom("payment"), beam_fmt("{void, ~t}", id));
    return beam_fmt("{error, payment_timeout}");
  }
  beam_exit(reply); /* anything else exits the caller, as in Elixir */
}

/* ---- Notifier: state the number sent ---- */

static beam_term_t nt_init(beam_term_t n) {
  return beam_fmt("{ok, ~t}", n);
}

static beam_term_t nt_cast(beam_term_t req, beam_term_t n) {
  beam_term_t id, text;
  if (beam_match(req, "{notify, Id, Text}", &id, &text) == 1) {
    size_t len = 0;
    const char *t = beam_binary_data(text, &len);
    printf("notifier: order %lld: %.*s\n", (long long) int_of(id), (int) len,
           t ? t : "");
    n = beam_int(int_of(n) + 1);
  }
  return beam_fmt("{noreply, ~t}", n);
}

static beam_term_t nt_call(beam_term_t req, beam_term_t from, beam_term_t n) {
  (void) from;
  (void) req; /* sent */
  return beam_fmt("{reply, ~t, ~t}", n, n);
}

static const beam_gen_server_t notifier = {
    .init = nt_init, .handle_call = nt_call, .handle_cast = nt_cast};

static void notify(beam_term_t id, const char *text) {
  beam_gen_server_cast(beam_atom("notifier"),
                       beam_fmt("{notify, ~t, ~s}", id, text));
}

/* ---- Coordinator: state the payment timeout ---- */

static beam_term_t co_init(beam_term_t timeout) {
  return beam_fmt("{ok, ~t}", timeout);
}

static beam_term_t place(beam_term_t id, beam_term_t item, beam_term_t qty,
                         beam_term_t amount, int64_t timeout) {
  long long n = (long long) int_of(id);
  printf("coordinator: order %lld: %lld x %s for %lld\n", n,
         (long long) int_of(qty), beam_atom_name(item),
         (long long) int_of(amount));
  beam_term_t r =
      call("warehouse", beam_fmt("{reserve, ~t, ~t, ~t}", id, item, qty));
  if (!beam_is(r, "ok")) {
    printf("coordinator: order %lld: out of stock, rejected\n", n);
    notify(id, "sorry, out of stock");
    return r;
  }
  printf("coordinator: order %lld: stock reserved\n", n);
  beam_term_t txn;
  r = charge(id, amount, timeout);
  if (beam_match(r, "{ok, Txn}", &txn) == 1) {
    call("warehouse", beam_fmt("{commit, ~t}", id));
    size_t len = 0;
    const char *t = beam_binary_data(txn, &len);
    char text[64];
    snprintf(text, sizeof text, "confirmed (%.*s)", (int) len, t ? t : "");
    printf("coordinator: order %lld: paid, %.*s; stock committed\n", n,
           (int) len, t ? t : "");
    notify(id, text);
    return r;
  }
  printf("coordinator: order %lld: no payment in %lld ms\n", n,
         (long long) timeout);
  call("warehouse", beam_fmt("{release, ~t}", id));
  printf("coordinator: order %lld: stock released\n", n);
  notify(id, "payment failed, you were not charged");
  return r;
}

static beam_term_t co_call(beam_term_t req, beam_term_t from,
                           beam_term_t timeout) {
  (void) from;
  beam_term_t id, item, qty, amount;
  if (beam_match(req, "{place_order, Id, Item, Qty, Amount}", &id, &item,
                 &qty, &amount) == 1)
    return beam_fmt("{reply, ~t, ~t}",
                    place(id, item, qty, amount, int_of(timeout)), timeout);
  return beam_fmt("{reply, {error, bad_request}, ~t}", timeout);
}

static const beam_gen_server_t coordinator = {.init = co_init,
                                              .handle_call = co_call};

static void main_proc(beam_term_t arg) {
  (void) arg;
  beam_gen_server_opts_t wh = {.name = "warehouse"}, pay = {.name = "payment"},
                         nt = {.name = "notifier"},
                         co = {.name = "coordinator"};
  ok_pid(beam_gen_server_start_link(
      &warehouse, beam_fmt("#{widget => 10, gadget => 1}"), &wh));
  ok_pid(beam_gen_server_start_link(&payment, beam_map_new(), &pay));
  ok_pid(beam_gen_server_start_link(&notifier, beam_int(0), &nt));
  ok_pid(beam_gen_server_start_link(&coordinator,
                                    beam_int(PAYMENT_TIMEOUT_MS), &co));
  static const struct {
    int64_t id;
    const char *item;
    int64_t qty, amount;
  } orders[] = {{1, "widget", 3, 30},
                {2, "gadget", 1, 900},
                {3, "gadget", 5, 50},
                {4, "gadget", 1, 90}};
  for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++) {
    char text[64];
    beam_print(text, sizeof text,
               call("coordinator",
                    beam_fmt("{place_order, ~i, ~a, ~i, ~i}", orders[i].id,
                             orders[i].item, orders[i].qty,
                             orders[i].amount)));
    printf("order %lld: %s\n", (long long) orders[i].id, text);
  }
  printf("stock: widget %lld, gadget %lld\n",
         (long long) int_of(call("warehouse", beam_fmt("{stock, widget}"))),
         (long long) int_of(call("warehouse", beam_fmt("{stock, gadget}"))));
  printf("notifications sent: %lld\n",
         (long long) int_of(call("notifier", beam_atom("sent"))));
  const char *names[] = {"coordinator", "notifier", "payment", "warehouse"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    beam_gen_server_stop(beam_atom(names[i]), beam_atom("normal"), 5000);
}

int main(void) {
  return beam_run(main_proc, beam_nil(), NULL) == 0 ? 0 : 1;
}
