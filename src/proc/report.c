/* SPDX-License-Identifier: MIT */
/*
** report.c: crash reports, the stand-in for Erlang's logger.
**
** A process that ends abnormally by its own doing (beam_exit with a reason
** other than normal/shutdown, or a fault in its code) with nothing linked
** to it or monitoring it would otherwise vanish without a trace, so a
** report goes to the reporter: by default one paragraph on stderr. The
** text is built in the dying process (its heap is still there) into a
** bounded buffer, and written with one write() so reports from several
** schedulers do not interleave.
*/
#include "proc.h"

static void default_reporter(void *ctx, const beam_crash_t *c) {
  (void) ctx;
  beam__write_stderr(c->text, strlen(c->text));
}

static _Atomic(beam_crash_reporter_t) reporter = default_reporter;
static void *_Atomic reporter_ctx;

void beam_set_crash_reporter(beam_crash_reporter_t fn, void *ctx) {
  atomic_store(&reporter_ctx, ctx);
  atomic_store(&reporter, fn);
}

/* The report for 'p' ending with 'reason', with 'extra' lines (may be
** NULL) after the first. */
static void report(beam__proc_t *p, beam_term_t reason, beam_term_t reg,
                   const char *extra) {
  beam_crash_reporter_t fn = atomic_load(&reporter);
  if (!fn)
    return;
  char pid[48], why[1024], name[300] = "[]", fault[300] = "", text[3000];
  beam_pid_print(pid, sizeof pid, p->pid);
  beam_print(why, sizeof why, reason);
  if (reg.raw)
    beam_print(name, sizeof name, reg);
  beam_crash_t c;
  c.pid = p->pid;
  c.name = reg.raw ? reg : beam_nil();
  c.reason = reason;
  c.initial_function = beam__fn_name(p->fn);
  static const char lead[] = "\n    fault: ";
  if (beam__fault_describe(p, fault + sizeof lead - 1, sizeof fault - sizeof lead) > 0)
    memcpy(fault, lead, sizeof lead - 1);
  snprintf(text, sizeof text,
           "=CRASH REPORT==== process %s (registered name %s, initial "
           "function %s) exited: %s%s\n%s",
           pid, name, c.initial_function, why, fault, extra ? extra : "");
  c.text = text;
  fn(atomic_load(&reporter_ctx), &c);
}

void beam__crash_report(beam__proc_t *p, beam_term_t reason, beam_term_t reg) {
  report(p, reason, reg, NULL);
}

int beam_report_crash(beam_term_t reason, const char *extra) {
  beam__proc_t *p = beam__proc_current();
  if (!p)
    return BEAM_ENOTPROC;
  if (beam__term_bad(reason) != 0)
    return BEAM_EBADTERM;
  report(p, reason, beam__registry_name_of(p), extra);
  return 0;
}
