package kind

import (
	"encoding/json"
	"net/url"
	"slices"
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

// harmlessHeaders are the header names shown as they are under any
// "headers" object; every other header's value is a secret (X-Api-Key,
// Cookie, a custom X-Auth-Whatever…).
var harmlessHeaders = []string{
	"accept", "accept-charset", "accept-encoding", "accept-language", "cache-control",
	"content-encoding", "content-language", "content-type", "if-match", "if-none-match",
	"origin", "pragma", "prefer", "referer", "user-agent", "x-request-id", "x-correlation-id",
	"webhook-id", "webhook-timestamp", // Standard Webhooks' message id and time (a dry run shows them)
}

// Redact is the one redaction function: it returns a copy of v (a decoded
// JSON config, rendered or not) in which every non-empty secret is
// Redacted — the values at the paths the kind declares (SecretsOf), the
// values of credentialKeys at any depth, and the value of every header
// (a key of an object named "headers") but the harmlessHeaders — and in
// which every URL found in a string shows Redacted in place of its
// userinfo, of the values of credential-named query parameters (token,
// key, sig, …) and of token-like path segments (a Slack, Discord or Teams
// hook's path; any long segment mixing letters and digits that is not a
// rowflow id or a UUID).
func Redact(v any, declared []string) any {
	d := splitPaths(declared)
	return MapSecrets(v, declared, func(p []string, val any) any { return redactedAt(val, p, d) })
}

// RedactJSON is Redact for a raw config; it returns raw itself (same bytes,
// same key order) when it holds no secret.
func RedactJSON(raw json.RawMessage, declared []string) json.RawMessage {
	d := splitPaths(declared)
	return MapSecretsJSON(raw, declared, func(p []string, val any) any { return redactedAt(val, p, d) })
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

// MapSecrets returns a copy of v with every non-empty secret, and every
// string holding a URL with a secret (as Redact finds them), replaced by
// fn(path, value); path names the place (object keys, array indexes as
// decimal strings).
func MapSecrets(v any, declared []string, fn func(path []string, v any) any) any {
	return mapSecrets(v, nil, splitPaths(declared), fn)
}

func mapSecrets(v any, path []string, declared [][]string, fn func([]string, any) any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			p := append(path[:len(path):len(path)], k)
			out[k] = mapValue(val, p, declared, fn)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = mapValue(val, append(path[:len(path):len(path)], strconv.Itoa(i)), declared, fn)
		}
		return out
	}
	return v
}

// mapValue is mapSecrets for the value at path (an object key or list
// index): a whole secret, a string whose URLs hold secrets, or a value to
// walk.
func mapValue(v any, path []string, declared [][]string, fn func([]string, any) any) any {
	if v != nil && v != "" && isSecret(path, declared) {
		return fn(path, v)
	}
	if s, ok := v.(string); ok {
		if r := redactURLs(s); r != s {
			return fn(path, s)
		}
		return s
	}
	return mapSecrets(v, path, declared, fn)
}

// redactedAt is what Redact shows for the value v at path.
func redactedAt(v any, path []string, declared [][]string) any {
	if v != nil && v != "" && isSecret(path, declared) {
		return Redacted
	}
	if s, ok := v.(string); ok {
		return redactURLs(s)
	}
	return v
}

// isSecret reports whether the value at path is a secret: its key is a
// credential key, a header that is not harmless, or path is a declared one.
func isSecret(path []string, declared [][]string) bool {
	last := path[len(path)-1]
	for _, k := range credentialKeys {
		if strings.EqualFold(last, k) {
			return true
		}
	}
	if len(path) >= 2 && strings.EqualFold(path[len(path)-2], "headers") && !slices.Contains(harmlessHeaders, strings.ToLower(last)) {
		return true
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

// Restore returns updated (a decoded config a client sent back) with the
// stored secrets put back: every value that is exactly what Redact shows
// for old's value at the same path becomes old's value (restored lists
// those paths). A string that still shows Redacted without matching is
// listed in missing: the client must send that secret again.
func Restore(updated, old any, declared []string) (out any, restored, missing [][]string) {
	d := splitPaths(declared)
	var walk func(v any, path []string) any
	walk = func(v any, path []string) any {
		switch x := v.(type) {
		case map[string]any:
			o := make(map[string]any, len(x))
			for k, val := range x {
				o[k] = walk(val, append(path[:len(path):len(path)], k))
			}
			return o
		case []any:
			o := make([]any, len(x))
			for i, val := range x {
				o[i] = walk(val, append(path[:len(path):len(path)], strconv.Itoa(i)))
			}
			return o
		case string:
			if !strings.Contains(x, Redacted) {
				return x
			}
			if prev, ok := Lookup(old, path); ok && redactedAt(prev, path, d) == any(x) {
				restored = append(restored, path)
				return prev
			}
			missing = append(missing, path)
		}
		return v
	}
	return walk(updated, nil), restored, missing
}

// Destined is an action whose config names where it sends its data (and
// its secrets): Destination is the dot-separated config key of that URL
// ("url"). A stored secret is kept on an update only while the
// destination's scheme, host and port stay the same.
type Destined interface {
	Destination() string
}

// DestinationOf returns the destination key k declares (Destined), or "".
func DestinationOf(k any) string {
	if d, ok := k.(Destined); ok {
		return d.Destination()
	}
	return ""
}

// Origin is the scheme, host and port of a destination URL, lower-cased,
// with the scheme's default port made explicit ("https://example.com:443").
// A value that does not parse as a URL (a template filling the host) is
// compared as the text before its path.
func Origin(v any) string {
	s, _ := v.(string)
	s = strings.TrimSpace(s)
	if u, err := url.Parse(s); err == nil && u.Host != "" && !strings.Contains(u.Host, "{{") {
		port := u.Port()
		if port == "" {
			switch strings.ToLower(u.Scheme) {
			case "https":
				port = "443"
			case "http":
				port = "80"
			}
		}
		return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
	}
	scheme, rest, _ := strings.Cut(s, "://")
	depth := 0
	for i := 0; i < len(rest); i++ {
		switch {
		case strings.HasPrefix(rest[i:], "{{"):
			depth++
			i++
		case strings.HasPrefix(rest[i:], "}}"):
			depth--
			i++
		case depth == 0 && strings.ContainsRune("/?#", rune(rest[i])):
			return strings.ToLower(scheme) + "://" + strings.ToLower(rest[:i])
		}
	}
	return strings.ToLower(scheme) + "://" + strings.ToLower(rest)
}
