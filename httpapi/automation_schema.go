package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sync/atomic"

	"github.com/danielgtaylor/huma/v2"
	"github.com/rowflow/rowflow/automation"
	"github.com/rowflow/rowflow/automation/kind"
)

// TriggerIn is an automation's trigger in requests. Its OpenAPI schema is a
// oneOf over the registered trigger types, generated from the registry, so
// a new trigger type documents itself.
type TriggerIn automation.TriggerSpec

// Schema implements huma.SchemaProvider.
func (TriggerIn) Schema(r huma.Registry) *huma.Schema {
	s := &huma.Schema{Description: "the trigger: one registered type and its config"}
	for _, t := range schemaKinds().Triggers() {
		cfg := r.Schema(reflect.TypeOf(t.NewConfig()).Elem(), true, "")
		s.OneOf = append(s.OneOf, &huma.Schema{
			Type: huma.TypeObject, Title: t.Name(), Description: t.Summary(),
			Properties: map[string]*huma.Schema{
				"type":   {Type: huma.TypeString, Enum: []any{t.Name()}},
				"config": cfg,
			},
			Required:             []string{"type", "config"},
			AdditionalProperties: false,
		})
	}
	return s
}

// StepIn is one step in requests; its schema is a oneOf over the
// registered action types and the two groups (if, for_each), whose steps
// are steps again: it is registered once as the component "Step" and
// referred to, so the recursion of groups is described.
type StepIn automation.StepSpec

// stepSchemaName is StepIn's component name.
const stepSchemaName = "Step"

// Schema implements huma.SchemaProvider.
func (StepIn) Schema(r huma.Registry) *huma.Schema {
	ref := &huma.Schema{Ref: "#/components/schemas/" + stepSchemaName}
	if _, ok := r.Map()[stepSchemaName]; ok {
		return ref
	}
	r.Map()[stepSchemaName] = &huma.Schema{} // refs to it resolve while it is built
	retry := r.Schema(reflect.TypeOf(automation.RetrySpec{}), true, "")
	cond := conditionSchema()
	id := &huma.Schema{Type: huma.TypeString, Pattern: "^[A-Za-z_][A-Za-z0-9_]{0,63}$", Description: "unique in the automation, groups included; templates refer to it as `{{steps.ID.output…}}`"}
	onError := &huma.Schema{Type: huma.TypeString, Enum: []any{"stop", "continue"}, Default: "stop"}
	steps := &huma.Schema{Type: huma.TypeArray, Items: ref}
	s := &huma.Schema{Description: "one step: a registered action type, its (templated) config, and optional if / on_error / retry; or a group (if, for_each) of steps"}
	for _, a := range schemaKinds().Actions() {
		cfg := r.Schema(reflect.TypeOf(a.NewConfig()).Elem(), true, "")
		s.OneOf = append(s.OneOf, &huma.Schema{
			Type: huma.TypeObject, Title: a.Name(), Description: a.Summary(),
			Properties: map[string]*huma.Schema{
				"id":       id,
				"type":     {Type: huma.TypeString, Enum: []any{a.Name()}},
				"config":   cfg,
				"if":       cond,
				"on_error": onError,
				"retry":    retry,
			},
			Required:             []string{"id", "type", "config"},
			AdditionalProperties: false,
		})
	}
	s.OneOf = append(s.OneOf, &huma.Schema{
		Type: huma.TypeObject, Title: automation.StepIf,
		Description: "a conditional group: the first branch whose condition holds runs its steps (`else: true` on the last branch: when none held). " +
			"Branch conditions name paths of the run's data: `steps.find.output.count`, `item.fields.Status` (in a for_each), `trigger.body.x`, or a field of the trigger record. Output: `{branch}` (-1: none ran)",
		Properties: map[string]*huma.Schema{
			"id":   id,
			"type": {Type: huma.TypeString, Enum: []any{automation.StepIf}},
			"branches": {Type: huma.TypeArray, MinItems: intPtr(1), Items: &huma.Schema{
				Type: huma.TypeObject,
				Properties: map[string]*huma.Schema{
					"if":    cond,
					"else":  {Type: huma.TypeBoolean, Description: "the last branch, taken when no condition held"},
					"steps": steps,
				},
				Required:             []string{"steps"},
				AdditionalProperties: false,
			}},
			"if":       cond,
			"on_error": onError,
		},
		Required:             []string{"id", "type", "branches"},
		AdditionalProperties: false,
	}, &huma.Schema{
		Type: huma.TypeObject, Title: automation.StepForEach,
		Description: "a repeating group: its steps run once per item of `items`, with `{{item}}` and `{{index}}`. " +
			"Output: `{count, items: [{<inner step id>: <its output>}]}` (`{{steps.each.output.items[0].update.id}}`)",
		Properties: map[string]*huma.Schema{
			"id":          id,
			"type":        {Type: huma.TypeString, Enum: []any{automation.StepForEach}},
			"items":       {Description: "the list: a template such as `{{steps.find.output.records}}`, or a JSON list", Examples: []any{"{{steps.find.output.records}}"}},
			"steps":       steps,
			"concurrency": {Type: huma.TypeInteger, Minimum: floatPtr(1), Maximum: floatPtr(automation.MaxConcurrency), Default: 1, Description: "items worked on at once"},
			"if":          cond,
			"on_error":    onError,
		},
		Required:             []string{"id", "type", "items", "steps"},
		AdditionalProperties: false,
	})
	r.Map()[stepSchemaName] = s
	return ref
}

func intPtr(n int) *int { return &n }

func floatPtr(f float64) *float64 { return &f }

// ConditionIn is a condition group: {match, rules} or {formula}.
type ConditionIn json.RawMessage

// Schema implements huma.SchemaProvider.
func (ConditionIn) Schema(huma.Registry) *huma.Schema { return conditionSchema() }

// MarshalJSON keeps the raw JSON.
func (c ConditionIn) MarshalJSON() ([]byte, error) {
	if len(c) == 0 {
		return []byte("null"), nil
	}
	return json.RawMessage(c).MarshalJSON()
}

// UnmarshalJSON keeps the raw JSON.
func (c *ConditionIn) UnmarshalJSON(b []byte) error {
	*c = append((*c)[:0], b...)
	return nil
}

func conditionSchema() *huma.Schema {
	return &huma.Schema{
		Type:        huma.TypeObject,
		Description: `a condition group {"match":"all"|"any","rules":[{"field","op","value"} | group]} or {"formula":"AND({Status} = 'Done', {Amount} > 100)"}; ops: is, is_not, contains, not_contains, is_empty, is_not_empty, gt, gte, lt, lte, is_any_of, is_none_of, is_before, is_after, is_on, is_within`,
		Properties: map[string]*huma.Schema{
			"match":   {Type: huma.TypeString, Enum: []any{"all", "any"}},
			"rules":   {Type: huma.TypeArray, Items: &huma.Schema{Type: huma.TypeObject}},
			"formula": {Type: huma.TypeString},
		},
		Examples: []any{map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Status", "op": "is", "value": "Done"}}}},
	}
}

// AutomationBody is the body of create (every field but enabled required)
// and of PATCH (only the given fields change). Unknown keys are refused
// (decodeStrict), since huma's schema validation is skipped for it: the
// runtime reports problems at their exact place (steps[2].config.url).
type AutomationBody struct {
	Name       *string      `json:"name,omitempty" example:"Post done orders"`
	Enabled    *bool        `json:"enabled,omitempty" doc:"default true"`
	Trigger    *TriggerIn   `json:"trigger,omitempty"`
	Conditions *ConditionIn `json:"conditions,omitempty" doc:"null removes the conditions"`
	Steps      *[]StepIn    `json:"steps,omitempty"`
	// AutoDisableAfter is automation.AutomationInput's.
	AutoDisableAfter *int `json:"auto_disable_after,omitempty" minimum:"0" maximum:"1000" doc:"disable the automation after this many consecutive failed runs (0: never, the default); the reason is shown as disabled_reason"`
	// MaxSteps is automation.AutomationInput's.
	MaxSteps *int `json:"max_steps,omitempty" minimum:"0" maximum:"100000" doc:"the most step executions one run may make, steps inside groups counted once per execution (0: the default, 1000); more fails the run"`
	// AlertEmail is automation.AutomationInput's.
	AlertEmail *string `json:"alert_email,omitempty" maxLength:"254" doc:"emailed when a run fails for good, through the server's SMTP server (ROWFLOW_SMTP_URL; without one no email is sent); \"\" removes it"`
	// RecordSkippedRuns is automation.AutomationInput's.
	RecordSkippedRuns *bool `json:"record_skipped_runs,omitempty" doc:"store events whose conditions fail as runs with status skipped and their condition_trace (default false)"`
	// clearConditions is set by an explicit "conditions": null, which
	// encoding/json cannot tell from an absent key.
	clearConditions bool
}

// UnmarshalJSON decodes strictly: unknown keys are an error.
func (b *AutomationBody) UnmarshalJSON(data []byte) error {
	type plain AutomationBody
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode((*plain)(b)); err != nil {
		return err
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return err
	}
	if c, ok := keys["conditions"]; ok && string(bytes.TrimSpace(c)) == "null" {
		b.clearConditions = true
	}
	return nil
}

// input converts the body to the runtime's input.
func (b AutomationBody) input() automation.AutomationInput {
	in := automation.AutomationInput{Name: b.Name, Enabled: b.Enabled, AutoDisableAfter: b.AutoDisableAfter, AlertEmail: b.AlertEmail,
		RecordSkippedRuns: b.RecordSkippedRuns, MaxSteps: b.MaxSteps}
	if b.Trigger != nil {
		t := automation.TriggerSpec(*b.Trigger)
		in.Trigger = &t
	}
	if b.Conditions != nil {
		c := json.RawMessage(*b.Conditions)
		in.Conditions = &c
	} else if b.clearConditions {
		none := json.RawMessage("null")
		in.Conditions = &none
	}
	if b.Steps != nil {
		steps := make([]automation.StepSpec, len(*b.Steps))
		for i, s := range *b.Steps {
			steps[i] = automation.StepSpec(s)
		}
		in.Steps = &steps
	}
	return in
}

var exampleAutomation = map[string]any{
	"name":    "Post done orders",
	"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": "tbl_01jd0000000000000000000000"}},
	"conditions": map[string]any{"match": "all", "rules": []any{
		map[string]any{"field": "Status", "op": "is", "value": "Done"},
	}},
	"steps": []any{map[string]any{
		"id": "notify", "type": "send_webhook",
		"config": map[string]any{"url": "https://example.com/hooks/orders", "body": map[string]any{
			"id": "{{trigger.record.id}}", "name": "{{trigger.record.fields.Name}}",
		}},
		"retry": map[string]any{"max_attempts": 5, "backoff": map[string]any{"type": "exponential", "delay_ms": 1000}},
	}},
}

// kindsForSchema is the registry the trigger and step schemas are generated
// from. huma asks TriggerIn and StepIn for their schema without a server
// at hand, so New sets it once per process (every App of a process lists
// the same kinds: app builds the registry the same way each time).
var kindsForSchema atomic.Pointer[kind.Registry]

func setSchemaKinds(r *kind.Registry) { kindsForSchema.Store(r) }

func schemaKinds() *kind.Registry {
	r := kindsForSchema.Load()
	if r == nil {
		return kind.NewRegistry(nil, nil)
	}
	return r
}
