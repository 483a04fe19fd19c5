/* SPDX-License-Identifier: MIT */
/*
** cbeam/otp.h: OTP's behaviours in C, built on the rest of the public API
** (src/otp/; docs/otp.md pairs each call with the Elixir it mirrors).
**
** Task: a process that runs one function and replies to its owner, the
** process that started it (SEMANTICS T1-T14); async_stream runs one over
** every element of an input, a bounded number at once (T15-T22).
** GenServer: a process that keeps a state and serves calls, casts and
** other messages one at a time through callbacks (G1-G20).
** Supervisor: a process that starts children and restarts them by a
** strategy when they end (S1-S22).
** Agent: a GenServer whose state is a value (G21). Registry: Elixir's
** key-value process registry, and the {via, 'Elixir.Registry', ...} names
** GenServer takes.
*/
#ifndef CBEAM_OTP_H
#define CBEAM_OTP_H

/* A task's function: its return value is the task's result. */
typedef beam_term_t (*beam_task_fn_t)(beam_term_t arg);

/* A task, as Task.async returns it. Only 'owner' may wait for it. */
typedef struct beam_task {
  beam_pid_t pid;
  beam_term_t ref;   /* its monitor: a 'DOWN' for it carries this */
  beam_term_t alias; /* its reply {Alias, Value} is sent to this alias */
  beam_pid_t owner;
} beam_task_t;

/* beam_task_shutdown's timeout meaning :brutal_kill. */
#define BEAM_BRUTAL_KILL (-2)

/* [proc, allocs, yields] Task.async(fn): run fn(copy of arg) in a new
** process linked to the caller and monitored by it (T1). 0, BEAM_EINVAL
** (NULL fn or task), or an error of beam_spawn. */
BEAM_API int beam_task_async(beam_task_fn_t fn, beam_term_t arg,
                             beam_task_t *task);
/* [proc, allocs, yields] Task.await(task, timeout): the task's result
** (T2), 'timeout_ms' >= 0 or BEAM_INFINITY. As in Elixir, the caller
** exits if no result comes in time ({timeout, {'Elixir.Task', await,
** [Task, Timeout]}}; the task keeps running and a late result is dropped,
** T3, T4) or if the task ends without one ({Reason, {...}}, T5, T6).
** Not the owner: the error term of BEAM_ENOTOWNER; a bad timeout:
** BEAM_EINVAL's. */
BEAM_API beam_term_t beam_task_await(beam_task_t *task, int64_t timeout_ms);
/* [proc, allocs, yields] The same, returning a code instead of exiting:
** 0 with '*value' the result; BEAM_ETIMEDOUT (as await's timeout, but the
** caller goes on); BEAM_EEXITED with '*value' the task's exit reason (a
** crash still reaches a non-trapping caller through the link);
** BEAM_ENOTOWNER; BEAM_EINVAL. 'value' may be NULL. */
BEAM_API int beam_task_await_result(beam_task_t *task, int64_t timeout_ms,
                                    beam_term_t *value);
/* [proc, allocs, yields] Task.yield: {ok, V}, {exit, Reason} if the task
** ended without a result, or the atom nil on timeout; then the task and
** its monitor stay, so a later yield or await can still get it (T8). */
BEAM_API beam_term_t beam_task_yield(beam_task_t *task, int64_t timeout_ms);
/* [proc, allocs, yields] Task.shutdown(task, timeout): unlink, send it
** 'shutdown', wait 'timeout_ms' for it to end, then kill it;
** BEAM_BRUTAL_KILL kills at once. {ok, V} if its result came first, nil
** if the shutdown stopped it, {exit, Reason} if it had ended otherwise
** (T9, Elixir 1.14's {exit, killed} for a task that had to be killed). */
BEAM_API beam_term_t beam_task_shutdown(beam_task_t *task,
                                        int64_t timeout_ms);
/* [proc, allocs, yields] Task.await_many: the results in input order, a
** list; one timeout for all. The caller exits as await does, with
** 'await_many' and the list of tasks in the reason (T12). */
BEAM_API beam_term_t beam_task_await_many(beam_task_t *tasks, size_t n,
                                          int64_t timeout_ms);
/* [proc, allocs, yields] Task.yield_many: a list with, per task in input
** order, {ok, V}, {exit, Reason} or nil (T13). */
BEAM_API beam_term_t beam_task_yield_many(beam_task_t *tasks, size_t n,
                                          int64_t timeout_ms);
/* [proc, allocs, yields] Task.start / Task.start_link: run fn(copy of
** arg) in a new process, unlinked or linked, with no result (T11). */
BEAM_API int beam_task_start(beam_task_fn_t fn, beam_term_t arg,
                             beam_pid_t *pid);
BEAM_API int beam_task_start_link(beam_task_fn_t fn, beam_term_t arg,
                                  beam_pid_t *pid);

/* ---- Task.async_stream ---- */

/* The input: returns 1 with the next element in '*elem', 0 at the end, or
** a negative code (handed back by beam_async_stream_next). */
typedef int (*beam_iter_fn_t)(void *ctx, beam_term_t *elem);

typedef struct beam_stream_opts {
  unsigned max_concurrency; /* tasks at once; 0 = beam_scheduler_count() */
  int unordered;            /* ordered: false (results as they finish) */
  int64_t timeout_ms;       /* per element, from its start; 0 = 5000 */
  int kill_task_on_timeout; /* on_timeout: :kill_task (default :exit) */
  int zip_input_on_exit;    /* {exit, {Elem, Reason}} instead */
  /* collect: beam_async_stream_next collects the caller's heap when due,
  ** keeping the stream's own terms, the result it returns and the 'nkeep'
  ** terms 'keep' points to (updated in place): a long stream then runs
  ** in bounded memory. Any other term of the caller (the iterator's
  ** included) does not survive a next(). Off (0): nothing is collected,
  ** and the heap grows by every result until the caller collects after
  ** the stream is closed. */
  int collect;
  beam_term_t *const *keep;
  size_t nkeep;
} beam_stream_opts_t;

typedef struct beam_async_stream beam_async_stream_t;

/* [proc] Task.async_stream(input, fn, opts) ('opts' may be NULL): nothing
** runs yet (T15). 0, BEAM_EINVAL, BEAM_ENOMEM. Its terms live on the
** caller's heap: without 'collect', do not collect it while the stream is
** open (the stream's terms are not roots). */
BEAM_API int beam_async_stream_open(beam_iter_fn_t next, void *ctx,
                                    beam_task_fn_t fn,
                                    const beam_stream_opts_t *opts,
                                    beam_async_stream_t **stream);
/* [proc, allocs, yields] The next result, {ok, V} or {exit, Reason}, in
** input order unless 'unordered' (T16): 1, 0 when all are out, or an
** error. A task past its timeout makes the caller exit with {timeout,
** {'Elixir.Task.Supervised', stream, [Timeout]}} after the others are
** killed (T19), or with kill_task_on_timeout is killed and gives {exit,
** timeout} (T20). A crash reaches a caller that does not trap exits
** through the link (T21). */
BEAM_API int beam_async_stream_next(beam_async_stream_t *stream,
                                    beam_term_t *result);
/* [proc, nofail] Halt: kill the tasks still running, start no more (T22),
** free the stream. NULL is allowed. */
BEAM_API void beam_async_stream_close(beam_async_stream_t *stream);

/* ---- GenServer ---- */

/* The callbacks; each returns the term its Elixir counterpart returns
** (build them with beam_fmt: "{reply, ~t, ~t}"), anything else stops the
** server with {bad_return_value, V}. NULL entries: init gives {ok, []};
** a missing handle_call or handle_cast stops the server ({bad_call, Req},
** {bad_cast, Req}); a missing handle_info logs the message and goes on. */
typedef struct beam_gen_server {
  /* {ok, S} | {ok, S, Timeout | hibernate | {continue, C}} | {stop, R} |
  ** ignore */
  beam_term_t (*init)(beam_term_t arg);
  /* {reply, Reply, S[, Action]} | {noreply, S[, Action]} |
  ** {stop, R, Reply, S} | {stop, R, S}. 'from' is opaque: keep it in the
  ** state to answer later with beam_gen_server_reply. */
  beam_term_t (*handle_call)(beam_term_t request, beam_term_t from,
                             beam_term_t state);
  /* {noreply, S[, Action]} | {stop, R, S}; the same for the next two. */
  beam_term_t (*handle_cast)(beam_term_t request, beam_term_t state);
  beam_term_t (*handle_info)(beam_term_t msg, beam_term_t state);
  beam_term_t (*handle_continue)(beam_term_t cont, beam_term_t state);
  /* When it stops on its own or is asked to (G16); not when killed by
  ** another process's exit signal (G17). */
  void (*terminate)(beam_term_t reason, beam_term_t state);
  /* format_status: what a crash report shows for the state (hide a
  ** secret, shorten a big map); NULL shows the state itself. */
  beam_term_t (*format_status)(beam_term_t state);
} beam_gen_server_t;

typedef struct beam_gen_server_opts {
  const char *name;   /* register the server under this name; NULL: none */
  int64_t timeout_ms; /* for init; 0 = infinity (G4) */
  /* name: {via, 'Elixir.Registry', {Reg, Key}} or {..., {Reg, Key, Value}}
  ** (registered in the new server before init, value nil by default; a
  ** taken key gives {error, {already_started, Pid}}). Left zero: none;
  ** with 'name' too: BEAM_EINVAL. */
  beam_term_t via;
} beam_gen_server_opts_t;

/* [proc, allocs, yields] GenServer.start_link(cb, arg, opts) ('opts' may
** be NULL): spawn the server linked to the caller, run init in it, and
** return when init has: {ok, Pid}, {error, Reason} or ignore (G1, G3); the
** error term of BEAM_EINVAL for a NULL 'cb'. 'cb' must outlive the
** server. */
BEAM_API beam_term_t beam_gen_server_start_link(
    const beam_gen_server_t *cb, beam_term_t arg,
    const beam_gen_server_opts_t *opts);
/* [proc, allocs, yields] GenServer.start: the same, unlinked (G2). */
BEAM_API beam_term_t beam_gen_server_start(const beam_gen_server_t *cb,
                                           beam_term_t arg,
                                           const beam_gen_server_opts_t *opts);
/* [proc, allocs, yields] GenServer.call(server, request, timeout): the
** reply. 'server' is a pid, a registered name, {Name, Node} or {via,
** 'Elixir.Registry', {Reg, Key}} (and cast and stop take the same). As in
** Elixir every failure makes the caller exit with {Reason,
** {'Elixir.GenServer', call, [Server, Request, Timeout]}}: noproc,
** timeout (the late reply is dropped, G6), the server's exit reason,
** calling_self (G5), {nodedown, Node} for a Node other than
** nonode@nohost (no distribution yet). A bad timeout: BEAM_EINVAL's
** error term. */
BEAM_API beam_term_t beam_gen_server_call(beam_term_t server,
                                          beam_term_t request,
                                          int64_t timeout_ms);
/* [proc, allocs, yields] The same, returning a code instead of exiting: 0
** with '*reply'; BEAM_ENOPROC; BEAM_ETIMEDOUT; BEAM_EEXITED with '*reply'
** the server's exit reason (or {nodedown, Node}); BEAM_EBADARG (calling
** itself); BEAM_EINVAL; the code of an error term 'request' (or
** BEAM_ENOMEM if it could not be sent), at once: beam_gen_server_call
** returns those as error terms instead of exiting.
** 'reply' may be NULL. */
BEAM_API int beam_gen_server_call_result(beam_term_t server,
                                         beam_term_t request,
                                         int64_t timeout_ms,
                                         beam_term_t *reply);
/* [proc, allocs, yields] GenServer.cast: 0, even to a dead or unknown
** server or one on another node, where nothing is sent (G12); the code of
** an error term 'request'. */
BEAM_API int beam_gen_server_cast(beam_term_t server, beam_term_t request);
/* [proc, allocs, yields] GenServer.reply(from, reply), from any process
** (G7): 0, or BEAM_EBADARG for a 'from' that is not one. */
BEAM_API int beam_gen_server_reply(beam_term_t from, beam_term_t reply);
/* [proc, allocs, yields] GenServer.stop(server, reason, timeout):
** terminate runs, the server exits with 'reason', then 0 (G18). The
** caller exits with {noproc | timeout | Other, {'Elixir.GenServer', stop,
** [Server, Reason, Timeout]}} if there is no such server, it takes too
** long, or it ended otherwise. The code of an error term 'reason'. */
BEAM_API int beam_gen_server_stop(beam_term_t server, beam_term_t reason,
                                  int64_t timeout_ms);

/* ---- Supervisor and DynamicSupervisor ---- */

/* A child's start function. It runs in the supervisor and must start a
** process linked to the caller (the supervisor), returning {ok, Pid},
** ignore or {error, E}: beam_gen_server_start_link, beam_task_start_link
** and beam_supervisor_start_link all do. C has no catch: a start function
** that exits takes the supervisor with it, so it returns {error, E}. */
typedef beam_term_t (*beam_child_start_fn_t)(beam_term_t arg);

enum beam_restart { BEAM_PERMANENT, BEAM_TRANSIENT, BEAM_TEMPORARY };
enum beam_child_type { BEAM_WORKER, BEAM_SUPERVISOR };
enum beam_strategy { BEAM_ONE_FOR_ONE, BEAM_ONE_FOR_ALL, BEAM_REST_FOR_ONE };

/* A child spec (S1); its terms are copied. */
typedef struct beam_child_spec {
  beam_term_t id;              /* unique within the supervisor (S5) */
  beam_child_start_fn_t start; /* called with a copy of 'arg' */
  beam_term_t arg;
  int restart;         /* enum beam_restart; 0 = permanent */
  int64_t shutdown_ms; /* ms to wait after 'shutdown' before killing; 0 =
                       ** 5000 (a worker) or BEAM_INFINITY (a supervisor);
                       ** BEAM_BRUTAL_KILL; BEAM_INFINITY */
  int type;            /* enum beam_child_type; 0 = worker */
} beam_child_spec_t;

typedef struct beam_supervisor_opts {
  int strategy;          /* enum beam_strategy; 0 = one_for_one */
  int max_restarts;      /* in max_seconds (S15); 0 = 3, negative = none */
  int max_seconds;       /* 0 = 5 */
  const char *name;      /* register it under this name; NULL: none */
  unsigned max_children; /* a DynamicSupervisor's limit; 0 = none (S22) */
} beam_supervisor_opts_t;

/* [proc, allocs, yields] Supervisor.start_link(children, opts) ('opts' may
** be NULL): a supervisor linked to the caller that starts the 'n'
** children in order (S2) and restarts them by its strategy (S7-S17).
** {ok, Pid}; {error, {shutdown, {failed_to_start_child, Id, E}}} with the
** started ones stopped, which also kills a caller that does not trap
** exits (S3); {error, {start_spec, {duplicate_child_name, Id}}} (S5); the
** error term of BEAM_EINVAL for a bad spec or option. */
BEAM_API beam_term_t beam_supervisor_start_link(
    const beam_child_spec_t *children, size_t n,
    const beam_supervisor_opts_t *opts);
/* [proc, allocs, yields] Supervisor.start_child: {ok, Pid}, {ok,
** undefined} (ignore), {error, {already_started, Pid}}, {error,
** already_present}, {error, E} (S21). A DynamicSupervisor: {ok, Pid},
** ignore, {error, max_children} (S22). These calls wait as long as the
** supervisor takes; 'sup' is a pid or a name, and the caller exits as
** beam_gen_server_call's does if there is no such process. */
BEAM_API beam_term_t beam_supervisor_start_child(
    beam_term_t sup, const beam_child_spec_t *spec);
/* [proc, allocs, yields] Supervisor.terminate_child(sup, id): ok (the
** spec stays, not running; a temporary child's goes) or {error,
** not_found}. A DynamicSupervisor's children are named by their pid. */
BEAM_API beam_term_t beam_supervisor_terminate_child(beam_term_t sup,
                                                     beam_term_t id);
/* [proc, allocs, yields] Supervisor.restart_child: {ok, Pid}, {error,
** running | restarting | not_found}, or the start's {error, E}. */
BEAM_API beam_term_t beam_supervisor_restart_child(beam_term_t sup,
                                                   beam_term_t id);
/* [proc, allocs, yields] Supervisor.delete_child: ok, {error, running |
** restarting | not_found}. */
BEAM_API beam_term_t beam_supervisor_delete_child(beam_term_t sup,
                                                  beam_term_t id);
/* [proc, allocs, yields] [{Id, Pid | undefined | restarting, worker |
** supervisor, []}], in start order (a DynamicSupervisor's: any order,
** Id undefined). */
BEAM_API beam_term_t beam_supervisor_which_children(beam_term_t sup);
/* [proc, allocs, yields] #{specs, active, supervisors, workers}. */
BEAM_API beam_term_t beam_supervisor_count_children(beam_term_t sup);
/* [proc, allocs, yields] Supervisor.stop: its children stopped last to
** first, then it exits with 'reason' (S19); as beam_gen_server_stop. */
BEAM_API int beam_supervisor_stop(beam_term_t sup, beam_term_t reason,
                                  int64_t timeout_ms);
/* [proc, allocs, yields] DynamicSupervisor.start_link(opts): no children
** until start_child; one_for_one only. {ok, Pid} or an error as above. */
BEAM_API beam_term_t beam_dynamic_supervisor_start_link(
    const beam_supervisor_opts_t *opts);
/* [proc, allocs, yields] DynamicSupervisor.start_child: {ok, Pid},
** ignore, {error, max_children} or {error, E}. */
BEAM_API beam_term_t beam_dynamic_supervisor_start_child(
    beam_term_t sup, const beam_child_spec_t *spec);

/* ---- Task.Supervisor ---- */

/* [proc, allocs, yields] Task.Supervisor.start_link(opts) ('opts' may be
** NULL; strategy must be one_for_one): a DynamicSupervisor for tasks.
** {ok, Pid} or an error as beam_dynamic_supervisor_start_link's. */
BEAM_API beam_term_t beam_task_supervisor_start_link(
    const beam_supervisor_opts_t *opts);
/* [proc, allocs, yields] Task.Supervisor.async_nolink(sup, fn): a task
** started by 'sup' (a pid or name) and monitored by the caller, not
** linked to it: a crash is a {exit, R} from yield or an await exit, and
** the caller lives on (T23). Await, yield and shutdown it as any task. 0;
** BEAM_EINVAL; BEAM_EAGAIN at the supervisor's max_children;
** BEAM_ESYSLIMIT if the task could not be started. The caller exits as
** beam_gen_server_call's does if there is no such supervisor. */
BEAM_API int beam_task_supervisor_async_nolink(beam_term_t sup,
                                               beam_task_fn_t fn,
                                               beam_term_t arg,
                                               beam_task_t *task);
/* [proc, allocs, yields] Task.Supervisor.async: the same, and the task
** links itself to the caller, so a crash takes a caller that does not
** trap exits (T23). */
BEAM_API int beam_task_supervisor_async(beam_term_t sup, beam_task_fn_t fn,
                                        beam_term_t arg, beam_task_t *task);
/* [proc, allocs, yields] Task.Supervisor.start_child(sup, fn): a
** temporary task, never restarted, with no result (T24). '*pid' (may be
** NULL) is its pid; codes as async_nolink's. */
BEAM_API int beam_task_supervisor_start_child(beam_term_t sup,
                                              beam_task_fn_t fn,
                                              beam_term_t arg,
                                              beam_pid_t *pid);
/* [proc, allocs, yields] Task.Supervisor.children: the running tasks'
** pids, a list. */
BEAM_API beam_term_t beam_task_supervisor_children(beam_term_t sup);
/* [proc] Task.Supervisor.async_stream_nolink: beam_async_stream_open with
** every task started by 'sup' and not linked to the caller: a crashed
** element is an {exit, R} result and the caller goes on (T25). Read and
** close it with beam_async_stream_next and _close. */
BEAM_API int beam_task_supervisor_async_stream_nolink(
    beam_term_t sup, beam_iter_fn_t next, void *ctx, beam_task_fn_t fn,
    const beam_stream_opts_t *opts, beam_async_stream_t **stream);

/* ---- Agent ---- */

/* Agent's functions: the initial state from an argument; a function of
** the state and an argument (C has no closures). */
typedef beam_term_t (*beam_agent_init_fn_t)(beam_term_t arg);
typedef beam_term_t (*beam_agent_fn_t)(beam_term_t state, beam_term_t arg);

/* [proc, allocs, yields] Agent.start_link(fn): the state is init(arg);
** {ok, Pid} or GenServer's start results (G21). */
BEAM_API beam_term_t beam_agent_start_link(beam_agent_init_fn_t init,
                                           beam_term_t arg,
                                           const beam_gen_server_opts_t *opts);
/* [proc, allocs, yields] Agent.get: fn(State, arg), the state unchanged. */
BEAM_API beam_term_t beam_agent_get(beam_term_t agent, beam_agent_fn_t fn,
                                    beam_term_t arg, int64_t timeout_ms);
/* [proc, allocs, yields] Agent.update: State = fn(State, arg); ok. */
BEAM_API beam_term_t beam_agent_update(beam_term_t agent, beam_agent_fn_t fn,
                                       beam_term_t arg, int64_t timeout_ms);
/* [proc, allocs, yields] Agent.get_and_update: fn returns {Ret, New}; Ret.
** These three exit the caller as GenServer's call does, with
** 'Elixir.Agent' in the reason's context. */
BEAM_API beam_term_t beam_agent_get_and_update(beam_term_t agent,
                                               beam_agent_fn_t fn,
                                               beam_term_t arg,
                                               int64_t timeout_ms);
/* [proc, allocs, yields] Agent.cast: State = fn(State, arg), later; 0. */
BEAM_API int beam_agent_cast(beam_term_t agent, beam_agent_fn_t fn,
                             beam_term_t arg);
/* [proc, allocs, yields] Agent.stop: as beam_gen_server_stop. */
BEAM_API int beam_agent_stop(beam_term_t agent, beam_term_t reason,
                             int64_t timeout_ms);

/* ---- Registry ---- */

/* Elixir's Registry (docs/otp.md "Registry"): a table of {Key, Pid, Value}
** entries named by an atom, that any process reads directly (lookup and
** dispatch send no message). Each entry belongs to the process that
** registered it and goes when that process ends, however it ends, before
** its links and monitors are told. The registry is a process too, linked
** to every process that registers (as in Elixir): stop it with
** beam_gen_server_stop(Name, ...); its table goes with it. */
typedef enum beam_registry_keys {
  BEAM_REGISTRY_UNIQUE = 1,    /* keys: :unique, one entry per key */
  BEAM_REGISTRY_DUPLICATE = 2, /* keys: :duplicate */
} beam_registry_keys_t;

/* Registry.dispatch's function: 'entries' is the list [{Pid, Value}] on
** the caller's heap, 'ctx' what dispatch was given (C has no closures). */
typedef void (*beam_registry_dispatch_fn_t)(beam_term_t entries, void *ctx);

/* [proc, allocs, yields] Registry.start_link(keys: Keys, name: Name): the
** registry process, linked to the caller and registered as 'name':
** {ok, Pid} or {error, {already_started, Pid}}; the error term of
** BEAM_EBADARG for a 'name' that is not an atom, BEAM_EINVAL for bad
** 'keys' or the name 'undefined'. */
BEAM_API beam_term_t beam_registry_start_link(beam_term_t name,
                                              beam_registry_keys_t keys);
/* [proc, allocs, yields] Registry.register(reg, key, value) by the
** caller: {ok, RegistryPid}; for unique keys {error, {already_registered,
** Pid}} if the key is taken (by the caller too). The first register links
** the caller to the registry. Error terms: BEAM_ENOENT (no registry of
** that name), BEAM_EBADARG ('reg' not an atom), the code of an error term
** 'key' or 'value', BEAM_ENOMEM. */
BEAM_API beam_term_t beam_registry_register(beam_term_t reg, beam_term_t key,
                                            beam_term_t value);
/* [proc] Registry.unregister(reg, key): remove the caller's own entries
** under 'key' (none is fine): 0, or BEAM_ENOENT, BEAM_EBADARG, the code of
** an error term 'key'. */
BEAM_API int beam_registry_unregister(beam_term_t reg, beam_term_t key);
/* [any, allocs] Registry.lookup(reg, key): [{Pid, Value}], in the order
** they were registered; [] if none; the error terms of register. */
BEAM_API beam_term_t beam_registry_lookup(beam_term_t reg, beam_term_t key);
/* [any, allocs] Registry.dispatch(reg, key, fn): fn(entries, ctx) once,
** in the caller, with lookup's list, if it is not empty: 0; the codes of
** register's error terms; BEAM_EINVAL for a NULL 'fn'. */
BEAM_API int beam_registry_dispatch(beam_term_t reg, beam_term_t key,
                                    beam_registry_dispatch_fn_t fn,
                                    void *ctx);
/* [any, allocs] Registry.keys(reg, pid): the keys 'pid' has registered,
** newest first (as Elixir 1.14); [] for a dead or unknown pid; error
** terms as lookup, BEAM_EBADARG for a 'pid' that is not one. */
BEAM_API beam_term_t beam_registry_keys(beam_term_t reg, beam_pid_t pid);
/* [any] Registry.count(reg): the number of entries, or BEAM_ENOENT,
** BEAM_EBADARG. */
BEAM_API int64_t beam_registry_count(beam_term_t reg);
/* [any] Registry.whereis_name({Reg, Key}) (also {Reg, Key, Value}), what
** {via, 'Elixir.Registry', Name} resolves through: the pid, or the atom
** undefined; error terms BEAM_ENOENT (no such registry), BEAM_EBADARG (not
** such a tuple, or a duplicate registry: Elixir's ":via is not supported
** for duplicate registries"). */
BEAM_API beam_term_t beam_registry_whereis_name(beam_term_t name);

#endif
