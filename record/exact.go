package record

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/rowflow/rowflow/field"
)

type exactKey struct{}

// WithExactNumbers marks ctx's writes as input of a person or client (the
// API, forms): a number with more decimals than its field's precision is
// refused instead of rounded, so nothing is changed silently. exact=false
// (automation steps, whose computed values are rounded to the precision by
// design) undoes a mark inherited from the request that started them.
func WithExactNumbers(ctx context.Context, exact bool) context.Context {
	return context.WithValue(ctx, exactKey{}, exact)
}

func exactNumbers(ctx context.Context) bool {
	v, _ := ctx.Value(exactKey{}).(bool)
	return v
}

// checkExact refuses, in exact mode, a number cell whose normalized value
// (rounded to the precision) differs from the input.
func checkExact(f field.Field, in, out any) string {
	if f.Type != field.Number || out == nil {
		return ""
	}
	var x float64
	switch n := in.(type) {
	case float64:
		x = n
	case json.Number:
		x, _ = strconv.ParseFloat(string(n), 64)
	case int, int64, int32:
		return ""
	default:
		return ""
	}
	if r, ok := out.(float64); ok && r != x {
		var o field.NumberOptions
		_ = json.Unmarshal(f.Options, &o)
		return fmt.Sprintf("%s has more decimals than the field's precision (%d) allows; it would be stored as %s: round it, or raise the field's precision",
			strconv.FormatFloat(x, 'f', -1, 64), o.Precision, strconv.FormatFloat(r, 'f', -1, 64))
	}
	return ""
}
