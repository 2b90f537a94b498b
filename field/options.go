package field

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds the helpers every type shares: reading and writing options
// JSON, reading string inputs and phrasing error reasons.

// decodeOptions parses raw options of a field of type t into a map (numbers
// kept as json.Number). nil, empty and "null" mean "all defaults" (an empty
// map). Anything that is not a JSON object, and any key not in allowed, is an
// *Error; keys whose value is null are dropped (they mean "default").
func decodeOptions(t Type, raw json.RawMessage, allowed ...string) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &Error{Field: "options", Reason: "invalid JSON: " + err.Error()}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &Error{Field: "options", Reason: "invalid JSON: unexpected data after the object"}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &Error{Field: "options", Reason: "expected a JSON object, got " + describe(v)}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		known := false
		for _, a := range allowed {
			known = known || a == k
		}
		if !known {
			reason := fmt.Sprintf("unknown option; %s fields have no options", t)
			if len(allowed) > 0 {
				reason = fmt.Sprintf("unknown option; %s fields have: %s", t, strings.Join(allowed, ", "))
			}
			return nil, &Error{Field: "options." + k, Reason: reason}
		}
		if m[k] == nil {
			delete(m, k)
		}
	}
	return m, nil
}

// noOptions is NormalizeOptions for the types that have no options.
func noOptions(t Type, raw json.RawMessage) (json.RawMessage, error) {
	if _, err := decodeOptions(t, raw); err != nil {
		return nil, err
	}
	return json.RawMessage("{}"), nil
}

// marshalOptions encodes a canonical options struct.
func marshalOptions(o any) (json.RawMessage, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return nil, &Error{Field: "options", Reason: "cannot encode options: " + err.Error()}
	}
	return b, nil
}

// optString reads the string option name from m ("" when absent). The value
// must be a string holding safe text.
func optString(m map[string]any, name string) (string, error) {
	v, ok := m[name]
	if !ok {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", &Error{Field: "options." + name, Reason: "expected a string, got " + describe(v)}
	}
	if reason := badText(s); reason != "" {
		return "", &Error{Field: "options." + name, Reason: reason}
	}
	return s, nil
}

// readOptions decodes the canonical options of f into dst (leaving dst's
// defaults when f has none). Malformed options are an *Error on the field:
// they mean the stored schema is broken, not that the value is.
func readOptions(f Field, dst any) error {
	raw := bytes.TrimSpace(f.Options)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return &Error{Field: f.Name, Reason: "the field's options are invalid: " + err.Error()}
	}
	return nil
}

// fail builds the *Error for a bad value of field f.
func fail(f Field, format string, args ...any) error {
	return &Error{Field: f.Name, Reason: fmt.Sprintf(format, args...)}
}

// stringInput reads a string value of f. empty is true for null and "" (the
// cell is to be cleared); any non-string is an error "expected <what>, got …".
func stringInput(f Field, v any, what string) (s string, empty bool, err error) {
	switch x := v.(type) {
	case nil:
		return "", true, nil
	case string:
		if x == "" {
			return "", true, nil
		}
		return x, false, nil
	default:
		return "", false, fail(f, "expected %s, got %s", what, describe(v))
	}
}

// listInput reads a list value of f: []any, []string, or one string taken as
// a one-element list. empty is true for null, "" and [].
func listInput(f Field, v any, what string) (items []any, empty bool, err error) {
	switch x := v.(type) {
	case nil:
		return nil, true, nil
	case string:
		if x == "" {
			return nil, true, nil
		}
		return []any{x}, false, nil
	case []any:
		return x, len(x) == 0, nil
	case []string:
		items = make([]any, len(x))
		for i, s := range x {
			items[i] = s
		}
		return items, len(x) == 0, nil
	default:
		return nil, false, fail(f, "expected %s, got %s", what, describe(v))
	}
}

// badText returns why s cannot be stored as text ("" if it can): it must be
// valid UTF-8 and hold no NUL character (PostgreSQL JSON cannot store one).
func badText(s string) string {
	if !utf8.ValidString(s) {
		return "text is not valid UTF-8"
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "text cannot contain a NUL character"
	}
	return ""
}

// describe names a decoded JSON value for an error reason: `string "abc"`,
// `number 3`, `boolean true`, `null`, `a list`, `an object`.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string " + quote(x)
	case bool:
		return "boolean " + strconv.FormatBool(x)
	case json.Number:
		return "number " + clip(string(x))
	case float64:
		return "number " + formatFloat(x)
	case float32:
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return "number " + formatFloat(f)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr:
		return fmt.Sprintf("number %d", x)
	case []any, []string:
		return "a list"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("a Go value of type %T", v)
	}
}

// quote quotes s for an error reason, cutting it after 60 bytes.
func quote(s string) string {
	const max = 60
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// clip shortens an unquoted token for an error reason.
func clip(s string) string {
	if len(s) <= 60 {
		return s
	}
	return s[:60] + "…"
}

// formatFloat writes x as encoding/json would ("3", "0.1", "20260102",
// "1e+300"), and NaN/±Inf as "NaN", "+Inf", "-Inf".
func formatFloat(x float64) string {
	if a := math.Abs(x); a != 0 && (a < 1e-6 || a >= 1e21) || math.IsNaN(x) || math.IsInf(x, 0) {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}
