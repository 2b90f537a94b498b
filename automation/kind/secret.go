package kind

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Redacted replaces every secret in API answers, stored run input and
// logs. Sent back unchanged in an update, it keeps the stored secret at
// the same place of the step with the same id.
const Redacted = "********"

// credentialKeys are object keys whose values are credentials wherever
// they appear in any config, declared or not: a user may put a token in a
// webhook body or a header of their own.
var credentialKeys = []string{"secret", "password", "token", "api_key", "authorization", "proxy-authorization", "webhook_url"}

// SecretsOf returns the secret paths k declares (SecretHolder), or none.
func SecretsOf(k any) []string {
	if h, ok := k.(SecretHolder); ok {
		return h.Secrets()
	}
	return nil
}

// Redact is the one redaction function: it returns a copy of v (a decoded
// JSON config, rendered or not) in which every non-empty secret is
// Redacted — the values at the paths the kind declares (SecretsOf) and
// the values of credentialKeys at any depth.
func Redact(v any, declared []string) any {
	return MapSecrets(v, declared, func([]string, any) any { return Redacted })
}

// RedactJSON is Redact for a raw config; it returns raw itself (same bytes,
// same key order) when it holds no secret.
func RedactJSON(raw json.RawMessage, declared []string) json.RawMessage {
	return MapSecretsJSON(raw, declared, func([]string, any) any { return Redacted })
}

// MapSecretsJSON is MapSecrets for a raw config, returning raw itself when
// it holds no secret (or is not JSON).
func MapSecretsJSON(raw json.RawMessage, declared []string, fn func(path []string, v any) any) json.RawMessage {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return raw
	}
	changed := false
	out := mapSecrets(v, nil, splitPaths(declared), func(p []string, val any) any { changed = true; return fn(p, val) })
	if !changed {
		return raw
	}
	b, err := json.Marshal(out)
	if err != nil {
		return raw
	}
	return b
}

// MapSecrets returns a copy of v with every non-empty secret (as Redact
// finds them) replaced by fn(path, value); path names the place (object
// keys, array indexes as decimal strings).
func MapSecrets(v any, declared []string, fn func(path []string, v any) any) any {
	return mapSecrets(v, nil, splitPaths(declared), fn)
}

func mapSecrets(v any, path []string, declared [][]string, fn func([]string, any) any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			p := append(path[:len(path):len(path)], k)
			if val != nil && val != "" && isSecret(p, declared) {
				out[k] = fn(p, val)
				continue
			}
			out[k] = mapSecrets(val, p, declared, fn)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = mapSecrets(val, append(path[:len(path):len(path)], strconv.Itoa(i)), declared, fn)
		}
		return out
	}
	return v
}

// isSecret reports whether the value at path is a secret: its key is a
// credential key, or path is a declared one.
func isSecret(path []string, declared [][]string) bool {
	last := path[len(path)-1]
	for _, k := range credentialKeys {
		if strings.EqualFold(last, k) {
			return true
		}
	}
	for _, d := range declared {
		if len(d) == len(path) && matchPath(d, path) {
			return true
		}
	}
	return false
}

func matchPath(pattern, path []string) bool {
	for i, seg := range pattern {
		if seg != "*" && !strings.EqualFold(seg, path[i]) {
			return false
		}
	}
	return true
}

func splitPaths(paths []string) [][]string {
	out := make([][]string, len(paths))
	for i, p := range paths {
		out[i] = strings.Split(p, ".")
	}
	return out
}

// Lookup returns the value at path (as MapSecrets names it) in v.
func Lookup(v any, path []string) (any, bool) {
	cur := v
	for _, k := range path {
		switch x := cur.(type) {
		case map[string]any:
			var ok bool
			if cur, ok = x[k]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			cur = x[i]
		default:
			return nil, false
		}
	}
	return cur, true
}
