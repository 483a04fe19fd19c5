/* SPDX-License-Identifier: MIT */
/*
** fault.c: a fault in a process's own code ends that process, not the OS
** process.
**
** SIGSEGV, SIGBUS, SIGFPE, SIGILL and abort() raised while a process runs
** its own code become that process's crash, with reason {segv, Addr},
** {sigbus, Addr}, {sigfpe, Pc}, {sigill, Pc}, {abort, Pc} or, for a run
** into the guard page below its stack, {stack_overflow, StackBytes}. Its
** links, monitors, exit hooks and crash report then work as for any other
** crash, and every other process keeps running.
**
** How. The handler runs on the scheduler's alternate signal stack. When it
** decides the fault can be contained, it does not jump anywhere: it edits
** the interrupted context (program counter, stack pointer, first argument
** register) so that returning from the handler "resumes" the process at
** fault_resume(p), on a fresh frame at the top of the process's own stack.
** The kernel's sigreturn then restores the signal mask, and sanitizer
** wrappers around the handler unwind normally. The abandoned frames are
** like those beam_exit() leaves behind: never resumed, and reused by the
** frames of the process's end.
**
** When it is safe: only if nothing but the process's own code was running,
** because a fault anywhere else may leave a lock held or a structure half
** updated that other processes share. The handler checks, in order:
**  1. a process is current on this scheduler and the interrupted stack
**     pointer is on that process's stack (else: not ours);
**  2. the process is not already ending (a fault in an exit hook or the
**     crash reporter is fatal);
**  3. the faulting instruction is not in the runtime (the 'cbeam_text'
**     section, into which the Makefile moves all of the library's code) nor
**     in a system library (libc, the dynamic linker, libgcc, libgmp, zlib,
**     the sanitizer runtimes: they may hold locks we cannot see). For
**     abort(), the faulting instruction is always in libc; there the first
**     frame outside libc must be the process's code and the libc function
**     it called must be abort, raise or an assertion failure (not, say,
**     free() reporting a corrupt heap with its arena lock held);
**  4. no frame between the fault and the process's entry (up to
**     FRAMES_SEEN of them) is in the runtime or in a system library: a
**     fault in a callback that qsort or dl_iterate_phdr called is not
**     contained. Stack overflows skip this walk (the unwinder would read
**     near the guard) and rely on 1-3.
** A fault that fails 2-4 is fatal: one line names the process and the
** place, then the previous handler (ASan's, a user's) or the default
** action takes over, so a core dump shows the faulting instruction.
** Without the cbeam_text section (a build that skipped the Makefile's
** rename), no fault is contained.
*/
#include "../sched/sched.h"
#include "stack.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <signal.h>
#include <ucontext.h>
#include <unistd.h>

#define FRAMES_SEEN 64

extern const char __start_cbeam_text[] __attribute__((weak, visibility("hidden")));
extern const char __stop_cbeam_text[] __attribute__((weak, visibility("hidden")));

static const int caught[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
#define NCAUGHT (sizeof caught / sizeof caught[0])

static struct {
  struct sigaction old[NCAUGHT];
  bool installed;
  bool contain; /* false: BEAM_RUN_FAULTS_ABORT */
  size_t page;
} ft;

enum place { PLACE_PROCESS, PLACE_RUNTIME, PLACE_SYSTEM };
enum verdict { NOT_OURS, CONTAIN, FATAL };

/* ---- Reading the interrupted context ---- */

static uintptr_t ctx_pc(const ucontext_t *uc) {
#if defined(__x86_64__)
  return (uintptr_t) uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
  return (uintptr_t) uc->uc_mcontext.pc;
#endif
}

static uintptr_t ctx_sp(const ucontext_t *uc) {
#if defined(__x86_64__)
  return (uintptr_t) uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
  return (uintptr_t) uc->uc_mcontext.sp;
#endif
}

static _Noreturn void fault_resume(beam__proc_t *p);

/* Make the return from the handler a call of fault_resume(p) on a fresh
** frame at the top of p's stack (aligned as a call would leave it, with a
** zero return address so that backtraces end there). */
static void ctx_redirect(ucontext_t *uc, beam__proc_t *p) {
  uintptr_t top = ((uintptr_t) p->ctx.stack_lo + p->ctx.stack_size) &
                  ~(uintptr_t) 15;
#if defined(__x86_64__)
  top -= 8;
  *(uint64_t *) top = 0;
  uc->uc_mcontext.gregs[REG_RSP] = (greg_t) top;
  uc->uc_mcontext.gregs[REG_RBP] = 0;
  uc->uc_mcontext.gregs[REG_RIP] = (greg_t) (uintptr_t) fault_resume;
  uc->uc_mcontext.gregs[REG_RDI] = (greg_t) (uintptr_t) p;
#elif defined(__aarch64__)
  uc->uc_mcontext.sp = top;
  uc->uc_mcontext.regs[29] = 0;
  uc->uc_mcontext.regs[30] = 0;
  uc->uc_mcontext.pc = (uintptr_t) fault_resume;
  uc->uc_mcontext.regs[0] = (uintptr_t) p;
#endif
}

/* ---- Where an address is ---- */

static bool runtime_known(void) {
  return __start_cbeam_text != NULL && __stop_cbeam_text != NULL;
}

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

static bool is_system_object(const char *path) {
  static const char *const prefixes[] = {
      "libc.so",  "libc-",     "ld-linux", "ld64.so",    "libpthread",
      "libdl.",   "librt.",    "libgcc_s", "libstdc++",  "libgmp",
      "libz.so",  "libasan",   "libtsan",  "libubsan",   "liblsan",
      "linux-vdso", "linux-gate",
  };
  const char *b = base_name(path);
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
    if (!strncmp(b, prefixes[i], strlen(prefixes[i])))
      return true;
  return false;
}

static enum place place_of(uintptr_t pc, Dl_info *info) {
  if (pc >= (uintptr_t) __start_cbeam_text && pc < (uintptr_t) __stop_cbeam_text)
    return PLACE_RUNTIME;
  Dl_info local;
  if (!info)
    info = &local;
  if (dladdr((void *) pc, info) && info->dli_fname &&
      is_system_object(info->dli_fname))
    return PLACE_SYSTEM;
  return PLACE_PROCESS;
}

/* The libc entry points through which a process's own code aborts. */
static bool is_abort_entry(const Dl_info *info) {
  static const char *const names[] = {"abort", "raise", "gsignal",
                                      "pthread_kill", "__assert_fail",
                                      "__assert_perror_fail"};
  if (!info->dli_sname)
    return false;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!strcmp(info->dli_sname, names[i]))
      return true;
  return false;
}

/* ---- The decision ---- */

typedef struct fault_view {
  int sig;
  siginfo_t *si;
  ucontext_t *uc;
  beam__proc_t *p;
  bool overflow;
  const char *why; /* for a fatal verdict */
  uintptr_t where; /* the address 'why' is about */
} fault_view_t;

/* The stack, or its guard: a frame larger than the space left moves the
** stack pointer into the guard before anything is written. */
static bool on_process_stack(beam__proc_t *p, uintptr_t sp) {
  uintptr_t lo = (uintptr_t) p->ctx.stack_lo - beam__stack_guard_bytes();
  uintptr_t hi = (uintptr_t) p->ctx.stack_lo + p->ctx.stack_size;
  return sp >= lo && sp <= hi;
}

/* A fault at most 256 bytes into the stack counts too: the canary mode's
** guard word and a push that straddles the boundary. */
static bool in_guard(beam__proc_t *p, uintptr_t addr) {
  uintptr_t lo = (uintptr_t) p->ctx.stack_lo;
  return addr < lo + 256 && addr + beam__stack_guard_bytes() >= lo;
}

static enum verdict fatal(fault_view_t *v, const char *why, uintptr_t where) {
  v->why = why;
  v->where = where;
  return FATAL;
}

/* Frames from the interrupted one on; -1 if the unwinder lost it. */
static int interrupted_frame(void **frames, int n, uintptr_t pc) {
  for (int i = 0; i < n; i++)
    if ((uintptr_t) frames[i] == pc)
      return i;
  return -1;
}

/* abort(): skip its libc frames; the process's code must have called one
** of the abort entry points. Returns the first frame of the process. */
static int abort_caller(fault_view_t *v, void **frames, int n, int i) {
  Dl_info last = {0};
  for (; i < n; i++) {
    Dl_info info;
    uintptr_t pc = (uintptr_t) frames[i] - 1;
    enum place where = place_of(pc, &info);
    if (where == PLACE_RUNTIME) {
      fatal(v, "abort called by the runtime", pc);
      return -1;
    }
    if (where == PLACE_PROCESS)
      break;
    last = info;
  }
  if (i == n || !is_abort_entry(&last)) {
    fatal(v, "abort raised inside a system library", (uintptr_t) frames[i - 1]);
    return -1;
  }
  return i;
}

static enum verdict walk_callers(fault_view_t *v, void **frames, int n,
                                 int from) {
  for (int i = from; i < n; i++) {
    uintptr_t pc = (uintptr_t) frames[i] - 1;
    enum place where = place_of(pc, NULL);
    /* The bottom frame of a complete walk is the process's entry. */
    if (where == PLACE_RUNTIME && !(i == n - 1 && n < FRAMES_SEEN))
      return fatal(v, "in code the runtime called back", pc);
    if (where == PLACE_SYSTEM)
      return fatal(v, "in code a system library called back", pc);
  }
  return CONTAIN;
}

static enum verdict classify(fault_view_t *v) {
  beam__proc_t *p = v->p;
  if (!p || !runtime_known() || !on_process_stack(p, ctx_sp(v->uc)))
    return NOT_OURS;
  if (v->sig == SIGABRT &&
      !(v->si->si_code == SI_TKILL && v->si->si_pid == getpid()))
    return NOT_OURS; /* sent by someone else: not this process's doing */
  uintptr_t pc = ctx_pc(v->uc);
  if (!ft.contain)
    return v->sig == SIGABRT ? NOT_OURS
                             : fatal(v, "(BEAM_RUN_FAULTS_ABORT is set)", pc);
  if (p->exiting)
    return fatal(v, "while the process was ending (exit hook or reporter)",
                 pc);
  v->overflow = (v->sig == SIGSEGV || v->sig == SIGBUS) &&
                in_guard(p, (uintptr_t) v->si->si_addr);
  if (v->sig != SIGABRT) {
    enum place where = place_of(pc, NULL);
    if (where == PLACE_RUNTIME)
      return fatal(v, "inside the cbeam runtime", pc);
    if (where == PLACE_SYSTEM)
      return fatal(v, "inside a system library", pc);
    if (v->overflow)
      return CONTAIN;
  }
  void *frames[FRAMES_SEEN];
  int n = backtrace(frames, FRAMES_SEEN);
  int i = interrupted_frame(frames, n, pc);
  if (i < 0)
    return v->sig == SIGABRT ? fatal(v, "abort from an unknown caller", pc)
                             : CONTAIN;
  if (v->sig == SIGABRT) {
    i = abort_caller(v, frames, n, i + 1);
    if (i < 0)
      return FATAL;
    p->fault_pc = (uintptr_t) frames[i] - 1;
    return walk_callers(v, frames, n, i);
  }
  return walk_callers(v, frames, n, i + 1);
}

/* ---- The handler ---- */

static const char *sig_name(int sig) {
  switch (sig) {
  case SIGSEGV: return "SIGSEGV";
  case SIGBUS: return "SIGBUS";
  case SIGFPE: return "SIGFPE";
  case SIGILL: return "SIGILL";
  default: return "SIGABRT";
  }
}

static void say_fatal(const fault_view_t *v) {
  char buf[512], pid[48];
  beam_pid_print(pid, sizeof pid, v->p->pid);
  Dl_info info;
  const char *sym = "?", *obj = "?";
  if (dladdr((void *) v->where, &info)) {
    sym = info.dli_sname ? info.dli_sname : "?";
    obj = info.dli_fname ? base_name(info.dli_fname) : "?";
  }
  if (v->overflow)
    snprintf(buf, sizeof buf,
             "cbeam: stack overflow in process %s (stack %zu bytes) %s, "
             "at %s (%s); cannot be contained: the OS process ends\n",
             pid, v->p->ctx.stack_size, v->why, sym, obj);
  else
    snprintf(buf, sizeof buf,
             "cbeam: %s (address %p) in process %s %s, at %s (%s); "
             "cannot be contained: the OS process ends\n",
             sig_name(v->sig), v->si->si_addr, pid, v->why, sym, obj);
  beam__write_stderr(buf, strlen(buf));
}

/* Not ours to contain: the handler that was there before, else the default
** action (a hardware fault re-executes the instruction and dies of it). */
static void pass_on(int sig, siginfo_t *si, void *uc) {
  size_t k = 0;
  while (k < NCAUGHT && caught[k] != sig)
    k++;
  struct sigaction *old = &ft.old[k];
  if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
    old->sa_sigaction(sig, si, uc);
    return;
  }
  if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN &&
      old->sa_handler) {
    old->sa_handler(sig);
    return;
  }
  signal(sig, SIG_DFL);
  if (si->si_code <= 0 || sig == SIGABRT)
    raise(sig); /* sent, not a fault: re-executing would not re-raise */
}

static void on_fault(int sig, siginfo_t *si, void *ucv) {
  beam__sched_t *s = beam__tls()->sched;
  fault_view_t v = {.sig = sig, .si = si, .uc = ucv,
                    .p = s && !s->in_fault ? s->current : NULL};
  if (s)
    s->in_fault = true; /* a fault while deciding is never contained */
  enum verdict verdict = classify(&v);
  if (s)
    s->in_fault = false;
  if (verdict == CONTAIN) {
    beam__proc_t *p = v.p;
    p->fault_sig = (uint8_t) sig;
    p->fault_overflow = v.overflow;
    p->fault_addr = (uintptr_t) si->si_addr;
    if (sig != SIGABRT)
      p->fault_pc = ctx_pc(v.uc);
#ifdef BEAM_ASAN
    /* The abandoned frames' redzones would poison the fresh ones. */
    __asan_unpoison_memory_region(p->ctx.stack_lo, p->ctx.stack_size);
#endif
    ctx_redirect(v.uc, p);
    return;
  }
  if (verdict == FATAL)
    say_fatal(&v);
  pass_on(sig, si, ucv);
}

/* ---- In the process again ---- */

static beam_term_t fault_reason(beam__proc_t *p) {
  if (p->fault_overflow)
    return beam_tuple(2, beam__am_stack_overflow,
                      beam_uint(p->ctx.stack_size));
  switch (p->fault_sig) {
  case SIGSEGV:
    return beam_tuple(2, beam__am_segv, beam_uint(p->fault_addr));
  case SIGBUS:
    return beam_tuple(2, beam__am_sigbus, beam_uint(p->fault_addr));
  case SIGFPE:
    return beam_tuple(2, beam__am_sigfpe, beam_uint(p->fault_pc));
  case SIGILL:
    return beam_tuple(2, beam__am_sigill, beam_uint(p->fault_pc));
  default:
    return beam_tuple(2, beam__am_abort, beam_uint(p->fault_pc));
  }
}

static _Noreturn void fault_resume(beam__proc_t *p) {
  beam_term_t reason = fault_reason(p);
  if (beam_is_error(reason)) /* no memory left for the tuple */
    reason = p->fault_overflow ? beam__am_stack_overflow : beam__am_fault;
  beam__proc_terminate(p, reason);
}

size_t beam__fault_describe(const beam__proc_t *p, char *buf, size_t size) {
  if (!p->fault_sig || size == 0)
    return 0;
  Dl_info info;
  const char *sym = NULL, *obj = "?";
  uintptr_t off = 0;
  if (dladdr((void *) p->fault_pc, &info)) {
    obj = info.dli_fname ? base_name(info.dli_fname) : "?";
    if (info.dli_sname) {
      sym = info.dli_sname;
      off = p->fault_pc - (uintptr_t) info.dli_saddr;
    }
  }
  int n = sym ? snprintf(buf, size, "%s in %s+0x%zx (%s, pc %p)",
                         sig_name(p->fault_sig), sym, (size_t) off, obj,
                         (void *) p->fault_pc)
              : snprintf(buf, size, "%s at pc %p (%s)", sig_name(p->fault_sig),
                         (void *) p->fault_pc, obj);
  return n < 0 ? 0 : (size_t) n >= size ? size - 1 : (size_t) n;
}

/* ---- Installation ---- */

void beam__fault_init(bool contain) {
  ft.contain = contain;
  ft.page = (size_t) sysconf(_SC_PAGESIZE);
  void *warm[2];
  backtrace(warm, 2); /* loads the unwinder now, not in a handler */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (size_t k = 0; k < NCAUGHT; k++)
    sigaction(caught[k], &sa, &ft.old[k]);
  ft.installed = true;
}

void beam__fault_fini(void) {
  if (!ft.installed)
    return;
  for (size_t k = 0; k < NCAUGHT; k++)
    sigaction(caught[k], &ft.old[k], NULL);
  ft.installed = false;
}
