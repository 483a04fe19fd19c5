%% SPDX-License-Identifier: MIT
%%
%% cbeam_bench_agent.erl: an Elixir-free Agent for cbeam_bench's
%% agent_update, the gen_server that Elixir's Agent is (Agent.Server in
%% lib/elixir/lib/agent/server.ex): the state is the value itself, and
%% update / get are calls carrying a fun, {update, Fun} and {get, Fun}, run
%% in the server on the state.
-module(cbeam_bench_agent).
-behaviour(gen_server).
-export([start_link/1, update/2, get/2, stop/1]).
-export([init/1, handle_call/3, handle_cast/2]).

start_link(Init) -> gen_server:start_link(?MODULE, Init, []).

%% Agent.update(Agent, Fun, :infinity): ok once the state is Fun(State).
update(A, Fun) -> gen_server:call(A, {update, Fun}, infinity).

%% Agent.get(Agent, Fun, :infinity): Fun(State), the state unchanged.
get(A, Fun) -> gen_server:call(A, {get, Fun}, infinity).

stop(A) -> gen_server:stop(A).

init(Init) -> {ok, Init()}.

handle_call({update, Fun}, _From, S) -> {reply, ok, Fun(S)};
handle_call({get, Fun}, _From, S) -> {reply, Fun(S), S}.

handle_cast({cast, Fun}, S) -> {noreply, Fun(S)}.
