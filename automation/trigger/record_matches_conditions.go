package trigger

import (
	"context"
	"encoding/json"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/record"
)

// MatchesTriggerConfig is record_matches_conditions' config.
type MatchesTriggerConfig struct {
	TableID    string          `json:"table_id"`
	Conditions json.RawMessage `json:"conditions" doc:"a condition group; fires when it goes from false to true"`
}

// RecordMatchesConditions fires when a record's cells go from not matching
// the conditions to matching them (on create: matching at once).
type RecordMatchesConditions struct{}

// Name implements kind.Kind.
func (RecordMatchesConditions) Name() string { return "record_matches_conditions" }

// DataShape implements kind.DataShaper: record, previous.
func (RecordMatchesConditions) DataShape() *kind.Shape { return kind.RecordTriggerShape(true) }

// Summary implements kind.Kind.
func (RecordMatchesConditions) Summary() string {
	return "A record's cells go from not matching the conditions to matching them (on create: matching at once)."
}

// NewConfig implements kind.Kind.
func (RecordMatchesConditions) NewConfig() any { return &MatchesTriggerConfig{} }

// Example implements kind.Kind.
func (RecordMatchesConditions) Example(tableID string) any {
	return MatchesTriggerConfig{TableID: tableID, Conditions: json.RawMessage(`{"match":"all","rules":[{"field":"Status","op":"is","value":"Done"}]}`)}
}

// Validate implements kind.Trigger.
func (RecordMatchesConditions) Validate(v kind.Validator, cfg any) string {
	c := cfg.(*MatchesTriggerConfig)
	if t := v.Table(c.TableID, "trigger.config.table_id"); t != nil {
		if len(c.Conditions) == 0 || string(c.Conditions) == "null" {
			v.Add("trigger.config.conditions", "is required")
		} else {
			v.Condition(c.Conditions, t, "trigger.config.conditions")
		}
	}
	return c.TableID
}

// Match implements kind.RecordMatcher.
func (RecordMatchesConditions) Match(ev *kind.RecordEvent, cfg any) (bool, error) {
	c := cfg.(*MatchesTriggerConfig)
	if ev.Change.Kind == record.ChangeDeleted {
		return false, nil
	}
	cond, err := ev.Compile(c.Conditions)
	if err != nil {
		return false, err
	}
	return transition(ev, cond)
}

// TestData implements kind.Tester.
func (t RecordMatchesConditions) TestData(_ context.Context, in kind.TestInput) (map[string]any, error) {
	return recordTestData(t.Name(), in), nil
}
