/* SPDX-License-Identifier: MIT */
/* parallel_fetcher.c: three "fetches" with random latency run as tasks at
** once, so the whole takes about as long as the slowest, not the sum.
**
**   defmodule ParallelFetcher do
**     def fetch_all(urls) do
**       urls
**       |> Enum.map(fn url -> Task.async(fn -> fetch(url) end) end)
**       |> Task.await_many(5000)
**     end
**
**     defp fetch(url) do
**       latency = Enum.random(100..500)
**       Process.sleep(latency)
**       {url, latency}
**     end
**   end
**
** Each task sleeps its latency and returns {Url, Latency}; await_many
** gives the results in the order of the URLs, whatever order they finish
** in. The tasks are linked to the caller: had one crashed, so would it.
*/
#include <cbeam.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static beam_term_t fetch(beam_term_t url_and_latency) {
  int64_t ms = 0;
  beam_get_int(beam_tuple_get(url_and_latency, 1), &ms);
  beam_sleep(ms); /* the network */
  return url_and_latency;
}

static void main_proc(beam_term_t arg) {
  (void) arg;
  const char *urls[] = {"https://example.com/a", "https://example.com/b",
                        "https://example.com/c"};
  enum { N = sizeof urls / sizeof urls[0] };
  beam_task_t tasks[N];
  int64_t slowest = 0, sum = 0;
  srand((unsigned) beam_monotonic_ms());
  int64_t t0 = beam_monotonic_ms();
  for (int i = 0; i < N; i++) {
    int64_t latency = 100 + rand() % 401;
    slowest = latency > slowest ? latency : slowest;
    sum += latency;
    beam_task_async(fetch,
                    beam_tuple(2, beam_binary(urls[i], strlen(urls[i])),
                               beam_int(latency)),
                    &tasks[i]);
  }
  beam_term_t results = beam_task_await_many(tasks, N, 5000);
  int64_t took = beam_monotonic_ms() - t0;
  for (beam_term_t l = results; !beam_equal(l, beam_nil()); l = beam_tl(l)) {
    char line[128];
    beam_print(line, sizeof line, beam_hd(l));
    printf("%s\n", line);
  }
  printf("fetched %d in %lld ms: the slowest took %lld ms, all of them %lld\n",
         N, (long long) took, (long long) slowest, (long long) sum);
}

int main(void) {
  return beam_run(main_proc, beam_nil(), NULL) == 0 ? 0 : 1;
}
