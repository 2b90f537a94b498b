package trigger

import (
	"context"
	"fmt"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/record"
)

// UpdatedTriggerConfig is record_updated's config: optionally only when one of
// the chosen fields changes.
type UpdatedTriggerConfig struct {
	TableID string   `json:"table_id" doc:"the table watched"`
	Fields  []string `json:"fields,omitempty" doc:"fire only when one of these fields (names or ids) changes"`
}

// RecordUpdated fires when a record of the table changes (optionally: one
// of the chosen fields). A write that changes nothing fires nothing.
type RecordUpdated struct{}

// Name implements kind.Kind.
func (RecordUpdated) Name() string { return "record_updated" }

// DataShape implements kind.DataShaper: record, previous.
func (RecordUpdated) DataShape() *kind.Shape { return kind.RecordTriggerShape(true) }

// Summary implements kind.Kind.
func (RecordUpdated) Summary() string {
	return "A record of the table changes (optionally: one of the chosen fields). A write that changes nothing fires nothing."
}

// NewConfig implements kind.Kind.
func (RecordUpdated) NewConfig() any { return &UpdatedTriggerConfig{} }

// Example implements kind.Kind.
func (RecordUpdated) Example(tableID string) any { return UpdatedTriggerConfig{TableID: tableID} }

// Validate implements kind.Trigger.
func (RecordUpdated) Validate(v kind.Validator, cfg any) string {
	c := cfg.(*UpdatedTriggerConfig)
	if t := v.Table(c.TableID, "trigger.config.table_id"); t != nil {
		for i, f := range c.Fields {
			v.Field(t, f, fmt.Sprintf("trigger.config.fields[%d]", i))
		}
	}
	return c.TableID
}

// Match implements kind.RecordMatcher.
func (RecordUpdated) Match(ev *kind.RecordEvent, cfg any) (bool, error) {
	c := cfg.(*UpdatedTriggerConfig)
	if ev.Change.Kind != record.ChangeUpdated {
		return false, nil
	}
	if len(c.Fields) == 0 {
		return len(changedFields(ev.Change)) > 0, nil
	}
	return anyChanged(ev, c.Fields), nil
}

// TestData implements kind.Tester.
func (t RecordUpdated) TestData(_ context.Context, in kind.TestInput) (map[string]any, error) {
	return recordTestData(t.Name(), in), nil
}
