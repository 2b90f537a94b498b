package formula

import (
	"math"
	"strconv"
	"time"
)

// mathFuncs are the numeric functions. The aggregate ones (SUM, MIN, MAX,
// AVERAGE, COUNT...) are variadic and flatten lists.
var mathFuncs = map[string]funcDef{
	"ROUND":     {min: 1, max: 2, fn: fnRound},
	"ROUNDUP":   {min: 1, max: 2, fn: fnRoundUp},
	"ROUNDDOWN": {min: 1, max: 2, fn: fnRoundDown},
	"INT":       {min: 1, max: 1, fn: fnInt},
	"CEILING":   {min: 1, max: 2, fn: fnCeiling},
	"FLOOR":     {min: 1, max: 2, fn: fnFloor},
	"ABS":       {min: 1, max: 1, fn: fnAbs},
	"MOD":       {min: 2, max: 2, fn: fnMod},
	"POWER":     {min: 2, max: 2, fn: fnPower},
	"SQRT":      {min: 1, max: 1, fn: fnSqrt},
	"SUM":       {min: 1, max: variadic, fn: fnSum},
	"AVERAGE":   {min: 1, max: variadic, fn: fnAverage},
	"MIN":       {min: 1, max: variadic, fn: fnMin},
	"MAX":       {min: 1, max: variadic, fn: fnMax},
	"COUNT":     {min: 1, max: variadic, fn: fnCount},
	"COUNTA":    {min: 1, max: variadic, fn: fnCountA},
	"COUNTALL":  {min: 1, max: variadic, fn: fnCountAll},
}

// argNum converts an argument of fn to a number, naming fn in the error.
func argNum(fn string, v any) (float64, error) {
	f, err := toNumber(v)
	if err != nil {
		return 0, evalErrf("%s: %s", fn, err.(*EvalError).Msg)
	}
	return f, nil
}

// precisionArg reads the optional precision (default 0) of ROUND*.
func precisionArg(fn string, args []any) (float64, int, error) {
	x, err := argNum(fn, args[0])
	if err != nil {
		return 0, 0, err
	}
	p := 0
	if len(args) > 1 {
		if p, err = argInt(fn, args[1]); err != nil {
			return 0, 0, err
		}
	}
	return x, p, nil
}

// sig15 rounds f to 15 significant digits, hiding binary noise so that
// ROUND(1.005, 2) is 1.01 as in a spreadsheet.
func sig15(f float64) float64 {
	g, err := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	if err != nil {
		return f
	}
	return g
}

// roundWith rounds x to p decimal places (p < 0: tens, hundreds...) with
// mode applied to the scaled value.
func roundWith(x float64, p int, mode func(float64) float64) (any, error) {
	switch {
	case p > 15:
		return x, nil
	case p < -308:
		return 0.0, nil
	}
	x = sig15(x)
	if p >= 0 && math.Abs(x)*math.Pow10(p) >= 1e17 {
		return x, nil // no digits left to round
	}
	var r float64
	if p >= 0 {
		s := math.Pow10(p)
		r = mode(sig15(x*s)) / s
	} else {
		s := math.Pow10(-p)
		r = mode(sig15(x/s)) * s
	}
	return finite(r)
}

// ROUND(n, precision?) rounds half away from zero.
func fnRound(_ *evaluator, args []any) (any, error) {
	x, p, err := precisionArg("ROUND", args)
	if err != nil {
		return nil, err
	}
	return roundWith(x, p, math.Round)
}

// ROUNDUP(n, precision?) rounds away from zero.
func fnRoundUp(_ *evaluator, args []any) (any, error) {
	x, p, err := precisionArg("ROUNDUP", args)
	if err != nil {
		return nil, err
	}
	return roundWith(x, p, func(f float64) float64 {
		if f < 0 {
			return -math.Ceil(-f)
		}
		return math.Ceil(f)
	})
}

// ROUNDDOWN(n, precision?) rounds toward zero.
func fnRoundDown(_ *evaluator, args []any) (any, error) {
	x, p, err := precisionArg("ROUNDDOWN", args)
	if err != nil {
		return nil, err
	}
	return roundWith(x, p, math.Trunc)
}

// INT(n): the greatest integer ≤ n.
func fnInt(_ *evaluator, args []any) (any, error) {
	x, err := argNum("INT", args[0])
	if err != nil {
		return nil, err
	}
	return num(math.Floor(x)), nil
}

// CEILING(n, significance?) and FLOOR(n, significance?) round up / down to
// a multiple of significance (default 1; 0 gives 0).
func fnCeiling(_ *evaluator, args []any) (any, error) { return toMultiple("CEILING", args, math.Ceil) }
func fnFloor(_ *evaluator, args []any) (any, error)   { return toMultiple("FLOOR", args, math.Floor) }

func toMultiple(fn string, args []any, mode func(float64) float64) (any, error) {
	x, err := argNum(fn, args[0])
	if err != nil {
		return nil, err
	}
	sig := 1.0
	if len(args) > 1 {
		if sig, err = argNum(fn, args[1]); err != nil {
			return nil, err
		}
	}
	if sig == 0 {
		return 0.0, nil
	}
	sig = math.Abs(sig)
	return finite(mode(sig15(x/sig)) * sig)
}

func fnAbs(_ *evaluator, args []any) (any, error) {
	x, err := argNum("ABS", args[0])
	if err != nil {
		return nil, err
	}
	return math.Abs(x), nil
}

// MOD(n, d): the remainder of n / d, with the sign of n (as JavaScript's %).
func fnMod(_ *evaluator, args []any) (any, error) {
	x, err := argNum("MOD", args[0])
	if err != nil {
		return nil, err
	}
	d, err := argNum("MOD", args[1])
	if err != nil {
		return nil, err
	}
	if d == 0 {
		return nil, &EvalError{Msg: "MOD: division by zero"}
	}
	return finite(math.Mod(x, d))
}

func fnPower(_ *evaluator, args []any) (any, error) {
	x, err := argNum("POWER", args[0])
	if err != nil {
		return nil, err
	}
	y, err := argNum("POWER", args[1])
	if err != nil {
		return nil, err
	}
	return finite(math.Pow(x, y))
}

func fnSqrt(_ *evaluator, args []any) (any, error) {
	x, err := argNum("SQRT", args[0])
	if err != nil {
		return nil, err
	}
	if x < 0 {
		return nil, &EvalError{Msg: "SQRT: negative number"}
	}
	return math.Sqrt(x), nil
}

// numbers flattens args and converts every non-blank item (BLANK and ""
// are skipped) to a number.
func numbers(fn string, args []any) ([]float64, error) {
	var out []float64
	for _, a := range args {
		for _, v := range flatten(nil, a) {
			if v == nil || v == "" {
				continue
			}
			f, err := argNum(fn, v)
			if err != nil {
				return nil, err
			}
			out = append(out, f)
		}
	}
	return out, nil
}

func fnSum(_ *evaluator, args []any) (any, error) {
	ns, err := numbers("SUM", args)
	if err != nil {
		return nil, err
	}
	s := 0.0
	for _, f := range ns {
		s += f
	}
	return finite(s)
}

// AVERAGE of the non-blank items; 0 when there are none.
func fnAverage(_ *evaluator, args []any) (any, error) {
	ns, err := numbers("AVERAGE", args)
	if err != nil || len(ns) == 0 {
		return 0.0, err
	}
	s := 0.0
	for _, f := range ns {
		s += f
	}
	return finite(s / float64(len(ns)))
}

// MIN and MAX skip blanks; with no items they are 0. When every item is a
// date they compare dates and return one.
func fnMin(_ *evaluator, args []any) (any, error) { return extreme("MIN", args, -1) }
func fnMax(_ *evaluator, args []any) (any, error) { return extreme("MAX", args, 1) }

func extreme(fn string, args []any, want int) (any, error) {
	var items []any
	for _, a := range args {
		for _, v := range flatten(nil, a) {
			if v != nil && v != "" {
				items = append(items, v)
			}
		}
	}
	if len(items) == 0 {
		return 0.0, nil
	}
	if best, ok := items[0].(time.Time); ok {
		allDates := true
		for _, v := range items[1:] {
			t, ok := v.(time.Time)
			if !ok {
				allDates = false
				break
			}
			if t.Compare(best) == want {
				best = t
			}
		}
		if allDates {
			return best, nil
		}
	}
	ns, err := numbers(fn, items)
	if err != nil {
		return nil, err
	}
	best := ns[0]
	for _, f := range ns[1:] {
		if cmpFloat(f, best) == want {
			best = f
		}
	}
	return best, nil
}

// COUNT counts the numeric items.
func fnCount(_ *evaluator, args []any) (any, error) {
	n := 0
	for _, a := range args {
		for _, v := range flatten(nil, a) {
			if _, ok := v.(float64); ok {
				n++
			}
		}
	}
	return float64(n), nil
}

// COUNTA counts the non-blank items.
func fnCountA(_ *evaluator, args []any) (any, error) {
	n := 0
	for _, a := range args {
		for _, v := range flatten(nil, a) {
			if v != nil && v != "" {
				n++
			}
		}
	}
	return float64(n), nil
}

// COUNTALL counts every item, blanks included.
func fnCountAll(_ *evaluator, args []any) (any, error) {
	n := 0
	for _, a := range args {
		n += len(flatten(nil, a))
	}
	return float64(n), nil
}
