package automation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/condition"
	"github.com/rowflow/rowflow/field"
	"github.com/rowflow/rowflow/record"
	"github.com/rowflow/rowflow/template"
)

// validation collects every problem of an automation being saved, each at
// its exact place ("steps[2].config.url"), and gives the kinds' checks
// access to the base's tables: it is their kind.Validator.
type validation struct {
	ctx    context.Context
	baseID string
	tables map[string]*record.Table
	errs   []rowflow.ErrorDetail
}

var _ kind.Validator = (*validation)(nil)

// Context implements kind.Validator.
func (v *validation) Context() context.Context { return v.ctx }

// BaseID implements kind.Validator.
func (v *validation) BaseID() string { return v.baseID }

// Add implements kind.Validator.
func (v *validation) Add(loc, format string, args ...any) {
	v.errs = append(v.errs, rowflow.ErrorDetail{Location: loc, Message: fmt.Sprintf(format, args...)})
}

// Table implements kind.Validator.
func (v *validation) Table(id, loc string) *record.Table {
	if t, ok := v.tables[id]; ok {
		return t
	}
	if id == "" {
		v.Add(loc, "is required")
		return nil
	}
	if kind.IsTemplate(id) {
		v.Add(loc, "must be a table id, not a template")
		return nil
	}
	v.Add(loc, "no table %q in this base", id)
	return nil
}

// Field implements kind.Validator.
func (v *validation) Field(t *record.Table, key, loc string) (field.Field, bool) {
	f, ok := t.Field(key)
	if !ok {
		v.Add(loc, "table %q has no field %q", t.Name, key)
	}
	return f, ok
}

// Condition implements kind.Validator.
func (v *validation) Condition(raw json.RawMessage, t *record.Table, loc string) *condition.Condition {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	c, err := condition.CompileJSON(raw, t.Fields)
	if err != nil {
		d := record.ConditionError(err, loc).(*rowflow.Error).Details[0]
		v.Add(d.Location, "%s", d.Message)
		return nil
	}
	return c
}

// Cells implements kind.Validator: literal values must typecast (record
// steps write with record.WithTypecast).
func (v *validation) Cells(t *record.Table, cells map[string]any, loc string) {
	for k, val := range cells {
		f, ok := v.Field(t, k, loc+"."+k)
		if !ok {
			continue
		}
		if s, isStr := val.(string); isStr && kind.IsTemplate(s) {
			continue
		}
		if _, err := field.Typecast(f, val); err != nil {
			msg := err.Error()
			if fe, ok := err.(*field.Error); ok {
				msg = fe.Reason
			}
			v.Add(loc+"."+k, "%s", msg)
		}
	}
}

var stepIDPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// validateDefinition checks a whole automation and returns the table its
// trigger watches. Every problem is reported, not just the first.
func (rt *Runtime) validateDefinition(ctx context.Context, baseID string, def *definition) (string, error) {
	if raw, _ := json.Marshal(def); bytes.Contains(raw, []byte(`\u0000`)) {
		return "", rowflow.Invalid("", "text must not contain NUL characters")
	}
	v := &validation{ctx: ctx, baseID: baseID, tables: map[string]*record.Table{}}
	if c := bytes.TrimSpace(def.Conditions); len(c) == 0 || string(c) == "null" {
		def.Conditions = nil // no conditions (a PATCH with null removes them)
	}
	tables, err := rt.records.ListTables(ctx, baseID)
	if err != nil {
		return "", err
	}
	for _, t := range tables {
		v.tables[t.ID] = t
	}
	if def.Name == "" {
		v.Add("name", "is required")
	} else if len(def.Name) > 200 {
		v.Add("name", "must be at most 200 characters")
	}
	tableID := ""
	tt, ok := rt.kinds.Trigger(def.Trigger.Type)
	if !ok {
		v.Add("trigger.type", "unknown trigger type %q; one of %s", def.Trigger.Type, strings.Join(rt.kinds.TriggerNames(), ", "))
	} else {
		cfg := tt.NewConfig()
		if err := kind.DecodeConfig(def.Trigger.Config, cfg); err != nil {
			v.Add("trigger.config", "%s", kind.JSONProblem(err))
		} else {
			tableID = tt.Validate(v, cfg)
		}
	}
	if t := v.tables[tableID]; t != nil {
		v.Condition(def.Conditions, t, "conditions")
	} else if len(def.Conditions) > 0 && string(def.Conditions) != "null" {
		if _, ok := tt.(kind.PayloadConditions); ok {
			if _, _, err := compilePayload(def.Conditions); err != nil {
				d := record.ConditionError(err, "conditions").(*rowflow.Error).Details[0]
				v.Add(d.Location, "%s", d.Message)
			}
		} else {
			v.Add("conditions", "conditions need a trigger on a table")
		}
	}
	if len(def.Steps) > 50 {
		v.Add("steps", "at most 50 steps")
	}
	total := 0
	WalkSteps(def.Steps, "steps", func(StepSpec, string, int) bool { total++; return true })
	if total > MaxNestedSteps {
		v.Add("steps", "at most %d steps in all, groups' steps included (this automation has %d)", MaxNestedSteps, total)
	}
	if def.MaxSteps < 0 || def.MaxSteps > MaxStepsLimit {
		v.Add("max_steps", "must be between 1 and %d (0: the default, %d)", MaxStepsLimit, DefaultMaxSteps)
	}
	scope := &templateScope{watched: v.tables[tableID], tables: v.tables, outputs: map[string]*kind.Shape{}}
	if ds, ok := tt.(kind.DataShaper); ok && tt != nil {
		scope.trigger, scope.checked = ds.DataShape(), true
	}
	sv := &stepsValidation{rt: rt, v: v, scope: scope, table: v.tables[tableID], ids: map[string]bool{}}
	sv.steps(def.Steps, "steps", map[string]bool{}, false)
	if len(v.errs) > 0 {
		return "", &rowflow.Error{Code: rowflow.CodeInvalid, Message: "the automation is not valid", Details: v.errs}
	}
	return tableID, nil
}

// orEmpty is raw, or {} for an empty config.
func orEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("{}")
	}
	return raw
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
