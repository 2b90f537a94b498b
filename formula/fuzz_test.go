package formula

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// FuzzParse checks that Parse never panics, that its errors are
// *SyntaxError inside the source, and that for successful parses Eval
// never panics and returns only the documented forms.
func FuzzParse(f *testing.F) {
	for _, src := range goodSources {
		f.Add(src)
	}
	for _, c := range badSources {
		if len(c.src) <= 1000 {
			f.Add(c.src)
		}
	}
	for _, c := range evalCases {
		f.Add(c.src)
	}
	env := testEnv()
	env.Values = map[string]any{}
	for k, v := range testEnv().Values {
		if k != "Big" { // keep each fuzz run fast
			env.Values[k] = v
		}
	}
	env.Values["Big"] = strings.Repeat("xy ", 300)
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T %v, want *SyntaxError", src, err, err)
			}
			if se.Pos < 0 || se.Pos > len(src) {
				t.Fatalf("Parse(%q) error position %d outside the source", src, se.Pos)
			}
			return
		}
		if e.String() != src {
			t.Fatalf("String() = %q, want %q", e.String(), src)
		}
		v, err := e.Eval(env)
		if err != nil {
			var ee *EvalError
			if !errors.As(err, &ee) {
				t.Fatalf("Eval(%q) error %T %v, want *EvalError", src, err, err)
			}
			return
		}
		checkResult(t, src, v, true)
	})
}

func checkResult(t *testing.T, src string, v any, top bool) {
	switch x := v.(type) {
	case nil, bool, time.Time:
	case string:
		if len(x) > MaxStringLen {
			t.Fatalf("Eval(%q) built a %d-byte string", src, len(x))
		}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || (x == 0 && math.Signbit(x)) {
			t.Fatalf("Eval(%q) = %v, not a finite number (or -0)", src, x)
		}
	case []any:
		if !top {
			t.Fatalf("Eval(%q) returned a nested list", src)
		}
		for _, e := range x {
			checkResult(t, src, e, false)
		}
	default:
		t.Fatalf("Eval(%q) = %#v (%T), not a runtime value", src, v, v)
	}
}
