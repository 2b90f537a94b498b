package trigger

import (
	"context"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/record"
)

// RecordCreated fires when a record is created in the table.
type RecordCreated struct{ tableOnly }

// Name implements kind.Kind.
func (RecordCreated) Name() string { return "record_created" }

// DataShape implements kind.DataShaper: record.
func (RecordCreated) DataShape() *kind.Shape { return kind.RecordTriggerShape(false) }

// Summary implements kind.Kind.
func (RecordCreated) Summary() string { return "A record is created in the table." }

// Match implements kind.RecordMatcher.
func (RecordCreated) Match(ev *kind.RecordEvent, _ any) (bool, error) {
	return ev.Change.Kind == record.ChangeCreated, nil
}

// TestData implements kind.Tester.
func (t RecordCreated) TestData(_ context.Context, in kind.TestInput) (map[string]any, error) {
	return recordTestData(t.Name(), in), nil
}
