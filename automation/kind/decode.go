package kind

import (
	"bytes"
	"encoding/json"
	"strings"
)

// DecodeConfig decodes a config into dst (a NewConfig pointer), refusing
// unknown keys; an empty or null config decodes as {}.
func DecodeConfig(raw json.RawMessage, dst any) error {
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}

// JSONProblem turns a decoding error into a short user message.
func JSONProblem(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}

// IsTemplate reports whether s holds a {{ token }}.
func IsTemplate(s string) bool { return strings.Contains(s, "{{") }
