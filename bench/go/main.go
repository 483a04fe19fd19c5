// SPDX-License-Identifier: MIT
//
// go-bench: the Go twins of cbeam-bench's OTP workloads (bench/otp.c), so
// that cbeam, the BEAM and Go can run the same programs side by side.
//
//	build/go/go-bench WORKLOAD [--n N] [--clients C] [--max-concurrency M]
//	                  [--schedulers K] [--runs R]
//
// The output contract is cbeam-bench's (bench/README.md): exactly one line,
//
//	workload=NAME <main>=V <other figures>... schedulers=K <params> runs=R
//
// with the same keys, decimals and parameter order; with --runs R > 1 the
// line is the run whose main figure is the median (the lower middle one for
// even R) plus <main>_min / <main>_max. Exit status 0; 1 on a wrong answer
// (the line is still printed); 2 on bad arguments, with the usage on
// stderr. --schedulers K sets GOMAXPROCS (0 or absent: one per core, Go's
// default, as cbeam's). The R runs share one OS process (Go has no runtime
// to boot again); a runtime.GC() separates them.
//
// Standard library only: 'go build' needs no network (bench/go/build.sh).
package main

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

type opts struct {
	n              int64
	clients        int64
	maxConcurrency int64 // 0: GOMAXPROCS, as cbeam's scheduler count
	schedulers     int64
	runs           int64
}

type kv struct {
	key      string
	value    float64
	decimals int
}

type result struct {
	kv     []kv // kv[0] is the main figure
	failed bool // a wrong answer
}

func (r *result) put(key string, v float64, decimals int) {
	r.kv = append(r.kv, kv{key, v, decimals})
}

const (
	optN = 1 << iota
	optClients
	optMaxConcurrency
)

type workload struct {
	name     string
	fn       func(o *opts) result
	accepts  int
	defaults opts
	what     string
}

var workloads = []workload{
	{"genserver_call", genserverCall, optN | optClients,
		opts{n: 1000000, clients: 1},
		"N calls to a server goroutine, C clients on C servers: call_ns, calls_per_s"},
	{"genserver_cast", genserverCast, optN, opts{n: 1000000},
		"N casts to a server goroutine, then one call: cast_ns"},
	{"agent_update", agentUpdate, optN, opts{n: 1000000},
		"N agent updates adding I (a closure each), then one get: update_ns"},
	{"async_stream", asyncStream, optN | optMaxConcurrency, opts{n: 1000000},
		"1..N through an ordered pool of M workers returning 2x: elem_ns"},
}

func usage(status int) {
	out := os.Stdout
	if status != 0 {
		out = os.Stderr
	}
	fmt.Fprint(out, "usage: go-bench WORKLOAD [options]\n\nworkloads:\n")
	for _, w := range workloads {
		fmt.Fprintf(out, "  %-14s %s\n", w.name, w.what)
	}
	fmt.Fprint(out, "\noptions (each workload takes only those it uses):\n"+
		"  --n N                calls, casts, updates or elements (1e6)\n"+
		"  --clients C          clients, each with its own server (genserver_call; 1)\n"+
		"  --max-concurrency M  workers (async_stream; default GOMAXPROCS)\n"+
		"  --schedulers K       GOMAXPROCS; 0 = one per core (default)\n"+
		"  --runs R             run R times, report the median run (1)\n"+
		"\nPrints one line: workload=NAME key=value ...; see bench/README.md\n")
	os.Exit(status)
}

func bad(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "go-bench: "+format+"\n", a...)
	usage(2)
}

// count parses "250000" or "1e6" in [lo, hi], as main.c's parse_count.
func count(opt, text string, lo, hi int64) int64 {
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || v != math.Floor(v) ||
		v < float64(lo) || v > float64(hi) {
		bad("bad value '%s' for %s", text, opt)
	}
	return int64(v)
}

func parse(args []string) (*workload, opts) {
	if len(args) < 1 {
		usage(2)
	}
	if args[0] == "-h" || args[0] == "--help" {
		usage(0)
	}
	var w *workload
	for i := range workloads {
		if workloads[i].name == args[0] {
			w = &workloads[i]
		}
	}
	if w == nil {
		bad("unknown workload '%s'", args[0])
	}
	o := w.defaults
	o.runs = 1
	for i := 1; i < len(args); i++ {
		opt := args[i]
		if opt == "-h" || opt == "--help" {
			usage(0)
		}
		if i+1 >= len(args) {
			bad("%s needs a value", opt)
		}
		i++
		val := args[i]
		need := 0
		switch opt {
		case "--n":
			need, o.n = optN, count(opt, val, 1, 1000000000)
		case "--clients":
			need, o.clients = optClients, count(opt, val, 1, 1000000)
		case "--max-concurrency":
			need, o.maxConcurrency = optMaxConcurrency, count(opt, val, 1, 1000000)
		case "--schedulers":
			o.schedulers = count(opt, val, 0, 1024)
		case "--runs":
			o.runs = count(opt, val, 1, 1000)
		default:
			bad("unknown option '%s'", opt)
		}
		if need != 0 && w.accepts&need == 0 {
			bad("%s does not take %s", w.name, opt)
		}
	}
	return w, o
}

func format(v float64, decimals int) string {
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

func main() {
	w, o := parse(os.Args[1:])
	if o.schedulers > 0 {
		runtime.GOMAXPROCS(int(o.schedulers))
	}
	k := int64(runtime.GOMAXPROCS(0))
	if o.maxConcurrency == 0 {
		o.maxConcurrency = k
	}
	runs := make([]result, o.runs)
	failed := false
	for i := range runs {
		runtime.GC()
		runs[i] = w.fn(&o)
		failed = failed || runs[i].failed
	}
	sort.SliceStable(runs, func(a, b int) bool {
		return runs[a].kv[0].value < runs[b].kv[0].value
	})
	med := runs[(len(runs)-1)/2]
	var b strings.Builder
	fmt.Fprintf(&b, "workload=%s", w.name)
	for _, f := range med.kv {
		fmt.Fprintf(&b, " %s=%s", f.key, format(f.value, f.decimals))
	}
	if o.runs > 1 {
		m := med.kv[0]
		fmt.Fprintf(&b, " %s_min=%s %s_max=%s", m.key,
			format(runs[0].kv[0].value, m.decimals), m.key,
			format(runs[len(runs)-1].kv[0].value, m.decimals))
	}
	fmt.Fprintf(&b, " schedulers=%d", k)
	if w.accepts&optClients != 0 {
		fmt.Fprintf(&b, " clients=%d", o.clients)
	}
	if w.accepts&optMaxConcurrency != 0 {
		fmt.Fprintf(&b, " max_concurrency=%d", o.maxConcurrency)
	}
	fmt.Fprintf(&b, " n=%d runs=%d\n", o.n, o.runs)
	os.Stdout.WriteString(b.String())
	if failed {
		fmt.Fprintf(os.Stderr, "go-bench: %s: wrong result (see the line above)\n", w.name)
		os.Exit(1)
	}
}
