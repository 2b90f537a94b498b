package automation

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rowflow/rowflow"

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

// restoreSecrets puts the stored secrets back where an update sent what
// the API showed (kind.Restore) for the step with the same id and type.
// A secret is kept only while the step's destination (kind.Destined:
// scheme, host and port) is unchanged: otherwise an editor could point
// the step elsewhere and have the hidden secret sent there. Such a save,
// and one that shows Redacted where nothing is stored, is refused (422)
// asking for the secret again; nothing is written.
func (rt *Runtime) restoreSecrets(old, updated []StepSpec) error {
	type prevStep struct {
		typ string
		cfg any
	}
	prev := map[string]prevStep{}
	for _, s := range old {
		var m any
		if json.Unmarshal(s.Config, &m) == nil {
			prev[s.ID] = prevStep{s.Type, m}
		}
	}
	var details []rowflow.ErrorDetail
	for i, s := range updated {
		var cfg any
		if len(s.Config) == 0 || json.Unmarshal(s.Config, &cfg) != nil {
			continue
		}
		p, same := prev[s.ID]
		if !same || p.typ != s.Type {
			p = prevStep{}
		}
		a, _ := rt.kinds.Action(s.Type)
		out, restored, missing := kind.Restore(cfg, p.cfg, kind.SecretsOf(a))
		loc := fmt.Sprintf("steps[%d].config", i)
		for _, m := range missing {
			details = append(details, rowflow.ErrorDetail{Location: loc + "." + strings.Join(m, "."),
				Message: "this secret is hidden (" + kind.Redacted + "): send its value"})
		}
		if len(restored) == 0 {
			continue
		}
		if dest := kind.DestinationOf(a); dest != "" {
			key := strings.Split(dest, ".")
			was, _ := kind.Lookup(p.cfg, key)
			now, _ := kind.Lookup(out, key)
			if kind.Origin(was) != kind.Origin(now) {
				for _, r := range restored {
					details = append(details, rowflow.ErrorDetail{Location: loc + "." + strings.Join(r, "."),
						Message: fmt.Sprintf("the destination (%s) changed: a hidden secret is kept only for the same scheme, host and port — send this secret again", dest)})
				}
				continue
			}
		}
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		updated[i].Config = b
	}
	if len(details) > 0 {
		return &rowflow.Error{Code: rowflow.CodeInvalid, Message: "hidden secrets cannot be kept", Details: details}
	}
	return nil
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
