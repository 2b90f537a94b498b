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
	a.Steps = rt.redactSteps(a.Steps)
	return a
}

// redactSteps is a copy of steps, groups' steps included, without secrets.
func (rt *Runtime) redactSteps(in []StepSpec) []StepSpec {
	if in == nil {
		return nil
	}
	steps := make([]StepSpec, len(in))
	for i, s := range in {
		steps[i] = s
		steps[i].Config = kind.RedactJSON(s.Config, rt.actionSecrets(s.Type))
		steps[i].Steps = rt.redactSteps(s.Steps)
		if s.Branches != nil {
			steps[i].Branches = make([]BranchSpec, len(s.Branches))
			for j, b := range s.Branches {
				steps[i].Branches[j] = b
				steps[i].Branches[j].Steps = rt.redactSteps(b.Steps)
			}
		}
	}
	return steps
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
	WalkSteps(old, "steps", func(s StepSpec, _ string, _ int) bool {
		var m any
		if json.Unmarshal(s.Config, &m) == nil {
			prev[s.ID] = prevStep{s.Type, m}
		}
		return true
	})
	var details []rowflow.ErrorDetail
	var restore func(updated []StepSpec, at string) error
	restore = func(updated []StepSpec, at string) error {
		for i, s := range updated {
			for j, b := range s.Branches {
				if err := restore(b.Steps, fmt.Sprintf("%s[%d].branches[%d].steps", at, i, j)); err != nil {
					return err
				}
			}
			if err := restore(s.Steps, fmt.Sprintf("%s[%d].steps", at, i)); err != nil {
				return err
			}
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
			loc := fmt.Sprintf("%s[%d].config", at, i)
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
		return nil
	}
	if err := restore(updated, "steps"); err != nil {
		return err
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
