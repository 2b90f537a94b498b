package engine

import (
	"encoding/json"
	"strings"
)

// RedactedSecret replaces step secrets in API answers. Sent back unchanged
// in an update, it keeps the stored secret of the step with the same id.
const RedactedSecret = "********"

// secretKeys are the step config keys whose values are secrets.
var secretKeys = []string{"secret", "password"}

// secretHeaders are the header names (lower case) of a step's "headers"
// whose values are credentials: answered redacted like secretKeys (a run's
// rendered input hides them too, see redact).
var secretHeaders = []string{"authorization", "proxy-authorization"}

// Redacted returns a copy of a whose step configs show no secret.
func (a Automation) Redacted() Automation {
	steps := make([]StepSpec, len(a.Steps))
	for i, s := range a.Steps {
		steps[i] = s
		steps[i].Config = mapSecrets(s.Config, func([]string, any) any { return RedactedSecret })
	}
	a.Steps = steps
	return a
}

// restoreSecrets puts the stored secrets back where an update sent the
// redaction marker for a step id that had one.
func restoreSecrets(old, updated []StepSpec) {
	prev := map[string]map[string]any{}
	for _, s := range old {
		var m map[string]any
		if json.Unmarshal(s.Config, &m) == nil {
			prev[s.ID] = m
		}
	}
	for i, s := range updated {
		updated[i].Config = mapSecrets(s.Config, func(path []string, v any) any {
			if v == RedactedSecret {
				if p, ok := lookup(prev[s.ID], path); ok {
					return p
				}
			}
			return v
		})
	}
}

// lookup returns the value at path (object keys) in m.
func lookup(m map[string]any, path []string) (any, bool) {
	var cur any = m
	for _, k := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// mapSecrets rewrites the secrets of a config object with fn: the values of
// secretKeys and of the secretHeaders in "headers", each named by its path.
func mapSecrets(raw json.RawMessage, fn func(path []string, v any) any) json.RawMessage {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	changed := false
	for _, k := range secretKeys {
		if v, ok := m[k]; ok && v != nil && v != "" {
			m[k] = fn([]string{k}, v)
			changed = true
		}
	}
	if headers, ok := m["headers"].(map[string]any); ok {
		for k, v := range headers {
			if v != nil && v != "" && isSecretHeader(k) {
				headers[k] = fn([]string{"headers", k}, v)
				changed = true
			}
		}
	}
	if !changed {
		return raw
	}
	out, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return out
}

func isSecretHeader(name string) bool {
	for _, h := range secretHeaders {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	return false
}
