package field

import "encoding/json"

// maxTextBytes bounds text and long_text cells.
const maxTextBytes = 100_000

// textKind is text and long_text: a string of at most 100,000 bytes, valid
// UTF-8 without NUL. Newlines are allowed in both; the types differ only in
// how clients show them. Numbers are not coerced to strings.
type textKind struct{ t Type }

func (k textKind) Type() Type     { return k.t }
func (k textKind) Writable() bool { return true }

func (k textKind) NormalizeOptions(raw json.RawMessage) (json.RawMessage, error) {
	return noOptions(k.t, raw)
}

func (k textKind) Normalize(f Field, v any) (any, error) {
	s, empty, err := stringInput(f, v, "a string")
	if err != nil || empty {
		return nil, err
	}
	if len(s) > maxTextBytes {
		return nil, fail(f, "text is too long: %d bytes, at most 100000", len(s))
	}
	if reason := badText(s); reason != "" {
		return nil, fail(f, "%s", reason)
	}
	return s, nil
}

// Cast implements Kind: numbers and booleans become their text, lists are
// joined with ", ".
func (textKind) Cast(_ Field, v any) (any, error) { return asText(v), nil }
