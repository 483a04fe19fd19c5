// SPDX-License-Identifier: MIT
//
// otp.go: the Go twins of bench/otp.c, written as a Go programmer would
// write each pattern with goroutines and channels:
//
//	genserver_call  a server goroutine owns the sum and reads a mailbox
//	                channel; each call sends {add, I} with a fresh reply
//	                channel (a call's reference) and waits on it. With
//	                --clients C, C client goroutines each on its own
//	                server, N calls in all: calls_per_s.
//	genserver_cast  N casts {add, I} into the same mailbox, then one call
//	                that must see the whole sum: cast_ns.
//	agent_update    an agent goroutine owns an int64; each update sends a
//	                fresh closure adding I and waits for its ok, as
//	                Agent.update; then one get: update_ns.
//	async_stream    1..N through M worker goroutines computing 2x, results
//	                handed out in input order; at most M elements between
//	                being taken from the input and being handed out (a
//	                ring of M slots): elem_ns.
//
// The mailbox is a channel of mailboxSize messages (the BEAM's is
// unbounded; a full one makes a caster wait). Every reply is checked
// against what the client computes itself; a wrong one fails the run.
package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

const mailboxSize = 1024

const (
	opAddCall = iota
	opAddCast
	opSumCall
)

type msg struct {
	op    int
	i     int64
	reply chan int64
}

// server serves a mailbox until it is closed, then closes done.
func server(mbox chan msg, done chan struct{}) {
	var sum int64
	for m := range mbox {
		switch m.op {
		case opAddCall:
			sum += m.i
			m.reply <- sum
		case opAddCast:
			sum += m.i
		case opSumCall:
			m.reply <- sum
		}
	}
	close(done)
}

type srv struct {
	mbox chan msg
	done chan struct{}
}

func startServer() srv {
	s := srv{make(chan msg, mailboxSize), make(chan struct{})}
	go server(s.mbox, s.done)
	return s
}

// stop: as GenServer.stop, returns once the server has ended.
func (s srv) stop() {
	close(s.mbox)
	<-s.done
}

func (s srv) call(op int, i int64) int64 {
	r := make(chan int64, 1)
	s.mbox <- msg{op, i, r}
	return <-r
}

// callLoop makes n checked calls; false on a wrong reply.
func callLoop(s srv, n int64) bool {
	var sum int64
	for i := int64(1); i <= n; i++ {
		sum += i
		if s.call(opAddCall, i) != sum {
			return false
		}
	}
	return true
}

func genserverCall(o *opts) result {
	var r result
	n, c := o.n, o.clients
	var ok bool
	var t0, t1 time.Time
	if c <= 1 {
		s := startServer()
		t0 = time.Now()
		ok = callLoop(s, n)
		t1 = time.Now()
		s.stop()
	} else {
		per := n / c
		done := make(chan bool)
		t0 = time.Now()
		for k := int64(0); k < c; k++ {
			go func() {
				s := startServer()
				good := callLoop(s, per)
				s.stop()
				done <- good
			}()
		}
		ok = true
		for k := int64(0); k < c; k++ {
			ok = <-done && ok
		}
		t1 = time.Now()
		n = per * c
	}
	d := float64(t1.Sub(t0).Nanoseconds())
	if c <= 1 {
		r.put("call_ns", d/float64(n), 1)
	}
	r.put("calls_per_s", float64(n)/(d/1e9), 0)
	r.failed = !ok
	return r
}

func genserverCast(o *opts) result {
	var r result
	n := o.n
	s := startServer()
	t0 := time.Now()
	for i := int64(1); i <= n; i++ {
		s.mbox <- msg{opAddCast, i, nil}
	}
	total := s.call(opSumCall, 0)
	t1 := time.Now()
	s.stop()
	r.put("cast_ns", float64(t1.Sub(t0).Nanoseconds())/float64(n), 1)
	r.failed = total != n*(n+1)/2
	return r
}

// ---- agent_update ----

type agentReq struct {
	fn    func(int64) int64
	get   bool
	reply chan int64 // update: 0 for ok; get: fn(state)
}

func agent(mbox chan agentReq, done chan struct{}) {
	var state int64
	for m := range mbox {
		if m.get {
			m.reply <- m.fn(state)
		} else {
			state = m.fn(state)
			m.reply <- 0
		}
	}
	close(done)
}

func agentCall(mbox chan agentReq, fn func(int64) int64, get bool) int64 {
	r := make(chan int64, 1)
	mbox <- agentReq{fn, get, r}
	return <-r
}

func agentUpdate(o *opts) result {
	var r result
	n := o.n
	mbox, done := make(chan agentReq, mailboxSize), make(chan struct{})
	go agent(mbox, done)
	t0 := time.Now()
	ok := true
	for i := int64(1); i <= n; i++ {
		i := i
		ok = agentCall(mbox, func(s int64) int64 { return s + i }, false) == 0 && ok
	}
	sum := agentCall(mbox, func(s int64) int64 { return s }, true)
	t1 := time.Now()
	close(mbox)
	<-done
	d := float64(t1.Sub(t0).Nanoseconds())
	r.put("update_ns", d/float64(n), 1)
	r.put("wall_ms", d/1e6, 1)
	r.failed = !ok || sum != n*(n+1)/2
	return r
}

// ---- async_stream ----

type streamRes struct {
	idx, v int64
}

// rssBytes: the resident set from /proc/self/statm (0 if unreadable), as
// bench_rss_bytes() in util.c.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// The element function, called through a variable as a stream's is.
var twice = func(x int64) int64 { return 2 * x }

func asyncStream(o *opts) result {
	var r result
	n, m := o.n, o.maxConcurrency
	rss0 := rssBytes()
	t0 := time.Now()
	jobs := make(chan int64, m)
	results := make(chan streamRes, m)
	tokens := make(chan struct{}, m) // elements taken but not handed out
	fn := twice
	for w := int64(0); w < m; w++ {
		go func() {
			for x := range jobs {
				results <- streamRes{x, fn(x)}
			}
		}()
	}
	go func() {
		for i := int64(1); i <= n; i++ {
			tokens <- struct{}{}
			jobs <- i
		}
		close(jobs)
	}()
	type slot struct {
		v    int64
		full bool
	}
	ring := make([]slot, m)
	var sum int64
	ok := true
	for emit := int64(1); emit <= n; {
		res := <-results
		ring[res.idx%m] = slot{res.v, true}
		for emit <= n && ring[emit%m].full {
			v := ring[emit%m].v
			ring[emit%m].full = false
			ok = ok && v == 2*emit
			sum += v
			emit++
			<-tokens
		}
	}
	t1 := time.Now()
	rss1 := rssBytes()
	d := float64(t1.Sub(t0).Nanoseconds())
	r.put("elem_ns", d/float64(n), 1)
	r.put("wall_ms", d/1e6, 1)
	r.put("rss_growth_mb", float64(rss1-rss0)/1048576, 1)
	r.failed = !ok || sum != n*(n+1)
	return r
}
