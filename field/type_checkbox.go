package field

import "encoding/json"

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
