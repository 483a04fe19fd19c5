/* SPDX-License-Identifier: MIT */
/* queries.c: five "queries" of 2 seconds each, run one after another take
** 10 s; run as five processes they take about 2 s, because they overlap:
** each query says when it starts, and all five have started before the
** first one finishes.
**
**   run_query = fn q -> Process.sleep(2000); "#{q} result" end
**   1..5 |> Enum.map(&spawn(fn -> send(parent, {:started, &1})
**                                send(parent, {:result, run_query.(&1)}) end))
**   for _ <- 1..5, do: receive do {:result, r} -> r end
*/
#include <cbeam.h>
#include <stdio.h>

static void run_query(beam_term_t arg) {
  beam_term_t parent, q;
  beam_match(arg, "{Parent, Q}", &parent, &q);
  beam_send(parent, beam_fmt("{started, ~t}", q));
  beam_sleep(2000); /* a slow database, in the article's words */
  int64_t n = 0;
  beam_get_int(q, &n);
  char result[32];
  snprintf(result, sizeof result, "query %lld result", (long long) n);
  beam_send(parent, beam_fmt("{result, ~s}", result));
}

static void main_proc(beam_term_t arg) {
  (void) arg;
  int64_t t0 = beam_monotonic_ms();
  for (int64_t q = 1; q <= 5; q++) {
    beam_pid_t p;
    beam_spawn(run_query, beam_fmt("{~t, ~i}", beam_self(), q), &p);
  }
  /* Messages in arrival order: a query's start comes before its result. */
  int started = 0, finished = 0, started_at_first = 0;
  while (finished < 5) {
    beam_term_t r;
    int c = beam_receive(5000, "{started, _}", "{result, R}", &r, NULL);
    if (c < 0) {
      puts("a query timed out");
      return;
    }
    if (c == 0) {
      started++;
      continue;
    }
    if (finished++ == 0)
      started_at_first = started;
    size_t len;
    const char *text = beam_binary_data(r, &len);
    printf("%.*s\n", (int) len, text);
  }
  if (started_at_first == 5)
    puts("all 5 queries started before the first one finished");
  else
    printf("only %d queries had started when the first one finished\n",
           started_at_first);
  double s = (double) (beam_monotonic_ms() - t0) / 1000.0;
  printf("5 queries of 2 s each took %.1f s\n", s);
}

int main(void) {
  return beam_run(main_proc, beam_nil(), NULL) == 0 ? 0 : 1;
}
