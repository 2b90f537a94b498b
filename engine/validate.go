package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/rowflow/rowflow/engine/condition"
	"github.com/rowflow/rowflow/engine/field"
	"github.com/rowflow/rowflow/engine/template"
)

// validation collects every problem of an automation being saved, each at
// its exact place ("steps[2].config.url"), and gives the checks access to
// the base's tables.
type validation struct {
	ctx    context.Context
	e      *Engine
	baseID string
	tables map[string]*Table
	errs   []ErrorDetail
}

func (v *validation) add(loc, format string, args ...any) {
	v.errs = append(v.errs, ErrorDetail{Location: loc, Message: fmt.Sprintf(format, args...)})
}

// table returns a table of the base, or reports loc and returns nil.
func (v *validation) table(id, loc string) *Table {
	if t, ok := v.tables[id]; ok {
		return t
	}
	if id == "" {
		v.add(loc, "is required")
		return nil
	}
	if isTemplate(id) {
		v.add(loc, "must be a table id, not a template")
		return nil
	}
	v.add(loc, "no table %q in this base", id)
	return nil
}

// field resolves a field name or id of t, or reports loc.
func (v *validation) field(t *Table, key, loc string) (field.Field, bool) {
	f, ok := t.Field(key)
	if !ok {
		v.add(loc, "table %q has no field %q", t.Name, key)
	}
	return f, ok
}

// condition compiles a condition group against t, reporting at loc.
func (v *validation) condition(raw json.RawMessage, t *Table, loc string) *condition.Condition {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	c, err := condition.CompileJSON(raw, t.Fields)
	if err != nil {
		d := conditionError(err, loc).(*Error).Details[0]
		v.add(d.Location, "%s", d.Message)
		return nil
	}
	return c
}

// cells checks a map of cells for table t: keys are fields, literal values
// normalize; template strings are accepted (they are checked at run time).
func (v *validation) cells(t *Table, cells map[string]any, loc string) {
	for k, val := range cells {
		f, ok := v.field(t, k, loc+"."+k)
		if !ok {
			continue
		}
		if s, isStr := val.(string); isStr && isTemplate(s) {
			continue
		}
		if _, err := field.Normalize(f, val); err != nil {
			msg := err.Error()
			if fe, ok := err.(*field.Error); ok {
				msg = fe.Reason
			}
			v.add(loc+"."+k, "%s", msg)
		}
	}
}

var stepIDPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// validateDefinition checks a whole automation and returns the table its
// trigger watches. Every problem is reported, not just the first.
func (e *Engine) validateDefinition(ctx context.Context, baseID string, def *definition) (string, error) {
	if raw, _ := json.Marshal(def); bytes.Contains(raw, []byte(`\u0000`)) {
		return "", Invalid("", "text must not contain NUL characters")
	}
	v := &validation{ctx: ctx, e: e, baseID: baseID, tables: map[string]*Table{}}
	if c := bytes.TrimSpace(def.Conditions); len(c) == 0 || string(c) == "null" {
		def.Conditions = nil // no conditions (a PATCH with null removes them)
	}
	tables, err := e.ListTables(ctx, baseID)
	if err != nil {
		return "", err
	}
	for _, t := range tables {
		v.tables[t.ID] = t
	}
	if def.Name == "" {
		v.add("name", "is required")
	} else if len(def.Name) > 200 {
		v.add("name", "must be at most 200 characters")
	}
	tableID := ""
	tt, ok := triggerTypes[def.Trigger.Type]
	if !ok {
		v.add("trigger.type", "unknown trigger type %q; one of %s", def.Trigger.Type, strings.Join(triggerNames(), ", "))
	} else {
		cfg := tt.NewConfig()
		if err := decodeStrict(def.Trigger.Config, cfg); err != nil {
			v.add("trigger.config", "%s", jsonProblem(err))
		} else {
			tableID = tt.Validate(v, cfg)
		}
	}
	if t := v.tables[tableID]; t != nil {
		v.condition(def.Conditions, t, "conditions")
	} else if len(def.Conditions) > 0 && string(def.Conditions) != "null" {
		v.add("conditions", "conditions need a trigger on a table")
	}
	if len(def.Steps) > 50 {
		v.add("steps", "at most 50 steps")
	}
	seen := map[string]bool{}
	for i, s := range def.Steps {
		loc := fmt.Sprintf("steps[%d]", i)
		if !stepIDPattern.MatchString(s.ID) {
			v.add(loc+".id", "must be 1–64 letters, digits or _ and not start with a digit")
		} else if seen[s.ID] {
			v.add(loc+".id", "duplicate step id %q", s.ID)
		}
		at, ok := actionTypes[s.Type]
		if !ok {
			v.add(loc+".type", "unknown step type %q; one of %s", s.Type, strings.Join(actionNames(), ", "))
		} else {
			var raw any
			if err := json.Unmarshal(orEmpty(s.Config), &raw); err != nil {
				v.add(loc+".config", "%s", jsonProblem(err))
			} else if err := template.CheckValue(raw, loc+".config"); err != nil {
				v.add(templateLoc(err, loc+".config"), "%s", templateMsg(err))
			} else {
				for _, ref := range template.StepRefs(raw) {
					if !seen[ref] {
						v.add(loc+".config", "refers to step %q, which is not an earlier step", ref)
					}
				}
				cfg := at.NewConfig()
				if err := decodeStrict(s.Config, cfg); err != nil {
					v.add(loc+".config", "%s", jsonProblem(err))
				} else {
					at.Validate(v, cfg, loc+".config")
				}
			}
		}
		seen[s.ID] = true
		if len(s.If) > 0 && string(s.If) != "null" {
			if t := v.tables[tableID]; t != nil {
				v.condition(s.If, t, loc+".if")
			} else {
				v.add(loc+".if", "a step condition needs a trigger on a table")
			}
		}
		switch s.OnError {
		case "", "stop", "continue":
		default:
			v.add(loc+".on_error", "must be stop or continue")
		}
		if r := s.Retry; r != nil {
			if r.MaxAttempts < 0 || r.MaxAttempts > 25 {
				v.add(loc+".retry.max_attempts", "must be between 1 and 25")
			}
			if b := r.Backoff; b != nil {
				if b.Type != "" && b.Type != "exponential" && b.Type != "fixed" {
					v.add(loc+".retry.backoff.type", "must be exponential or fixed")
				}
				if b.DelayMS < 0 || b.DelayMS > 3_600_000 {
					v.add(loc+".retry.backoff.delay_ms", "must be between 0 and 3600000")
				}
			}
		}
	}
	if len(v.errs) > 0 {
		return "", &Error{Code: CodeInvalid, Message: "the automation is not valid", Details: v.errs}
	}
	return tableID, nil
}

func triggerNames() []string {
	var out []string
	for _, t := range TriggerTypes() {
		out = append(out, t.Name)
	}
	return out
}

func actionNames() []string {
	var out []string
	for _, a := range ActionTypes() {
		out = append(out, a.Name)
	}
	return out
}

// isTemplate reports whether s holds a {{ token }}.
func isTemplate(s string) bool { return strings.Contains(s, "{{") }

func orEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("{}")
	}
	return raw
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// jsonProblem turns a decoding error into a short user message.
func jsonProblem(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "json: ")
	return msg
}

// templateLoc returns the exact place of a template error.
func templateLoc(err error, fallback string) string {
	if pe, ok := err.(*template.PathError); ok && pe.Path != "" {
		return pe.Path
	}
	return fallback
}

// templateMsg returns a template error's message without its path.
func templateMsg(err error) string {
	if pe, ok := err.(*template.PathError); ok {
		return "bad template: " + pe.Err.Error()
	}
	return "bad template: " + err.Error()
}
