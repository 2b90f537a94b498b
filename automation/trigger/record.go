package trigger

import (
	"encoding/json"
	"reflect"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/condition"
	"github.com/rowflow/rowflow/field"
	"github.com/rowflow/rowflow/record"
)

// TableTriggerConfig is the config of the triggers that watch one table and
// nothing else (record_created, record_deleted).
type TableTriggerConfig struct {
	TableID string `json:"table_id" doc:"the table watched" example:"tbl_01jd0000000000000000000000"`
}

// tableOnly is embedded by the triggers configured by a table alone
// (record_created, record_deleted): their config, example and validation.
type tableOnly struct{}

// NewConfig implements kind.Kind.
func (tableOnly) NewConfig() any { return &TableTriggerConfig{} }

// Example implements kind.Kind.
func (tableOnly) Example(tableID string) any { return TableTriggerConfig{TableID: tableID} }

// Validate implements kind.Trigger.
func (tableOnly) Validate(v kind.Validator, cfg any) string {
	c := cfg.(*TableTriggerConfig)
	v.Table(c.TableID, "trigger.config.table_id")
	return c.TableID
}

// recordTestData is the kind.Tester of every record trigger: the test run
// sees the record as if it had just been created.
func recordTestData(name string, in kind.TestInput) map[string]any {
	ch := record.Change{TableID: in.Table.ID, RecordID: in.Record.ID, Kind: record.ChangeCreated, After: in.Record.Cells, Version: in.Record.Version}
	return kind.RecordTriggerData(name, in.Table, ch, in.Cause)
}

// transition is true when cond did not hold before the change (or the
// record is new) and holds after it.
func transition(ev *kind.RecordEvent, cond *condition.Condition) (bool, error) {
	after, err := cond.Match(ev.Change.After, ev.Now)
	if err != nil || !after {
		return false, err
	}
	if ev.Change.Kind == record.ChangeCreated {
		return true, nil
	}
	before, err := cond.Match(ev.Change.Before, ev.Now)
	return !before, err
}

// changedFields lists the field ids whose cells differ before/after.
func changedFields(ch record.Change) []string {
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

// anyChanged reports whether one of the fields named by keys changed.
func anyChanged(ev *kind.RecordEvent, keys []string) bool {
	for _, key := range keys {
		if f, ok := ev.Table.Field(key); ok && !sameValue(ev.Change.Before[f.ID], ev.Change.After[f.ID]) {
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
