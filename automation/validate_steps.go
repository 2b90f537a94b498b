package automation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/record"
	"github.com/rowflow/rowflow/template"
)

// stepsValidation checks a chain of steps, groups' steps included, each
// problem at its place (steps[2].branches[1].steps[0].config.url).
type stepsValidation struct {
	rt    *Runtime
	v     *validation
	scope *templateScope
	// table is the trigger's table (nil: the trigger is not on one).
	table *record.Table
	// ids are the step ids seen so far anywhere in the automation: unique
	// across it.
	ids map[string]bool
}

// steps checks a chain at loc. visible holds the ids of the steps its
// templates may refer to (earlier steps around it; updated as the chain
// goes on); inItem: the chain runs once per for_each item ({{item}},
// {{index}}).
func (sv *stepsValidation) steps(steps []StepSpec, loc string, visible map[string]bool, inItem bool) {
	v := sv.v
	for i, s := range steps {
		loc := fmt.Sprintf("%s[%d]", loc, i)
		validID := stepIDPattern.MatchString(s.ID)
		if !validID {
			v.Add(loc+".id", "must be 1–64 letters, digits or _ and not start with a digit")
		} else if sv.ids[s.ID] {
			v.Add(loc+".id", "duplicate step id %q (step ids are unique across the automation, groups included)", s.ID)
		}
		sv.ids[s.ID] = true
		if IsGroup(s.Type) {
			sv.group(s, loc, visible, inItem)
		} else {
			sv.action(s, loc, visible, inItem, validID)
		}
		visible[s.ID] = true
		sv.common(s, loc)
	}
}

// action checks an action step's type and config.
func (sv *stepsValidation) action(s StepSpec, loc string, visible map[string]bool, inItem, validID bool) {
	v := sv.v
	if len(s.Branches) > 0 || len(s.Steps) > 0 || len(s.Items) > 0 || s.Concurrency != 0 {
		v.Add(loc, "branches, items, steps and concurrency belong to groups (type if or for_each), not to %q steps", s.Type)
	}
	at, ok := sv.rt.kinds.Action(s.Type)
	if !ok {
		names := append(sv.rt.kinds.ActionNames(), StepIf, StepForEach)
		v.Add(loc+".type", "unknown step type %q; one of %s", s.Type, strings.Join(names, ", "))
		return
	}
	var raw any
	err := json.Unmarshal(orEmpty(s.Config), &raw)
	raw, _ = splitVerbatim(at, raw)
	if err != nil {
		v.Add(loc+".config", "%s", kind.JSONProblem(err))
		return
	}
	if !sv.templates(raw, loc+".config", visible, inItem) {
		return
	}
	cfg := at.NewConfig()
	if err := kind.DecodeConfig(s.Config, cfg); err != nil {
		v.Add(loc+".config", "%s", kind.JSONProblem(err))
		return
	}
	at.Validate(v, cfg, loc+".config")
	if os, ok := at.(kind.OutputShaper); ok && validID {
		sv.scope.outputs[s.ID] = os.OutputShape(cfg)
	}
}

// templates checks the tokens of a templated value at loc: syntax, steps
// it may refer to, paths its scope offers, {{item}} only in for_each.
// false: a syntax error (reported) stops the checks of this value.
func (sv *stepsValidation) templates(raw any, loc string, visible map[string]bool, inItem bool) bool {
	v := sv.v
	if err := template.CheckValue(raw, loc); err != nil {
		v.Add(templateLoc(err, loc), "%s", templateMsg(err))
		return false
	}
	for _, ref := range template.StepRefs(raw) {
		if !visible[ref] {
			v.Add(loc, "refers to step %q, which is not an earlier step (a for_each's inner steps are read through its output.items)", ref)
		}
	}
	if !inItem {
		for _, ref := range template.Refs(raw, loc) {
			if ref.Path[0] == "item" || ref.Path[0] == "index" {
				v.Add(ref.Loc, "%s: {{%s}} is only available inside a for_each group", ref.Text, ref.Path[0])
			}
		}
	}
	sv.scope.checkRefs(raw, loc, v.Add)
	return true
}

// group checks an if or for_each group and the steps inside it.
func (sv *stepsValidation) group(s StepSpec, loc string, visible map[string]bool, inItem bool) {
	v := sv.v
	if c := bytes.TrimSpace(s.Config); len(c) > 0 && string(c) != "null" && string(c) != "{}" {
		v.Add(loc+".config", "a %s group has no config", s.Type)
	}
	if s.Retry != nil {
		v.Add(loc+".retry", "a group has no retry policy; set retry on the steps inside it")
	}
	switch s.Type {
	case StepIf:
		if len(s.Items) > 0 || len(s.Steps) > 0 || s.Concurrency != 0 {
			v.Add(loc, "an if group has branches, not items, steps or concurrency")
		}
		if len(s.Branches) == 0 {
			v.Add(loc+".branches", "an if group needs at least one branch")
		}
		// Steps inside branches are visible after the group (the branch
		// taken ran them; the others' render as null).
		after := maps.Clone(visible)
		for j, b := range s.Branches {
			bl := fmt.Sprintf("%s.branches[%d]", loc, j)
			hasIf := len(b.If) > 0 && string(b.If) != "null"
			switch {
			case b.Else && hasIf:
				v.Add(bl, "an else branch has no if")
			case b.Else && j != len(s.Branches)-1:
				v.Add(bl+".else", "the else branch must be the last")
			case !b.Else && !hasIf:
				v.Add(bl+".if", "is required (or \"else\": true on the last branch)")
			case hasIf:
				if _, _, err := compilePayload(b.If); err != nil {
					d := record.ConditionError(err, bl+".if").(*rowflow.Error).Details[0]
					v.Add(d.Location, "%s", d.Message)
				}
			}
			inner := maps.Clone(visible)
			sv.steps(b.Steps, bl+".steps", inner, inItem)
			for id := range inner {
				after[id] = true
			}
		}
		maps.Copy(visible, after)
	case StepForEach:
		if len(s.Branches) > 0 {
			v.Add(loc+".branches", "a for_each group has items and steps, not branches")
		}
		if len(s.Items) == 0 || string(s.Items) == "null" {
			v.Add(loc+".items", "is required: a list, or a template such as {{steps.find.output.records}}")
		} else {
			var raw any
			if err := json.Unmarshal(s.Items, &raw); err != nil {
				v.Add(loc+".items", "%s", kind.JSONProblem(err))
			} else {
				switch raw.(type) {
				case string, []any:
					sv.templates(raw, loc+".items", visible, inItem)
				default:
					v.Add(loc+".items", "must be a list or a template that renders to one")
				}
			}
		}
		if s.Concurrency < 0 || s.Concurrency > MaxConcurrency {
			v.Add(loc+".concurrency", "must be between 1 and %d", MaxConcurrency)
		}
		if len(s.Steps) == 0 {
			v.Add(loc+".steps", "a for_each group needs at least one step")
		}
		sv.steps(s.Steps, loc+".steps", maps.Clone(visible), true)
	}
}

// common checks what every step may have: its if, on_error and retry.
func (sv *stepsValidation) common(s StepSpec, loc string) {
	v := sv.v
	if len(s.If) > 0 && string(s.If) != "null" {
		if sv.table != nil {
			v.Condition(s.If, sv.table, loc+".if")
		} else {
			v.Add(loc+".if", "a step condition needs a trigger on a table")
		}
	}
	switch s.OnError {
	case "", "stop", "continue":
	default:
		v.Add(loc+".on_error", "must be stop or continue")
	}
	if r := s.Retry; r != nil {
		if r.MaxAttempts < 0 || r.MaxAttempts > MaxAttemptsLimit {
			v.Add(loc+".retry.max_attempts", "must be between 1 and %d", MaxAttemptsLimit)
		}
		if b := r.Backoff; b != nil {
			if b.Type != "" && b.Type != "exponential" && b.Type != "fixed" {
				v.Add(loc+".retry.backoff.type", "must be exponential or fixed")
			}
			if b.DelayMS < 0 || b.DelayMS > 3_600_000 {
				v.Add(loc+".retry.backoff.delay_ms", "must be between 0 and 3600000")
			}
			if b.MaxDelayMS < 0 || b.MaxDelayMS > 3_600_000 {
				v.Add(loc+".retry.backoff.max_delay_ms", "must be between 0 and 3600000")
			}
		}
	}
}
