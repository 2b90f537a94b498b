package field

import (
	"encoding/json"
	"net/url"
	"strings"
	"unicode"
)

const maxURLBytes = 2048

// urlKind takes an absolute http or https URL with a host, at most 2048
// bytes and without spaces. The cell is the input unchanged.
type urlKind struct{}

func (urlKind) Type() Type     { return URL }
func (urlKind) Writable() bool { return true }

func (urlKind) NormalizeOptions(raw json.RawMessage) (json.RawMessage, error) {
	return noOptions(URL, raw)
}

func (urlKind) Normalize(f Field, v any) (any, error) {
	s, empty, err := stringInput(f, v, "a URL (string)")
	if err != nil || empty {
		return nil, err
	}
	if len(s) > maxURLBytes {
		return nil, fail(f, "URL is too long: %d bytes, at most %d", len(s), maxURLBytes)
	}
	const want = `an absolute http or https URL (e.g. "https://example.com/page")`
	if strings.ContainsFunc(s, unicode.IsSpace) {
		return nil, fail(f, "expected %s, got %s: it contains a space", want, quote(s))
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fail(f, "expected %s, got %s", want, quote(s))
	}
	return s, nil
}

// Cast implements Kind: numbers and booleans become their text; the
// value is trimmed.
func (urlKind) Cast(_ Field, v any) (any, error) {
	if s, ok := asText(v).(string); ok {
		return strings.TrimSpace(s), nil
	}
	return v, nil
}
