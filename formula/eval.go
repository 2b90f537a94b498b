package formula

import (
	"fmt"
	"math"
	"time"

	"github.com/rowflow/rowflow/field"
)

// EvalError is a runtime error of Eval (a wrong value type, a division by
// zero, a bound exceeded...).
type EvalError struct {
	Msg string
}

// Error returns "formula: <msg>".
func (e *EvalError) Error() string { return "formula: " + e.Msg }

func evalErrf(format string, args ...any) *EvalError {
	return &EvalError{Msg: fmt.Sprintf(format, args...)}
}

// Env gives the evaluator field values and the clock.
//
// An Env may also have a method Location() *time.Location (MapEnv has):
// datetime field values are then shown in that zone (DATETIME_FORMAT,
// HOUR...), and TODAY() is the date in that zone. Without it, UTC.
type Env interface {
	// Field returns the canonical cell value (see package field: string,
	// float64 or json.Number, bool, []string / []any, nil) and the field
	// type; ok=false if no such field.
	Field(name string) (value any, t field.Type, ok bool)
	Now() time.Time
}

// MapEnv is a simple Env for tests and callers: Values keyed by field name,
// Types keyed by field name (missing type = text), Clock (zero =
// time.Now()), Loc (nil = UTC) the time zone of NOW(), TODAY() and
// datetime fields.
//
// A name present in Types but not in Values is an existing empty field.
type MapEnv struct {
	Values map[string]any
	Types  map[string]field.Type
	Clock  time.Time
	Loc    *time.Location
}

// Field implements Env.
func (m MapEnv) Field(name string) (any, field.Type, bool) {
	v, inValues := m.Values[name]
	t, inTypes := m.Types[name]
	if !inValues && !inTypes {
		return nil, "", false
	}
	if t == "" {
		t = field.Text
	}
	return v, t, true
}

// Now implements Env.
func (m MapEnv) Now() time.Time {
	t := m.Clock
	if t.IsZero() {
		t = time.Now()
	}
	return t.In(m.location())
}

// Location is the zone of datetime values and TODAY() (see Env).
func (m MapEnv) Location() *time.Location { return m.location() }

func (m MapEnv) location() *time.Location {
	if m.Loc == nil {
		return time.UTC
	}
	return m.Loc
}

// locationEnv is the optional Env method described on Env.
type locationEnv interface {
	Location() *time.Location
}

// evaluator is the state of one Eval.
type evaluator struct {
	env    Env
	loc    *time.Location
	now    time.Time
	hasNow bool
	spent  int // bytes built or scanned so far, bounded by MaxEvalBytes
}

// Eval evaluates against env (nil: no fields, the real clock). Result is
// one of: nil (BLANK), string, float64, bool, time.Time, []any. Runtime
// errors are *EvalError.
func (e *Expr) Eval(env Env) (any, error) {
	if env == nil {
		env = MapEnv{}
	}
	ev := &evaluator{env: env, loc: time.UTC}
	if l, ok := env.(locationEnv); ok {
		if loc := l.Location(); loc != nil {
			ev.loc = loc
		}
	}
	v, err := e.root.eval(ev)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// clock returns NOW(), read once per Eval so that every NOW()/TODAY() of a
// formula agrees.
func (ev *evaluator) clock() time.Time {
	if !ev.hasNow {
		ev.now = ev.env.Now().In(ev.loc)
		ev.hasNow = true
	}
	return ev.now
}

// reserve checks that a string of n bytes may be built and charges it to
// the evaluation budget.
func (ev *evaluator) reserve(n int) error {
	if n > MaxStringLen {
		return evalErrf("string too long (max %d bytes)", MaxStringLen)
	}
	return ev.charge(n)
}

// charge counts n bytes of work (strings built, text scanned by regular
// expressions) against MaxEvalBytes.
func (ev *evaluator) charge(n int) error {
	ev.spent += n
	if ev.spent > MaxEvalBytes {
		return evalErrf("formula too expensive (over %d bytes of text processed)", MaxEvalBytes)
	}
	return nil
}

// str returns s as a result after checking the string bounds.
func (ev *evaluator) str(s string) (any, error) {
	if err := ev.reserve(len(s)); err != nil {
		return nil, err
	}
	return s, nil
}

func (n *literal) eval(*evaluator) (any, error) { return n.v, nil }

func (n *fieldRef) eval(ev *evaluator) (any, error) {
	raw, t, ok := ev.env.Field(n.name)
	if !ok {
		return nil, nil
	}
	v := fieldValue(raw, t)
	if tm, ok := v.(time.Time); ok && t == field.DateTime {
		v = tm.In(ev.loc)
	}
	return v, nil
}

func (n *unary) eval(ev *evaluator) (any, error) {
	v, err := n.x.eval(ev)
	if err != nil {
		return nil, err
	}
	f, err := toNumber(v)
	if err != nil {
		return nil, err
	}
	return num(0 - f), nil
}

func (n *binary) eval(ev *evaluator) (any, error) {
	l, err := n.l.eval(ev)
	if err != nil {
		return nil, err
	}
	r, err := n.r.eval(ev)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case tAmp:
		ls, rs := toString(l), toString(r)
		if err := ev.reserve(len(ls) + len(rs)); err != nil {
			return nil, err
		}
		return ls + rs, nil
	case tPlus, tMinus, tStar, tSlash:
		a, err := toNumber(l)
		if err != nil {
			return nil, err
		}
		b, err := toNumber(r)
		if err != nil {
			return nil, err
		}
		var f float64
		switch n.op {
		case tPlus:
			f = a + b
		case tMinus:
			f = a - b
		case tStar:
			f = a * b
		case tSlash:
			if b == 0 {
				return nil, &EvalError{Msg: "division by zero"}
			}
			f = a / b
		}
		return finite(f)
	}
	c, ok := compare(l, r)
	switch n.op {
	case tEq:
		return ok && c == 0, nil
	case tNe:
		return !ok || c != 0, nil
	case tLt:
		return ok && c < 0, nil
	case tGt:
		return ok && c > 0, nil
	case tLe:
		return ok && c <= 0, nil
	case tGe:
		return ok && c >= 0, nil
	}
	return nil, evalErrf("unknown operator %s", n.op)
}

// finite returns f as a result, or an error for overflow.
func finite(f float64) (any, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, &EvalError{Msg: "number out of range"}
	}
	return num(f), nil
}

func (n *call) eval(ev *evaluator) (any, error) {
	if n.def.lazy != nil {
		return n.def.lazy(ev, n.args)
	}
	args := make([]any, len(n.args))
	for i, a := range n.args {
		v, err := a.eval(ev)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	return n.def.fn(ev, args)
}
