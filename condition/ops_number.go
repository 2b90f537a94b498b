package condition

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/rowflow/rowflow/field"
)

// compileNumber builds the comparisons of number fields. The value must be
// a finite JSON number (a numeric string is refused).
func compileNumber(_ field.Field, op string, v any, vpath string) (predicate, error) {
	if op == opAnyOf || op == opNoneOf {
		list, err := listValue(v, vpath, op)
		if err != nil {
			return nil, err
		}
		want := make([]float64, len(list))
		for i, e := range list {
			if want[i], err = numberValue(e, index(vpath, i)); err != nil {
				return nil, err
			}
		}
		neg := op == opNoneOf
		return func(cell any, _ time.Time) (bool, bool) {
			x, ok := cellNumber(cell)
			if !ok {
				return false, false
			}
			for _, w := range want {
				if x == w {
					return !neg, true
				}
			}
			return neg, true
		}, nil
	}
	want, err := numberValue(v, vpath)
	if err != nil {
		return nil, err
	}
	var cmp func(x float64) bool
	switch op {
	case opIs:
		cmp = func(x float64) bool { return x == want }
	case opIsNot:
		cmp = func(x float64) bool { return x != want }
	case opGt:
		cmp = func(x float64) bool { return x > want }
	case opGte:
		cmp = func(x float64) bool { return x >= want }
	case opLt:
		cmp = func(x float64) bool { return x < want }
	default: // opLte
		cmp = func(x float64) bool { return x <= want }
	}
	return func(cell any, _ time.Time) (bool, bool) {
		x, ok := cellNumber(cell)
		if !ok {
			return false, false
		}
		return cmp(x), true
	}, nil
}

// numberValue reads a finite number value.
func numberValue(v any, vpath string) (float64, error) {
	x, ok := toFloat(v)
	if !ok {
		return 0, pathErr(vpath, "must be a number, got %s", describe(v))
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, pathErr(vpath, "must be a finite number, got %s", describe(v))
	}
	return x, nil
}

// cellNumber reads a number cell (float64 or json.Number canonically).
func cellNumber(cell any) (float64, bool) {
	x, ok := toFloat(cell)
	return x, ok && !math.IsNaN(x)
}

// toFloat converts a JSON or Go number.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		x, err := strconv.ParseFloat(string(n), 64)
		return x, err == nil
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}

// compileCheckbox builds is / is_not of checkbox fields: the value is a
// boolean, and a cell that is empty (or not a boolean) counts as false.
func compileCheckbox(_ field.Field, op string, v any, vpath string) (predicate, error) {
	want, ok := v.(bool)
	if !ok {
		return nil, pathErr(vpath, "must be true or false, got %s", describe(v))
	}
	neg := op == opIsNot
	return func(cell any, _ time.Time) (bool, bool) {
		b, _ := cell.(bool)
		return (b == want) != neg, true
	}, nil
}
