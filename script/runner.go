package script

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"time"

	"modernc.org/quickjs"
)

//go:embed prelude.js
var prelude string

// Opts configures a Runner.
type Opts struct {
	// Concurrency is how many scripts run at once; more wait for a slot
	// (default: the number of CPUs).
	Concurrency int
}

// Runner executes scripts, at most Opts.Concurrency at once. It is safe for
// concurrent use; every execution gets its own VM.
type Runner struct {
	slots chan struct{}
}

// NewRunner returns a Runner with o's limits.
func NewRunner(o Opts) *Runner {
	n := o.Concurrency
	if n <= 0 {
		n = runtime.NumCPU()
	}
	return &Runner{slots: make(chan struct{}, n)}
}

// Concurrency is how many scripts the Runner runs at once.
func (r *Runner) Concurrency() int { return cap(r.slots) }

// Request is one execution.
type Request struct {
	// Code is the script: the body of an async function (≤ MaxCodeBytes).
	Code string
	// Input is what input.config() returns, encoded as JSON
	// (≤ MaxInputBytes); nil is {}.
	Input any
	// Timeout bounds the execution's wall-clock time once it has a slot
	// (default DefaultTimeout, at most MaxTimeout).
	Timeout time.Duration
	// MemoryBytes bounds the JavaScript heap (default DefaultMemoryBytes,
	// between MinMemoryBytes and MaxMemoryBytes).
	MemoryBytes int
	// Base serves base.getTable; nil makes it throw.
	Base Base
}

// Result is what an execution produced; Run returns it also when the
// script failed (the logs up to the failure and what it output).
type Result struct {
	// Output holds every output.set key with its value as JSON.
	Output map[string]json.RawMessage
	// Logs are the console lines ("[warn] …" and "[error] …" for those
	// levels), the last one TruncatedMarker… when some were dropped.
	Logs []string
	// Waited is how long the execution waited for a slot; Ran how long it
	// ran.
	Waited, Ran time.Duration
}

// Run executes req. A failed script returns an *Error (with the Result so
// far); other errors are the context's (while waiting for a slot).
func (r *Runner) Run(ctx context.Context, req Request) (*Result, error) {
	res := &Result{Output: map[string]json.RawMessage{}}
	if len(req.Code) > MaxCodeBytes {
		return res, &Error{Kind: KindLimit, Message: fmt.Sprintf("the code is larger than %d KiB", MaxCodeBytes>>10)}
	}
	input := []byte("{}")
	if req.Input != nil {
		var err error
		if input, err = json.Marshal(req.Input); err != nil {
			return res, &Error{Kind: KindLimit, Message: "the inputs are not JSON: " + err.Error()}
		}
	}
	if len(input) > MaxInputBytes {
		return res, &Error{Kind: KindLimit, Message: fmt.Sprintf("the inputs are larger than %d KiB as JSON", MaxInputBytes>>10)}
	}
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	timeout = min(timeout, MaxTimeout)
	mem := req.MemoryBytes
	if mem <= 0 {
		mem = DefaultMemoryBytes
	}
	mem = min(max(mem, MinMemoryBytes), MaxMemoryBytes)

	start := time.Now()
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return res, context.Cause(ctx)
	}
	res.Waited = time.Since(start)
	begun := time.Now()
	x := &execution{req: req, res: res, input: string(input), timeout: timeout, mem: mem,
		codeLines: strings.Count(req.Code, "\n") + 1, deadline: begun.Add(timeout)}
	// The VM runs on its own goroutine, which holds the slot until the
	// engine returns. The engine checks the deadline between JavaScript
	// instructions, not inside every built-in; should one overrun it,
	// Run still returns at the deadline plus abandonGrace and the
	// goroutine ends (and frees its slot) when the built-in returns.
	done := make(chan error, 1)
	go func() {
		defer func() { <-r.slots }()
		done <- x.run(ctx)
	}()
	timer := time.NewTimer(timeout + abandonGrace)
	defer timer.Stop()
	select {
	case err := <-done:
		res.Ran = time.Since(begun)
		return res, err
	case <-timer.C:
		return &Result{Output: map[string]json.RawMessage{}, Waited: res.Waited, Ran: time.Since(begun)},
			&Error{Kind: KindTimeout, Message: fmt.Sprintf("the script ran longer than its timeout (%s)", timeout)}
	case <-ctx.Done():
		select {
		case err := <-done:
			res.Ran = time.Since(begun)
			return res, err
		case <-time.After(abandonGrace):
			return &Result{Output: map[string]json.RawMessage{}, Waited: res.Waited, Ran: time.Since(begun)}, x.canceled(ctx)
		}
	}
}

// abandonGrace is how long after its deadline Run waits for an engine
// busy in a built-in before it returns without it.
const abandonGrace = 25 * time.Millisecond

// Check parses code the way Run would without running it, and returns an
// *Error of KindSyntax (with line and column) when it does not parse, or
// of KindLimit when it is too large.
func Check(ctx context.Context, code string) (err error) {
	if len(code) > MaxCodeBytes {
		return &Error{Kind: KindLimit, Message: fmt.Sprintf("the code is larger than %d KiB", MaxCodeBytes>>10)}
	}
	if strings.TrimSpace(code) == "" {
		return &Error{Kind: KindSyntax, Message: "the code is empty"}
	}
	vm, err := quickjs.NewVM()
	if err != nil {
		return &Error{Kind: KindInternal, Message: "starting the script engine: " + err.Error()}
	}
	defer func() {
		if p := recover(); p != nil {
			err = &Error{Kind: KindInternal, Message: fmt.Sprintf("the script engine failed: %v", p)}
		}
		closeVM(vm)
	}()
	vm.SetMemoryLimit(checkMemoryBytes)
	_ = vm.SetEvalTimeout(checkTimeout)
	stop := context.AfterFunc(ctx, vm.Interrupt)
	defer stop()
	if _, err := vm.Compile(wrap(code), quickjs.EvalGlobal); err != nil {
		e := fromJS(err, KindSyntax, strings.Count(code, "\n")+1)
		if isInterrupt(err) {
			e.Kind, e.Message = KindTimeout, "checking the code took too long"
		}
		return e
	}
	return nil
}

// wrap makes code the body of an async function expression, so that
// top-level await and return work; the code's lines keep their numbers.
func wrap(code string) string { return wrapPrefix + code + "\n})" }

// closeVM closes vm, swallowing a panic of an abandoned engine.
func closeVM(vm *quickjs.VM) {
	defer func() { _ = recover() }()
	_ = vm.Close()
}
