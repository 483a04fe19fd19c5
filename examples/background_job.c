/* SPDX-License-Identifier: MIT */
/* background_job.c: Task.start, fire and forget: a job runs in the
** background and reports by a message; the caller goes on meanwhile and
** does not wait, and a job that crashes does not take the caller with it.
**
**   defmodule Report do
**     def build(rows) do
**       Process.sleep(200)                  # the slow part: a query, a file
**       %{rows: rows, total: Enum.sum(for n <- 1..rows, do: n * n)}
**     end
**   end
**
**   parent = self()
**   {:ok, _job} = Task.start(fn -> send(parent, {:report_ready, Report.build(1000)}) end)
**   IO.puts("caller: report job started, not waiting for it")
**
**   # A job that fails: Task.start does not link, so only a monitor hears.
**   # (It waits for :go so that it cannot end before the monitor is set.)
**   {:ok, bad} = Task.start(fn -> receive do :go -> exit(:disk_full) end end)
**   ref = Process.monitor(bad)
**   send(bad, :go)
**
**   for i <- 1..3 do
**     IO.puts("caller: other work #{i}")
**     Process.sleep(20)
**   end
**
**   receive do
**     {:DOWN, ^ref, :process, _, reason} -> IO.puts("caller: job failed: #{inspect reason}")
**   end
**   receive do
**     {:report_ready, report} -> IO.puts("caller: report ready: #{inspect report}")
**   after
**     5000 -> IO.puts("caller: no report")
**   end
**
** Task.start runs the function in a process of its own, neither linked to
** nor monitored by the caller, and its return value goes nowhere: the
** job says it is done by sending a message, which the caller takes when
** it is ready for it. The caller's work lines come before the report
** (the report takes 200 ms, the work 60). For a result the caller will
** wait for, Task.async and Task.await (examples/parallel_fetcher.c);
** for a job that must not outlive the caller, Task.start_link.
*/
#include <cbeam.h>
#include <stdio.h>

static beam_term_t build_report(int64_t rows) {
  beam_sleep(200);
  int64_t total = 0;
  for (int64_t n = 1; n <= rows; n++)
    total += n * n;
  return beam_fmt("#{rows => ~i, total => ~i}", rows, total);
}

/* The job: its argument is the caller's pid. */
static beam_term_t report_job(beam_term_t parent) {
  beam_send(parent, beam_fmt("{report_ready, ~t}", build_report(1000)));
  return beam_atom("ok"); /* a Task.start task's result goes nowhere */
}

static beam_term_t failing_job(beam_term_t arg) {
  (void) arg;
  beam_receive(BEAM_INFINITY, "go", NULL);
  beam_exit(beam_atom("disk_full"));
}

static void main_proc(beam_term_t arg) {
  (void) arg;
  char text[128];
  beam_pid_t job, bad;
  beam_task_start(report_job, beam_self(), &job);
  puts("caller: report job started, not waiting for it");

  beam_task_start(failing_job, beam_nil(), &bad);
  beam_term_t ref = beam_monitor(bad);
  beam_send(bad, beam_atom("go"));

  for (int i = 1; i <= 3; i++) {
    printf("caller: other work %d\n", i);
    beam_sleep(20);
  }

  beam_term_t reason, report;
  if (beam_receive(5000, "{'DOWN', ~t, process, _, Reason}", ref, &reason,
                   NULL) == 0) {
    beam_print(text, sizeof text, reason);
    printf("caller: job failed: %s\n", text);
  }
  if (beam_receive(5000, "{report_ready, Report}", &report, NULL) == 0) {
    beam_print(text, sizeof text, report);
    printf("caller: report ready: %s\n", text);
  } else {
    puts("caller: no report");
  }
}

int main(void) {
  return beam_run(main_proc, beam_nil(), NULL) == 0 ? 0 : 1;
}
