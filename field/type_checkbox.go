package field

import (
	"encoding/json"
	"strings"
)

// checkboxKind takes a bool only; false is a value, not an empty cell.
type checkboxKind struct{}

func (checkboxKind) Type() Type     { return Checkbox }
func (checkboxKind) Writable() bool { return true }

func (checkboxKind) NormalizeOptions(raw json.RawMessage) (json.RawMessage, error) {
	return noOptions(Checkbox, raw)
}

func (checkboxKind) Normalize(f Field, v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case bool:
		return x, nil
	default:
		return nil, fail(f, "expected true or false, got %s", describe(v))
	}
}

// Cast implements Kind: "true"/"false", "yes"/"no", "1"/"0" (any case,
// trimmed) and the numbers 1 and 0 become booleans; "" clears the cell.
func (checkboxKind) Cast(f Field, v any) (any, error) {
	switch x := v.(type) {
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "":
			return nil, nil
		case "true", "yes", "1":
			return true, nil
		case "false", "no", "0":
			return false, nil
		}
		return nil, fail(f, "cannot convert %s to true or false (use true/false, yes/no or 1/0)", quote(x))
	case float64:
		switch x {
		case 1:
			return true, nil
		case 0:
			return false, nil
		}
		return nil, fail(f, "cannot convert %v to true or false (use 1 or 0)", x)
	}
	return v, nil
}
