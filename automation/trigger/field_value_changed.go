package trigger

import (
	"context"
	"fmt"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/field"
	"github.com/rowflow/rowflow/record"
)

// FieldChangedTriggerConfig is field_value_changed's config: one of the chosen
// fields changed, optionally from and/or to given values.
type FieldChangedTriggerConfig struct {
	TableID string   `json:"table_id"`
	Fields  []string `json:"fields" minItems:"1" doc:"the fields watched (names or ids)"`
	From    any      `json:"from,omitempty" doc:"fire only when the previous value was this"`
	To      any      `json:"to,omitempty" doc:"fire only when the new value is this"`
}

// FieldValueChanged fires when one of the chosen fields of a record
// changes, optionally from and/or to given values.
type FieldValueChanged struct{}

// Name implements kind.Kind.
func (FieldValueChanged) Name() string { return "field_value_changed" }

// DataShape implements kind.DataShaper: record, previous.
func (FieldValueChanged) DataShape() *kind.Shape { return kind.RecordTriggerShape(true) }

// Summary implements kind.Kind.
func (FieldValueChanged) Summary() string {
	return "One of the chosen fields of a record changes, optionally from and/or to given values."
}

// NewConfig implements kind.Kind.
func (FieldValueChanged) NewConfig() any { return &FieldChangedTriggerConfig{} }

// Example implements kind.Kind.
func (FieldValueChanged) Example(tableID string) any {
	return FieldChangedTriggerConfig{TableID: tableID, Fields: []string{"Status"}, To: "Done"}
}

// Validate implements kind.Trigger.
func (FieldValueChanged) Validate(v kind.Validator, cfg any) string {
	c := cfg.(*FieldChangedTriggerConfig)
	t := v.Table(c.TableID, "trigger.config.table_id")
	if t == nil {
		return c.TableID
	}
	if len(c.Fields) == 0 {
		v.Add("trigger.config.fields", "name at least one field")
	}
	for i, name := range c.Fields {
		f, ok := v.Field(t, name, fmt.Sprintf("trigger.config.fields[%d]", i))
		if !ok || len(c.Fields) != 1 {
			continue
		}
		for key, val := range map[string]any{"from": c.From, "to": c.To} {
			if val == nil {
				continue
			}
			if _, err := field.Normalize(f, val); err != nil {
				v.Add("trigger.config."+key, "not a valid value of %q: %v", f.Name, err)
			}
		}
	}
	return c.TableID
}

// Match implements kind.RecordMatcher.
func (FieldValueChanged) Match(ev *kind.RecordEvent, cfg any) (bool, error) {
	c := cfg.(*FieldChangedTriggerConfig)
	if ev.Change.Kind != record.ChangeUpdated {
		return false, nil
	}
	for _, key := range c.Fields {
		f, ok := ev.Table.Field(key)
		if !ok {
			continue
		}
		before, after := ev.Change.Before[f.ID], ev.Change.After[f.ID]
		if sameValue(before, after) {
			continue
		}
		if c.From != nil && !sameNormalized(f, c.From, before) {
			continue
		}
		if c.To != nil && !sameNormalized(f, c.To, after) {
			continue
		}
		return true, nil
	}
	return false, nil
}

// TestData implements kind.Tester.
func (t FieldValueChanged) TestData(_ context.Context, in kind.TestInput) (map[string]any, error) {
	return recordTestData(t.Name(), in), nil
}
