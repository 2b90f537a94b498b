package automation

import (
	"encoding/json"

	"github.com/rowflow/rowflow/automation/kind"
)

// Redacted returns a copy of a whose trigger and step configs show no
// secret (kind.Redact with each kind's declared secrets): what every API
// answer holds.
func (rt *Runtime) Redacted(a Automation) Automation {
	a.Trigger.Config = kind.RedactJSON(a.Trigger.Config, rt.triggerSecrets(a.Trigger.Type))
	steps := make([]StepSpec, len(a.Steps))
	for i, s := range a.Steps {
		steps[i] = s
		steps[i].Config = kind.RedactJSON(s.Config, rt.actionSecrets(s.Type))
	}
	a.Steps = steps
	return a
}

// restoreSecrets puts the stored secrets back where an update sent the
// redaction marker for a step id that had a secret at that place.
func (rt *Runtime) restoreSecrets(old, updated []StepSpec) {
	prev := map[string]any{}
	for _, s := range old {
		var m any
		if json.Unmarshal(s.Config, &m) == nil {
			prev[s.ID] = m
		}
	}
	for i, s := range updated {
		updated[i].Config = kind.MapSecretsJSON(s.Config, rt.actionSecrets(s.Type), func(path []string, v any) any {
			if v == kind.Redacted {
				if p, ok := kind.Lookup(prev[s.ID], path); ok {
					return p
				}
			}
			return v
		})
	}
}

// actionSecrets are the secret paths action kind name declares.
func (rt *Runtime) actionSecrets(name string) []string {
	a, _ := rt.kinds.Action(name)
	return kind.SecretsOf(a)
}

// triggerSecrets are the secret paths trigger kind name declares.
func (rt *Runtime) triggerSecrets(name string) []string {
	t, _ := rt.kinds.Trigger(name)
	return kind.SecretsOf(t)
}
