package field

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// NumberOptions are the options of a number field.
type NumberOptions struct {
	// Precision is the number of decimals kept, 0..8 (default 0). Values are
	// rounded half away from zero to it.
	Precision int `json:"precision"`
}

const maxPrecision = 8

// numberKind takes float64, json.Number and Go integer/float types, never a
// string; NaN and ±Inf are refused. The cell is a float64 rounded to the
// field's precision.
type numberKind struct{}

func (numberKind) Type() Type     { return Number }
func (numberKind) Writable() bool { return true }

func (numberKind) NormalizeOptions(raw json.RawMessage) (json.RawMessage, error) {
	m, err := decodeOptions(Number, raw, "precision")
	if err != nil {
		return nil, err
	}
	var o NumberOptions
	if v, ok := m["precision"]; ok {
		p, ok := wholeNumber(v)
		if !ok || p < 0 || p > maxPrecision {
			return nil, &Error{Field: "options.precision", Reason: "expected a whole number from 0 to 8, got " + describe(v)}
		}
		o.Precision = int(p)
	}
	return marshalOptions(o)
}

func (numberKind) Normalize(f Field, v any) (any, error) {
	var x float64
	switch n := v.(type) {
	case nil:
		return nil, nil
	case float64:
		x = n
	case float32:
		// Go through the shortest float32 text so float32(0.1) is 0.1.
		x, _ = strconv.ParseFloat(strconv.FormatFloat(float64(n), 'g', -1, 32), 64)
	case json.Number:
		var err error
		x, err = strconv.ParseFloat(string(n), 64)
		if errors.Is(err, strconv.ErrRange) {
			return nil, fail(f, "number %s is out of range", clip(string(n)))
		}
		if err != nil {
			return nil, fail(f, "expected a number, got %s", quote(string(n)))
		}
	case int:
		x = float64(n)
	case int8:
		x = float64(n)
	case int16:
		x = float64(n)
	case int32:
		x = float64(n)
	case int64:
		x = float64(n)
	case uint:
		x = float64(n)
	case uint8:
		x = float64(n)
	case uint16:
		x = float64(n)
	case uint32:
		x = float64(n)
	case uint64:
		x = float64(n)
	default:
		return nil, fail(f, "expected a number, got %s", describe(v))
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil, fail(f, "expected a finite number, got %s", formatFloat(x))
	}
	var o NumberOptions
	if err := readOptions(f, &o); err != nil {
		return nil, err
	}
	if o.Precision < 0 || o.Precision > maxPrecision {
		return nil, fail(f, "the field's options are invalid: precision %d is not in 0..8", o.Precision)
	}
	return roundHalfAway(x, o.Precision), nil
}

// roundHalfAway rounds x to prec decimals, half away from zero, as a person
// reading x's shortest decimal form would (1.005 → 1.01 at precision 2, even
// though the float64 nearest 1.005 is slightly below it). Negative zero
// becomes 0.
func roundHalfAway(x float64, prec int) float64 {
	if x == 0 {
		return 0 // also turns -0 into 0
	}
	if x == math.Trunc(x) {
		return x // integral (includes every |x| ≥ 2^52)
	}
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(x, 'e', -1, 64))
	if !ok {
		return x // cannot happen: FormatFloat writes a decimal Rat accepts
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(prec)), nil)
	r.Mul(r, new(big.Rat).SetInt(scale))
	num, den := r.Num(), r.Denom()
	q, rem := new(big.Int).QuoRem(num, den, new(big.Int)) // q truncated toward zero
	rem.Abs(rem).Lsh(rem, 1)
	if rem.Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	if q.Sign() == 0 {
		return 0
	}
	out, _ := new(big.Rat).SetFrac(q, scale).Float64()
	return out
}

// wholeNumber reads an option value that must be an integer (2 or 2.0).
func wholeNumber(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	x, err := n.Float64()
	if err != nil || x != math.Trunc(x) || math.Abs(x) > 1<<53 {
		return 0, false
	}
	return int64(x), true
}

// Cast implements Kind: a decimal string ("21", " -3.5 ", "1e3") becomes
// its number, locale-free; "21abc", "1,000", "0x10", "NaN" are refused.
// An empty string clears the cell.
func (numberKind) Cast(f Field, v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return v, nil
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if !decimal.MatchString(s) {
		return nil, fail(f, "cannot convert %s to a number", quote(s))
	}
	return json.Number(s), nil
}
