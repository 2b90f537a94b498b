package field

import (
	"encoding/json"
	"net/mail"
	"strings"
	"unicode"
)

const maxEmailBytes = 254

// emailKind takes a bare address ("ada@example.com", no display name): one
// @, a non-empty local part, a domain with a dot, no spaces, at most 254
// bytes, accepted unchanged by net/mail. The domain is lower-cased.
type emailKind struct{}

func (emailKind) Type() Type     { return Email }
func (emailKind) Writable() bool { return true }

func (emailKind) NormalizeOptions(raw json.RawMessage) (json.RawMessage, error) {
	return noOptions(Email, raw)
}

func (emailKind) Normalize(f Field, v any) (any, error) {
	s, empty, err := stringInput(f, v, "an email address (string)")
	if err != nil || empty {
		return nil, err
	}
	bad := func(why string) error {
		return fail(f, "%s is not a valid email address: %s", quote(s), why)
	}
	if len(s) > maxEmailBytes {
		return nil, fail(f, "email address is too long: %d bytes, at most %d", len(s), maxEmailBytes)
	}
	if strings.ContainsFunc(s, unicode.IsSpace) {
		return nil, bad("it contains a space")
	}
	if n := strings.Count(s, "@"); n != 1 {
		return nil, bad("it must contain exactly one @")
	}
	local, domain, _ := strings.Cut(s, "@")
	if local == "" {
		return nil, bad("nothing before the @")
	}
	if !strings.Contains(domain, ".") {
		return nil, bad(`the domain after the @ must contain a dot (e.g. "example.com")`)
	}
	if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
		return nil, bad("it is not a plain address like ada@example.com")
	}
	return local + "@" + strings.ToLower(domain), nil
}

// Cast implements Kind: numbers and booleans become their text; the
// value is trimmed.
func (emailKind) Cast(_ Field, v any) (any, error) {
	if s, ok := asText(v).(string); ok {
		return strings.TrimSpace(s), nil
	}
	return v, nil
}
