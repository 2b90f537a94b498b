package record

import (
	"context"
	"encoding/json"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
)

// Change kinds of a record change.
const (
	ChangeCreated = "created"
	ChangeUpdated = "updated"
	ChangeDeleted = "deleted"
)

// Change is one record's committed change: cells (keyed by field id)
// before and after the write. Before is nil for created, After for deleted.
type Change struct {
	TableID  string         `json:"table_id"`
	RecordID string         `json:"record_id"`
	Kind     string         `json:"kind"`
	Before   map[string]any `json:"before,omitempty"`
	After    map[string]any `json:"after,omitempty"`
	Version  int64          `json:"version"`
	// SchemaVersion is the version of the table's definition the write was
	// validated against (0: unknown); readers reuse a cached definition
	// only at that version (cache.go).
	SchemaVersion int64 `json:"schema_version,omitempty"`
}

// Hook is how the record service tells whoever runs automations about
// writes, without knowing them (the automation runtime implements it; app
// wires it with SetHook). Every write calls exactly one of its methods, so
// a committed write always carries its automation work and a rolled-back
// one never does.
type Hook interface {
	// Changed is called inside a write's transaction q with the write's
	// changes (never empty), in order, to record the work they cause in
	// that same transaction. own is true when the transaction is the
	// writer's own (not a caller's, see WithTx): after, when not nil, is
	// then run once it committed.
	Changed(ctx context.Context, q *db.Queries, baseID string, changes []Change, own bool) (after func(), err error)
	// CreateWithRuns inserts new records of t — without link cells,
	// validated against t at t.SchemaVersion, outside any caller's
	// transaction — together with the automation work they cause, in one
	// statement. It returns the stored records in the order of recs.IDs,
	// or ok = false with nothing written when t (or what the hook matched
	// against) is no longer current: the caller reloads t and tries again.
	CreateWithRuns(ctx context.Context, t *Table, recs *NewRecords) (out []Record, ok bool, err error)
}

// NewRecords is a fast create's records before they are written: ids,
// cells as JSON (keyed by field id, empty cells dropped) and the changes
// the write makes, in order.
type NewRecords struct {
	IDs     []string
	Cells   []string
	Changes []Change
	// Cause is who makes the write (rowflow.CauseFrom of the writer).
	Cause rowflow.Cause
}

// newRecords prepares records of t with normalized cells.
func newRecords(ctx context.Context, t *Table, cells []map[string]any) (*NewRecords, error) {
	nr := &NewRecords{Cause: rowflow.CauseFrom(ctx)}
	for _, c := range cells {
		after := map[string]any{}
		for k, v := range c {
			if v != nil {
				after[k] = v
			}
		}
		b, err := json.Marshal(after)
		if err != nil {
			return nil, err
		}
		id := rowflow.NewID(rowflow.PrefixRecord)
		nr.IDs = append(nr.IDs, id)
		nr.Cells = append(nr.Cells, string(b))
		// Changes carry the cells as stored: decoded from their JSON.
		var stored map[string]any
		_ = json.Unmarshal(b, &stored)
		nr.Changes = append(nr.Changes, Change{TableID: t.ID, RecordID: id, Kind: ChangeCreated, After: stored, Version: 1, SchemaVersion: t.SchemaVersion})
	}
	return nr, nil
}

// Records returns rows stored for nr as records, in the order of nr.IDs.
func (nr *NewRecords) Records(rows []db.Record) ([]Record, error) {
	byID := make(map[string]Record, len(rows))
	for _, row := range rows {
		r, err := recordFromRow(row)
		if err != nil {
			return nil, err
		}
		byID[r.ID] = r
	}
	out := make([]Record, len(nr.IDs))
	for i, id := range nr.IDs {
		out[i] = byID[id]
	}
	return out, nil
}
