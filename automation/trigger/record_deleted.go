package trigger

import (
	"context"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/record"
)

// RecordDeleted fires when a record is deleted from the table; its
// trigger data holds the record's last cells.
type RecordDeleted struct{ tableOnly }

// Name implements kind.Kind.
func (RecordDeleted) Name() string { return "record_deleted" }

// DataShape implements kind.DataShaper: record.
func (RecordDeleted) DataShape() *kind.Shape { return kind.RecordTriggerShape(false) }

// Summary implements kind.Kind.
func (RecordDeleted) Summary() string {
	return "A record is deleted from the table; trigger.record holds its last cells."
}

// Match implements kind.RecordMatcher.
func (RecordDeleted) Match(ev *kind.RecordEvent, _ any) (bool, error) {
	return ev.Change.Kind == record.ChangeDeleted, nil
}

// TestData implements kind.Tester.
func (t RecordDeleted) TestData(_ context.Context, in kind.TestInput) (map[string]any, error) {
	return recordTestData(t.Name(), in), nil
}
