package script

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeBase serves one table of two records.
type fakeBase struct{}

func (fakeBase) Table(_ context.Context, name string) (Table, error) {
	if name != "Orders" && name != "tbl_1" {
		return Table{}, fmt.Errorf("no table %q", name)
	}
	return Table{ID: "tbl_1", Name: "Orders", Fields: []Field{{ID: "fld_1", Name: "Amount", Type: "number"}}}, nil
}

func (fakeBase) SelectRecords(_ context.Context, tableID string, q Query) ([]Record, error) {
	recs := []Record{{ID: "rec_1", Fields: map[string]any{"Amount": 10}}, {ID: "rec_2", Fields: map[string]any{"Amount": 32}}}
	if q.Limit > 0 && q.Limit < len(recs) {
		recs = recs[:q.Limit]
	}
	return recs, nil
}

func (fakeBase) SelectRecord(_ context.Context, tableID, id string) (*Record, error) {
	if id == "rec_1" {
		return &Record{ID: "rec_1", Fields: map[string]any{"Amount": 10}}, nil
	}
	return nil, nil
}

func run(t *testing.T, code string, mod ...func(*Request)) (*Result, *Error) {
	t.Helper()
	req := Request{Code: code, Timeout: 500 * time.Millisecond, MemoryBytes: 32 << 20, Base: fakeBase{}}
	for _, m := range mod {
		m(&req)
	}
	res, err := NewRunner(Opts{Concurrency: 1}).Run(context.Background(), req)
	require.NotNil(t, res)
	if err == nil {
		return res, nil
	}
	var se *Error
	require.True(t, errors.As(err, &se), "error %T %v", err, err)
	return res, se
}

func TestUseful(t *testing.T) {
	t.Parallel()
	res, err := run(t, `
const {a, b} = input.config();
console.log('sum', a + b, {x: 1});
console.warn('careful');
output.set('sum', a + b);
const q = await base.getTable('Orders').selectRecordsAsync({limit: 5});
output.set('total', q.records.reduce((s, r) => s + r.getCellValue('Amount'), 0));
const one = await base.getTable('tbl_1').selectRecordAsync('rec_1');
output.set('one', one.getCellValueAsString('fld_1'));
output.set('none', await base.getTable('Orders').selectRecordAsync('rec_x'));
`, func(r *Request) { r.Input = map[string]any{"a": 2, "b": 3} })
	require.Nil(t, err)
	require.JSONEq(t, `5`, string(res.Output["sum"]))
	require.JSONEq(t, `42`, string(res.Output["total"]))
	require.JSONEq(t, `"10"`, string(res.Output["one"]))
	require.JSONEq(t, `null`, string(res.Output["none"]))
	require.Equal(t, []string{`sum 5 {"x":1}`, "[warn] careful"}, res.Logs)
}

func TestErrorsHaveTheirPlace(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code      string
		kind      string
		msg       string
		line, col int
	}{
		{"let x = 1;\nlet y = ;", KindSyntax, "SyntaxError", 2, 9},
		{"let y = ;", KindSyntax, "SyntaxError", 1, 9},
		{"\n\n  throw new Error('boom')", KindThrown, "Error: boom", 3, 18},
		{"const o = {}; o.o = o;\noutput.set('x', o)", KindThrown, "not JSON-serialisable", 2, 11},
		{"output.set('f', () => 1)", KindThrown, "not JSON-serialisable", 1, 11},
		{"await base.getTable('Nope')", KindThrown, `no table "Nope"`, 1, 20},
		{"throw 'just a string'", KindThrown, "just a string", 0, 0},
		{"await new Promise(() => {})", KindLimit, "never settles", 0, 0},
		{"output.set('logs', 1)", KindThrown, "reserved", 1, 11},
	}
	for _, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			t.Parallel()
			_, err := run(t, c.code)
			require.NotNil(t, err)
			require.Equal(t, c.kind, err.Kind, "%v", err)
			require.Contains(t, err.Message, c.msg)
			require.Equal(t, c.line, err.Line, "%v", err)
			if c.col > 0 {
				require.Equal(t, c.col, err.Column, "%v", err)
			}
		})
	}
}

// TestHostile is the hostile set: each ends with a clear error
// soon after its timeout, and the next execution works. The bound here
// is loose (timeout + 400 ms: `make test` runs every package at once on
// two cores); e2e/script_test.go asserts the timeout + 100 ms
// per step on a real server.
func TestHostile(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	cases := []struct {
		name, code string
		kinds      []string
		msg        string
	}{
		{"busy loop", "for(;;){}", []string{KindTimeout}, "timeout"},
		{"try loop", "while(true){try{}catch(e){}}", []string{KindTimeout}, "timeout"},
		{"recursion", "function f(){f()};f()", []string{KindThrown}, "stack overflow"},
		{"huge repeat", "'x'.repeat(2**30)", []string{KindThrown, KindMemory}, ""},
		{"huge array", "new Array(1e9).fill(1)", []string{KindMemory, KindTimeout, KindThrown}, ""},
		{"200 MB string", "let s = ''; for (let i = 0; i < 200; i++) s += 'x'.repeat(1<<20) + i; output.set('n', s.length)", []string{KindMemory, KindThrown, KindTimeout}, ""},
		{"require", "require('fs')", []string{KindThrown}, "'require' is not defined"},
		{"fetch", "await fetch('http://127.0.0.1')", []string{KindThrown}, "'fetch' is not defined"},
		{"import", "await import('x')", []string{KindThrown}, ""},
		{"std", "globalThis.std.open('/etc/passwd')", []string{KindThrown}, "undefined"},
		{"os", "os.exec(['ls'])", []string{KindThrown}, "'os' is not defined"},
		{"Date.now busy", "const t = Date.now(); while (Date.now() - t < 1e9) {}", []string{KindTimeout}, "timeout"},
		{"output cycle", "const a = []; a.push(a); output.set('a', a)", []string{KindThrown}, "JSON-serialisable"},
		{"100k lines", "for (let i = 0; i < 100000; i++) console.log('line', i)", nil, ""},
		{"await loop", "for(;;) await null", []string{KindTimeout}, "timeout"},
		{"promise flood", "for(;;) Promise.resolve().then(() => {})", []string{KindTimeout, KindMemory}, ""},
		{"regexp backtracking", "/(a+)+$/.test('a'.repeat(40) + 'b')", []string{KindTimeout}, "timeout"},
		{"deep JSON", "JSON.parse('['.repeat(1e6))", []string{KindThrown}, ""},
		{"deep parse", "eval('('.repeat(100000))", []string{KindThrown}, ""},
		{"array buffer", "new ArrayBuffer(1e9)", []string{KindThrown, KindMemory}, ""},
		{"huge output", "output.set('x', 'y'.repeat(2 << 20))", []string{KindThrown}, "larger than 1 MiB"},
		{"catch the timeout", "for(;;) { try { for(;;){} } catch (e) {} }", []string{KindTimeout}, "timeout"},
		{"finally", "try { for(;;){} } finally { for(;;){} }", []string{KindTimeout}, "timeout"},
		{"getter bomb", "output.set('x', {get a() { for(;;){} }})", []string{KindTimeout}, "timeout"},
		{"toString log", "console.log({toJSON() { for(;;){} }})", []string{KindTimeout}, "timeout"},
		{"array-like indexOf", "Array.prototype.indexOf.call({length: 2**40}, 1)", []string{KindThrown}, "more than a script may use"},
		{"array-like concat", "[].concat({length: 2**40, [Symbol.isConcatSpreadable]: true})", []string{KindThrown}, "more than a script may use"},
		{"sparse array sort", "const a = []; a.length = 2**32 - 1; a.sort()", []string{KindThrown}, "more than a script may use"},
		{"array-like find", "Array.prototype.find.call({length: 2**40}, () => false)", []string{KindTimeout}, "timeout"},
		{"array-like toString", "Array.prototype.toString.call({length: 2**40, join: Array.prototype.join})", []string{KindThrown}, "more than a script may use"},
		{"Atomics.wait", "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)", []string{KindThrown}, "cannot block"},
	}
	// One at a time: each case's time is measured.
	runner := NewRunner(Opts{Concurrency: 1})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			res, err := runner.Run(context.Background(), Request{Code: c.code, Timeout: timeout, MemoryBytes: 64 << 20, Base: fakeBase{}})
			took := res.Ran
			require.Less(t, took, timeout+400*time.Millisecond, "ran %s (waited %s, total %s)", took, res.Waited, time.Since(start))
			if c.kinds == nil {
				require.NoError(t, err)
				require.Len(t, res.Logs, MaxLogLines+1)
				require.True(t, strings.HasPrefix(res.Logs[MaxLogLines], TruncatedMarker))
				return
			}
			var se *Error
			require.True(t, errors.As(err, &se), "%T %v", err, err)
			require.Contains(t, c.kinds, se.Kind, "%v", se)
			require.Contains(t, se.Error(), c.msg)
			t.Logf("%s: %v (%s)", c.name, se, took)
		})
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	require.NoError(t, Check(context.Background(), "const x = await 1; return x"))
	err := Check(context.Background(), "const a = 1;\n  a +* 2")
	var se *Error
	require.True(t, errors.As(err, &se))
	require.Equal(t, KindSyntax, se.Kind)
	require.Equal(t, 2, se.Line)
	require.Equal(t, 6, se.Column)
	require.Error(t, Check(context.Background(), strings.Repeat("x", MaxCodeBytes+1)))
	require.Error(t, Check(context.Background(), "  "))
}

func TestInputTooLarge(t *testing.T) {
	t.Parallel()
	_, err := run(t, "1", func(r *Request) { r.Input = map[string]any{"x": strings.Repeat("a", MaxInputBytes)} })
	require.NotNil(t, err)
	require.Equal(t, KindLimit, err.Kind)
}

func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	r := NewRunner(Opts{Concurrency: 1})
	done := make(chan time.Duration, 2)
	for range 2 {
		go func() {
			res, _ := r.Run(context.Background(), Request{Code: "for(;;){}", Timeout: 200 * time.Millisecond})
			done <- res.Waited
		}()
	}
	a, b := <-done, <-done
	require.Greater(t, max(a, b), 150*time.Millisecond, "one of two scripts waited for the other")
}

func TestOutputJSON(t *testing.T) {
	t.Parallel()
	res, err := run(t, "output.set('a', {b: [1, 'x', null]}); output.set('u', undefined)")
	require.Nil(t, err)
	raw, _ := json.Marshal(res.Output)
	require.JSONEq(t, `{"a":{"b":[1,"x",null]},"u":null}`, string(raw))
}

// panicBase panics inside a host function, the way a bug in the engine
// or in a Base would.
type panicBase struct{ fakeBase }

func (panicBase) Table(context.Context, string) (Table, error) { panic("boom in the host") }

func TestPanicFailsTheExecutionNotTheProcess(t *testing.T) {
	t.Parallel()
	r := NewRunner(Opts{Concurrency: 1})
	_, err := r.Run(context.Background(), Request{Code: "base.getTable('x')", Base: panicBase{}, Timeout: time.Second})
	var se *Error
	require.True(t, errors.As(err, &se), "%v", err)
	require.Equal(t, KindInternal, se.Kind)
	require.Contains(t, se.Message, "boom in the host")
	// The slot was given back and the next script runs.
	res, err := r.Run(context.Background(), Request{Code: "output.set('ok', 1)", Timeout: time.Second})
	require.NoError(t, err)
	require.JSONEq(t, "1", string(res.Output["ok"]))
}

// stuckBase blocks in Table, ignoring its context, until release closes.
type stuckBase struct {
	fakeBase
	release chan struct{}
}

func (b stuckBase) Table(context.Context, string) (Table, error) {
	<-b.release
	return Table{}, errors.New("late")
}

// TestOverrunIsAbandoned: engine work that does not check the deadline (a
// stuck built-in; here a host function) does not hold Run past the
// deadline plus abandonGrace, and its slot is freed once it returns.
func TestOverrunIsAbandoned(t *testing.T) {
	t.Parallel()
	r := NewRunner(Opts{Concurrency: 1})
	release := make(chan struct{})
	start := time.Now()
	_, err := r.Run(context.Background(), Request{Code: "base.getTable('x')", Timeout: 100 * time.Millisecond, Base: stuckBase{release: release}})
	took := time.Since(start)
	var se *Error
	require.True(t, errors.As(err, &se), "%v", err)
	require.Equal(t, KindTimeout, se.Kind)
	require.Less(t, took, 100*time.Millisecond+abandonGrace+50*time.Millisecond)
	close(release)
	res, err := r.Run(context.Background(), Request{Code: "output.set('ok', 1)", Timeout: time.Second})
	require.NoError(t, err, "the slot came back")
	require.JSONEq(t, "1", string(res.Output["ok"]))
}

func TestCallerDeadlineIsATimeoutAndCancelIsNot(t *testing.T) {
	t.Parallel()
	r := NewRunner(Opts{Concurrency: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := r.Run(ctx, Request{Code: "for(;;){}", Timeout: 5 * time.Second})
	var se *Error
	require.True(t, errors.As(err, &se), "%v", err)
	require.Equal(t, KindTimeout, se.Kind, "%v", se)

	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel2)
	start := time.Now()
	_, err = r.Run(ctx2, Request{Code: "for(;;){}", Timeout: 5 * time.Second})
	require.True(t, errors.As(err, &se), "%v", err)
	require.Equal(t, KindCanceled, se.Kind, "%v", se)
	require.Less(t, time.Since(start), time.Second)
}

func TestReadsAreCapped(t *testing.T) {
	t.Parallel()
	_, err := run(t, "const t = base.getTable('Orders'); for (;;) await t.selectRecordAsync('rec_1')", func(r *Request) { r.Timeout = 5 * time.Second })
	require.NotNil(t, err)
	require.Contains(t, err.Message, "more than 200 record reads")
}
