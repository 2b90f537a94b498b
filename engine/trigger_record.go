package engine

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/rowflow/rowflow/engine/condition"
	"github.com/rowflow/rowflow/engine/field"
)

// matchInput is what a record trigger decides on: one committed change of
// a record of the watched table.
type matchInput struct {
	change RecordChange
	cause  Cause
	table  *Table
	now    time.Time
	// compile compiles a condition group against table (cached).
	compile func(raw json.RawMessage) (*condition.Condition, error)
	// view returns the filter of a view of table.
	view func(id string) (json.RawMessage, error)
}

// TableTriggerConfig is the config of record_created and record_deleted.
type TableTriggerConfig struct {
	TableID string `json:"table_id" doc:"the table watched" example:"tbl_01jd0000000000000000000000"`
}

// UpdatedTriggerConfig is record_updated's config: optionally only when one
// of the chosen fields changes.
type UpdatedTriggerConfig struct {
	TableID string   `json:"table_id" doc:"the table watched"`
	Fields  []string `json:"fields,omitempty" doc:"fire only when one of these fields (names or ids) changes"`
}

// FieldChangedTriggerConfig is field_value_changed's config: one of the
// chosen fields changed, optionally from and/or to given values.
type FieldChangedTriggerConfig struct {
	TableID string   `json:"table_id"`
	Fields  []string `json:"fields" minItems:"1" doc:"the fields watched (names or ids)"`
	From    any      `json:"from,omitempty" doc:"fire only when the previous value was this"`
	To      any      `json:"to,omitempty" doc:"fire only when the new value is this"`
}

// EntersViewTriggerConfig is record_enters_view's config.
type EntersViewTriggerConfig struct {
	TableID string `json:"table_id"`
	ViewID  string `json:"view_id" doc:"fires when a write makes a record match this view's filter"`
}

// MatchesTriggerConfig is record_matches_conditions' config.
type MatchesTriggerConfig struct {
	TableID    string          `json:"table_id"`
	Conditions json.RawMessage `json:"conditions" doc:"a condition group; fires when it goes from false to true"`
}

var recordCreatedTrigger = changeTrigger("record_created", "A record is created in the table.", ChangeCreated)

var recordDeletedTrigger = changeTrigger("record_deleted", "A record is deleted from the table; trigger.record holds its last cells.", ChangeDeleted)

// changeTrigger is a trigger on one kind of change of any record of a
// table, configured by the table alone.
func changeTrigger(name, summary, kind string) *TriggerType {
	return &TriggerType{
		Name:      name,
		Summary:   summary,
		NewConfig: func() any { return &TableTriggerConfig{} },
		Example:   func(tableID string) any { return TableTriggerConfig{TableID: tableID} },
		Validate: func(v *validation, cfg any) string {
			c := cfg.(*TableTriggerConfig)
			v.table(c.TableID, "trigger.config.table_id")
			return c.TableID
		},
		Match: func(m *matchInput, _ any) (bool, error) { return m.change.Kind == kind, nil },
	}
}

var recordUpdatedTrigger = &TriggerType{
	Name:      "record_updated",
	Summary:   "A record of the table changes (optionally: one of the chosen fields). A write that changes nothing fires nothing.",
	NewConfig: func() any { return &UpdatedTriggerConfig{} },
	Example:   func(tableID string) any { return UpdatedTriggerConfig{TableID: tableID} },
	Validate: func(v *validation, cfg any) string {
		c := cfg.(*UpdatedTriggerConfig)
		if t := v.table(c.TableID, "trigger.config.table_id"); t != nil {
			for i, f := range c.Fields {
				v.field(t, f, fmt.Sprintf("trigger.config.fields[%d]", i))
			}
		}
		return c.TableID
	},
	Match: func(m *matchInput, cfg any) (bool, error) {
		c := cfg.(*UpdatedTriggerConfig)
		if m.change.Kind != ChangeUpdated {
			return false, nil
		}
		if len(c.Fields) == 0 {
			return len(changedFields(m.change)) > 0, nil
		}
		return anyChanged(m, c.Fields), nil
	},
}

var fieldValueChangedTrigger = &TriggerType{
	Name:      "field_value_changed",
	Summary:   "One of the chosen fields of a record changes, optionally from and/or to given values.",
	NewConfig: func() any { return &FieldChangedTriggerConfig{} },
	Example: func(tableID string) any {
		return FieldChangedTriggerConfig{TableID: tableID, Fields: []string{"Status"}, To: "Done"}
	},
	Validate: func(v *validation, cfg any) string {
		c := cfg.(*FieldChangedTriggerConfig)
		t := v.table(c.TableID, "trigger.config.table_id")
		if t == nil {
			return c.TableID
		}
		if len(c.Fields) == 0 {
			v.add("trigger.config.fields", "name at least one field")
		}
		for i, name := range c.Fields {
			f, ok := v.field(t, name, fmt.Sprintf("trigger.config.fields[%d]", i))
			if !ok || len(c.Fields) != 1 {
				continue
			}
			for key, val := range map[string]any{"from": c.From, "to": c.To} {
				if val == nil {
					continue
				}
				if _, err := field.Normalize(f, val); err != nil {
					v.add("trigger.config."+key, "not a valid value of %q: %v", f.Name, err)
				}
			}
		}
		return c.TableID
	},
	Match: func(m *matchInput, cfg any) (bool, error) {
		c := cfg.(*FieldChangedTriggerConfig)
		if m.change.Kind != ChangeUpdated {
			return false, nil
		}
		for _, key := range c.Fields {
			f, ok := m.table.Field(key)
			if !ok {
				continue
			}
			before, after := m.change.Before[f.ID], m.change.After[f.ID]
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
	},
}

var recordEntersViewTrigger = &TriggerType{
	Name:      "record_enters_view",
	Summary:   "A write makes a record match the view's filter (it did not match before). New records that match enter too.",
	NewConfig: func() any { return &EntersViewTriggerConfig{} },
	Example:   func(tableID string) any { return EntersViewTriggerConfig{TableID: tableID, ViewID: "viw_…"} },
	Validate: func(v *validation, cfg any) string {
		c := cfg.(*EntersViewTriggerConfig)
		t := v.table(c.TableID, "trigger.config.table_id")
		if t == nil {
			return c.TableID
		}
		view, err := v.e.GetView(v.ctx, c.ViewID)
		if err != nil || view.TableID != t.ID {
			v.add("trigger.config.view_id", "no view %q on table %q", c.ViewID, t.Name)
		}
		return c.TableID
	},
	Match: func(m *matchInput, cfg any) (bool, error) {
		c := cfg.(*EntersViewTriggerConfig)
		if m.change.Kind == ChangeDeleted {
			return false, nil
		}
		view, err := m.viewFilter(c.ViewID)
		if err != nil {
			return false, err
		}
		return transition(m, view)
	},
}

var recordMatchesTrigger = &TriggerType{
	Name:      "record_matches_conditions",
	Summary:   "A record's cells go from not matching the conditions to matching them (on create: matching at once).",
	NewConfig: func() any { return &MatchesTriggerConfig{} },
	Example: func(tableID string) any {
		return MatchesTriggerConfig{TableID: tableID, Conditions: json.RawMessage(`{"match":"all","rules":[{"field":"Status","op":"is","value":"Done"}]}`)}
	},
	Validate: func(v *validation, cfg any) string {
		c := cfg.(*MatchesTriggerConfig)
		if t := v.table(c.TableID, "trigger.config.table_id"); t != nil {
			if len(c.Conditions) == 0 || string(c.Conditions) == "null" {
				v.add("trigger.config.conditions", "is required")
			} else {
				v.condition(c.Conditions, t, "trigger.config.conditions")
			}
		}
		return c.TableID
	},
	Match: func(m *matchInput, cfg any) (bool, error) {
		c := cfg.(*MatchesTriggerConfig)
		if m.change.Kind == ChangeDeleted {
			return false, nil
		}
		cond, err := m.compile(c.Conditions)
		if err != nil {
			return false, err
		}
		return transition(m, cond)
	},
}

// transition is true when cond did not hold before the change (or the
// record is new) and holds after it.
func transition(m *matchInput, cond *condition.Condition) (bool, error) {
	after, err := cond.Match(m.change.After, m.now)
	if err != nil || !after {
		return false, err
	}
	if m.change.Kind == ChangeCreated {
		return true, nil
	}
	before, err := cond.Match(m.change.Before, m.now)
	return !before, err
}

// viewFilter returns the compiled filter of a view.
func (m *matchInput) viewFilter(viewID string) (*condition.Condition, error) {
	raw, err := m.view(viewID)
	if err != nil {
		return nil, fmt.Errorf("view %s: %w", viewID, err)
	}
	return m.compile(raw)
}

// changedFields lists the field ids whose cells differ before/after.
func changedFields(ch RecordChange) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range []map[string]any{ch.Before, ch.After} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				if !sameValue(ch.Before[k], ch.After[k]) {
					out = append(out, k)
				}
			}
		}
	}
	return out
}

func anyChanged(m *matchInput, keys []string) bool {
	for _, key := range keys {
		if f, ok := m.table.Field(key); ok && !sameValue(m.change.Before[f.ID], m.change.After[f.ID]) {
			return true
		}
	}
	return false
}

// sameValue compares canonical cell values (as decoded from JSON).
func sameValue(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb) || reflect.DeepEqual(a, b)
}

// sameNormalized compares a configured value (normalized for f) to a cell.
func sameNormalized(f field.Field, want, cell any) bool {
	n, err := field.Normalize(f, want)
	if err != nil {
		return false
	}
	return sameValue(n, cell)
}
