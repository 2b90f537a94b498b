package field

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// Typecasting (Airtable's "typecast"): automation steps — and API requests
// that ask for it — write values that are usually strings rendered from
// templates ("{{trigger.record.fields.N}}1" is "21"). Each type converts
// such a value to an input its Normalize accepts (Kind.Cast, in the type's
// own file), and Typecast normalizes the result. A value that cannot be
// converted is an *Error naming the value and the reason. Choices are
// never created: an unknown choice name is an error.

// Typecast is Cast then Normalize for f: the canonical cell for a loosely
// typed value, or an *Error.
func Typecast(f Field, v any) (any, error) {
	k, ok := Lookup(f.Type)
	if !ok {
		return Normalize(f, v)
	}
	cast, err := k.Cast(f, v)
	if err != nil {
		return nil, err
	}
	return k.Normalize(f, cast)
}

// asText is v as text for the text-like types: strings as they are,
// numbers in their shortest form, booleans as true/false, lists of those
// joined with ", ". Anything else is left for Normalize to refuse.
func asText(v any) any {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, 0, len(x))
		for _, item := range x {
			s, ok := asText(item).(string)
			if !ok {
				return v
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ", ")
	}
	return v
}

// splitList reads "a, b" as ["a", "b"] (empty parts dropped); lists pass
// through.
func splitList(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	var out []any
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	if out == nil {
		return nil
	}
	return out
}

// decimal is a locale-free decimal number: no thousands separators, no
// hexadecimal, no NaN or infinity.
var decimal = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)
