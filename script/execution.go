package script

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"modernc.org/quickjs"
)

// execution is one Run: its VM's host functions and what they collected.
type execution struct {
	req       Request
	res       *Result
	input     string
	timeout   time.Duration
	mem       int
	codeLines int

	// ctx ends at the deadline; host functions use it.
	ctx      context.Context
	deadline time.Time

	reads     int
	outBytes  int
	logBytes  int
	logsFull  bool
	finished  bool
	failure   *quickjs.Error
	failedVal bool
}

// hostNames are the globals the host functions are registered as; the
// prelude takes them and deletes them before the script runs.
var hostNames = []string{"__rf_input", "__rf_log", "__rf_set", "__rf_table", "__rf_select", "__rf_get", "__rf_finish"}

// run executes the script in a fresh VM. A panic anywhere in the engine or
// in a host function ends here: the VM is closed (an abandoned engine
// leaks its memory, which is bounded by the memory limit) and the
// execution fails with KindInternal.
func (x *execution) run(parent context.Context) (err error) {
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
	vm.SetMemoryLimit(uintptr(x.mem))
	vm.SetCanBlock(false) // Atomics.wait throws
	ctx, cancel := context.WithDeadline(parent, x.deadline)
	defer cancel()
	x.ctx = ctx
	stop := context.AfterFunc(ctx, vm.Interrupt)
	defer stop()

	if err := x.register(vm); err != nil {
		return &Error{Kind: KindInternal, Message: "setting up the script: " + err.Error()}
	}
	setup, err := preludeCode()
	if err != nil {
		return &Error{Kind: KindInternal, Message: "compiling the prelude: " + err.Error()}
	}
	if err := x.arm(vm, parent); err != nil {
		return err
	}
	// The prelude takes the host functions and hides them.
	init, err := vm.EvalBytecodeValue(setup)
	if err != nil {
		return x.fail(parent, err, KindInternal)
	}
	defer init.Free()
	if err := x.arm(vm, parent); err != nil {
		return err
	}
	start, err := init.CallValue(quickjs.UndefinedValue, maxLineChars, MaxOutputBytes, x.mem/16)
	if err != nil {
		return x.fail(parent, err, KindInternal)
	}
	defer start.Free()
	if err := x.arm(vm, parent); err != nil {
		return err
	}
	main, err := vm.EvalValue(wrap(x.req.Code), quickjs.EvalGlobal)
	if err != nil {
		return x.fail(parent, err, KindSyntax)
	}
	defer main.Free()
	if err := x.arm(vm, parent); err != nil {
		return err
	}
	if _, err := start.Call(quickjs.UndefinedValue, main); err != nil {
		return x.fail(parent, err, KindThrown)
	}
	for !x.finished {
		if err := x.arm(vm, parent); err != nil {
			return err
		}
		n, err := vm.ExecutePendingJobs()
		if err != nil && !x.finished {
			return x.fail(parent, err, KindThrown)
		}
		if n == 0 && !x.finished {
			return &Error{Kind: KindLimit, Message: "the script awaited a promise that never settles"}
		}
	}
	if x.failure != nil {
		return x.fail(parent, x.failure, KindThrown)
	}
	return nil
}

// arm sets the VM's eval timeout to what is left before the deadline (the
// engine re-arms it on every entry) or reports the end of time.
func (x *execution) arm(vm *quickjs.VM, parent context.Context) error {
	left := time.Until(x.deadline)
	if parent.Err() != nil {
		return x.canceled(parent)
	}
	if left <= 0 {
		return x.timedOut(nil)
	}
	return vm.SetEvalTimeout(left)
}

// fail turns an error out of the VM into an *Error, telling a timeout or
// a cancellation from the script's own errors.
func (x *execution) fail(parent context.Context, err error, kind string) error {
	if parent.Err() != nil {
		return x.canceled(parent)
	}
	if isInterrupt(err) || !time.Now().Before(x.deadline) {
		return x.timedOut(err)
	}
	return fromJS(err, kind, x.codeLines)
}

func (x *execution) timedOut(err error) error {
	e := &Error{Kind: KindTimeout, Message: fmt.Sprintf("the script ran longer than its timeout (%s)", x.timeout)}
	if err != nil {
		if p := fromJS(err, KindTimeout, x.codeLines); p.Line > 0 {
			e.Line, e.Column = p.Line, p.Column
		}
	}
	return e
}

// canceled is the error of a script whose caller's context ended: its
// deadline (a timeout, like the script's own) or a cancellation
// (shutdown: KindCanceled, worth running again).
func (x *execution) canceled(parent context.Context) error {
	if errors.Is(parent.Err(), context.DeadlineExceeded) {
		return &Error{Kind: KindTimeout, Message: "the script was stopped at its step's deadline, before its own timeout (" + x.timeout.String() + ")"}
	}
	return &Error{Kind: KindCanceled, Message: "the script was stopped: " + context.Cause(parent).Error()}
}

// preludeCode is the prelude compiled once: the bytecode of a function
// (maxLine, maxValue, maxLength) that hands the host functions to the
// prelude, deletes their globals and returns start.
var preludeCode = sync.OnceValues(func() ([]byte, error) {
	vm, err := quickjs.NewVM()
	if err != nil {
		return nil, err
	}
	defer closeVM(vm)
	src := "(function(maxLine,maxValue,maxLength){const s=(" + prelude + ")(" + joinNames() +
		",maxLine,maxValue,maxLength);for(const k of " + mustJSON(hostNames) + ")delete globalThis[k];return s;})"
	return vm.Compile(src, quickjs.EvalGlobal)
})

func joinNames() string {
	s := ""
	for i, n := range hostNames {
		if i > 0 {
			s += ","
		}
		s += n
	}
	return s
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// register defines the host functions (in hostNames' order).
func (x *execution) register(vm *quickjs.VM) error {
	fns := []any{
		func() string { return x.input },
		x.log,
		x.set,
		x.table,
		x.selectRecords,
		x.selectRecord,
		x.finish,
	}
	for i, f := range fns {
		if err := vm.RegisterFunc(hostNames[i], f, false); err != nil {
			return err
		}
	}
	return nil
}

var levelPrefix = [...]string{"", "", "[warn] ", "[error] "}

// log keeps one console line while the caps allow; false tells the
// prelude to stop formatting lines.
func (x *execution) log(level int, line string) bool {
	if x.logsFull {
		return false
	}
	if level >= 0 && level < len(levelPrefix) {
		line = levelPrefix[level] + line
	}
	if len(x.res.Logs) >= MaxLogLines || x.logBytes+len(line) > MaxLogBytes {
		if room := MaxLogBytes - x.logBytes; len(x.res.Logs) < MaxLogLines && room > 0 {
			x.res.Logs = append(x.res.Logs, cut(line, room))
		}
		x.logsFull = true
		x.res.Logs = append(x.res.Logs, fmt.Sprintf("%s: more than %d lines or %d KiB were logged; the rest was dropped", TruncatedMarker, MaxLogLines, MaxLogBytes>>10))
		return false
	}
	x.logBytes += len(line)
	x.res.Logs = append(x.res.Logs, line)
	return true
}

// cut returns at most n bytes of s, on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// set stores one output key ("" or what is wrong).
func (x *execution) set(key, value string) string {
	if key == "logs" {
		return `the key "logs" is reserved for the console output`
	}
	size := x.outBytes - len(x.res.Output[key]) + len(key) + len(value)
	if size > MaxOutputBytes {
		return fmt.Sprintf("the output would be larger than %d KiB", MaxOutputBytes>>10)
	}
	x.outBytes = size
	x.res.Output[key] = json.RawMessage(value)
	return ""
}

// finish records the end of the script's main function.
func (x *execution) finish(failed bool, v quickjs.Value) {
	x.finished = true
	if failed {
		x.failure = quickjs.ErrorFromValue(v)
	}
}

// reply is a host function's answer to the prelude: {"value": …} or
// {"error": "…"}.
func reply(v any, err error) string {
	if err != nil {
		return mustJSON(map[string]string{"error": err.Error()})
	}
	b, err := json.Marshal(map[string]any{"value": v})
	if err != nil {
		return mustJSON(map[string]string{"error": "encoding the answer: " + err.Error()})
	}
	if len(b) > MaxReadBytes {
		return mustJSON(map[string]string{"error": fmt.Sprintf("the answer is larger than %d MiB; select fewer records (filter, limit)", MaxReadBytes>>20)})
	}
	return string(b)
}

var errNoBase = errors.New("this script has no base to read records from")

// read counts one read and says why it may not happen (nil: it may).
func (x *execution) read() error {
	if x.req.Base == nil {
		return errNoBase
	}
	x.reads++
	if x.reads > MaxReads {
		return fmt.Errorf("more than %d record reads in one script", MaxReads)
	}
	return nil
}

func (x *execution) table(name string) string {
	if err := x.read(); err != nil {
		return reply(nil, err)
	}
	t, err := x.req.Base.Table(x.ctx, name)
	if t.Fields == nil {
		t.Fields = []Field{}
	}
	return reply(t, err)
}

func (x *execution) selectRecords(tableID, opts string) string {
	if err := x.read(); err != nil {
		return reply(nil, err)
	}
	var q Query
	dec := json.NewDecoder(bytes.NewReader([]byte(opts)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		return reply(nil, fmt.Errorf("selectRecordsAsync: bad options (filter, sort, limit): %v", err))
	}
	recs, err := x.req.Base.SelectRecords(x.ctx, tableID, q)
	if recs == nil {
		recs = []Record{}
	}
	return reply(recs, err)
}

func (x *execution) selectRecord(tableID, id string) string {
	if err := x.read(); err != nil {
		return reply(nil, err)
	}
	r, err := x.req.Base.SelectRecord(x.ctx, tableID, id)
	if r == nil {
		return reply(nil, err)
	}
	return reply(r, err)
}
