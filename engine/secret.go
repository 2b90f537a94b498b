package engine

import "encoding/json"

// RedactedSecret replaces step secrets in API answers. Sent back unchanged
// in an update, it keeps the stored secret of the step with the same id.
const RedactedSecret = "********"

// secretKeys are the step config keys whose values are secrets.
var secretKeys = []string{"secret", "password"}

// Redacted returns a copy of a whose step configs show no secret.
func (a Automation) Redacted() Automation {
	steps := make([]StepSpec, len(a.Steps))
	for i, s := range a.Steps {
		steps[i] = s
		steps[i].Config = mapSecrets(s.Config, func(string, any) any { return RedactedSecret })
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
		updated[i].Config = mapSecrets(s.Config, func(key string, v any) any {
			if v == RedactedSecret {
				if p, ok := prev[s.ID][key]; ok {
					return p
				}
			}
			return v
		})
	}
}

// mapSecrets rewrites the secret keys of a config object with fn.
func mapSecrets(raw json.RawMessage, fn func(key string, v any) any) json.RawMessage {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	changed := false
	for _, k := range secretKeys {
		if v, ok := m[k]; ok && v != nil && v != "" {
			m[k] = fn(k, v)
			changed = true
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
