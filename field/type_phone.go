package field

import (
	"encoding/json"
	"strings"
)

const (
	maxPhoneBytes = 32
	minPhoneDigit = 3
)

// phoneKind takes digits, spaces and - ( ) . with an optional leading +; at
// least 3 digits, at most 32 bytes. The cell is the input unchanged.
type phoneKind struct{}

func (phoneKind) Type() Type     { return Phone }
func (phoneKind) Writable() bool { return true }

func (phoneKind) NormalizeOptions(raw json.RawMessage) (json.RawMessage, error) {
	return noOptions(Phone, raw)
}

func (phoneKind) Normalize(f Field, v any) (any, error) {
	s, empty, err := stringInput(f, v, "a phone number (string)")
	if err != nil || empty {
		return nil, err
	}
	if len(s) > maxPhoneBytes {
		return nil, fail(f, "phone number is too long: %d bytes, at most %d", len(s), maxPhoneBytes)
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == ' ', r == '-', r == '(', r == ')', r == '.':
		case r == '+' && i == 0:
		default:
			return nil, fail(f, "%s is not a valid phone number: only digits, spaces, - ( ) . and a leading + are allowed", quote(s))
		}
	}
	if digits < minPhoneDigit {
		return nil, fail(f, "%s is not a valid phone number: it needs at least %d digits", quote(s), minPhoneDigit)
	}
	return s, nil
}

// Cast implements Kind: numbers and booleans become their text; the
// value is trimmed.
func (phoneKind) Cast(_ Field, v any) (any, error) {
	if s, ok := asText(v).(string); ok {
		return strings.TrimSpace(s), nil
	}
	return v, nil
}
