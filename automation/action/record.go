package action

import (
	"context"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/record"
)

// recordWrite is embedded by the record actions: their writes go through
// the ctx Execute gets, inside the step's completion transaction.
type recordWrite struct{}

// Transactional implements kind.Transactional.
func (recordWrite) Transactional() {}

// recordOutput is the output of the record actions: {{steps.<id>.output.record.id}}.
func recordOutput(t *record.Table, r record.Record) map[string]any {
	return map[string]any{"record": map[string]any{"id": r.ID, "table_id": t.ID, "fields": t.Named(r.Cells)}}
}

// writtenRecord is the output of a step that wrote one record.
func writtenRecord(ctx context.Context, recs kind.Records, tableID string, written []record.Record, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	t, err := recs.GetTable(ctx, tableID)
	if err != nil {
		return nil, err
	}
	return recordOutput(t, written[0]), nil
}

// orCells is m, or an empty map for none.
func orCells(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
