/* SPDX-License-Identifier: MIT */
/* process_items.c: Task.async_stream over a list of items, ten at a time,
** each with a deadline; a slow one is killed and a failing one reported,
** and the rest go on.
**
**   def process_items(items) do
**     items
**     |> Task.async_stream(&process/1,
**          max_concurrency: 10, timeout: 200, on_timeout: :kill_task)
**     |> Enum.map(fn
**          {:ok, result} -> result
**          {:exit, reason} -> {:error, reason}
**        end)
**   end
**
** Item 7 takes too long (killed at its 200 ms), item 13 raises (the
** consumer traps exits, so the crash comes back as {exit, Reason} instead
** of taking it down). At most ten tasks run at once; results keep the
** items' order.
*/
#include <cbeam.h>
#include <stdio.h>

enum { ITEMS = 20 };

typedef struct items {
  int next;
} items_t;

static int next_item(void *ctx, beam_term_t *elem) {
  items_t *it = ctx;
  if (it->next > ITEMS)
    return 0;
  *elem = beam_int(it->next++);
  return 1;
}

static beam_term_t process(beam_term_t item) {
  int64_t i = 0;
  beam_get_int(item, &i);
  beam_sleep(i == 7 ? 1000 : 20 + (i * 37) % 50);
  if (i == 13)
    beam_exit(beam_fmt("{bad_item, ~i}", 13));
  return beam_int(i * i);
}

static void main_proc(beam_term_t arg) {
  (void) arg;
  beam_trap_exit(1);
  items_t it = {1};
  beam_stream_opts_t o = {.max_concurrency = 10, .timeout_ms = 200,
                          .kill_task_on_timeout = 1};
  beam_async_stream_t *s;
  if (beam_async_stream_open(next_item, &it, process, &o, &s) != 0)
    return;
  int64_t t0 = beam_monotonic_ms();
  beam_term_t r;
  int ok = 0, failed = 0;
  while (beam_async_stream_next(s, &r) == 1) {
    beam_term_t v;
    char line[96];
    if (beam_match(r, "{ok, V}", &v) == 1) {
      ok++;
      beam_print(line, sizeof line, v);
    } else {
      failed++;
      beam_print(line, sizeof line,
                 beam_tuple(2, beam_atom("error"), beam_tuple_get(r, 1)));
    }
    printf("%s\n", line);
  }
  beam_async_stream_close(s);
  printf("%d processed, %d failed, in %lld ms\n", ok, failed,
         (long long) (beam_monotonic_ms() - t0));
}

int main(void) {
  return beam_run(main_proc, beam_nil(), NULL) == 0 ? 0 : 1;
}
