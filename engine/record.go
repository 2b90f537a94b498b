package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/engine/field"
)

// MaxBatch is the most records one batch call may create, update or delete.
const MaxBatch = 100

// Record is a stored record; Cells are canonical values keyed by field id.
type Record struct {
	ID        string         `json:"id"`
	TableID   string         `json:"table_id"`
	Cells     map[string]any `json:"cells"`
	Version   int64          `json:"version"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// RecordUpdate is one record of a batch update: only the named fields change.
type RecordUpdate struct {
	ID     string         `json:"id"`
	Fields map[string]any `json:"fields"`
}

func recordFromRow(r db.Record) (Record, error) {
	cells := map[string]any{}
	if len(r.Cells) > 0 {
		if err := json.Unmarshal(r.Cells, &cells); err != nil {
			return Record{}, fmt.Errorf("decoding cells of %s: %w", r.ID, err)
		}
	}
	return Record{ID: r.ID, TableID: r.TableID, Cells: cells, Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}

// Named returns cells keyed by field name (fields of t only, empty cells as
// null), the form answers use.
func (t *Table) Named(cells map[string]any) map[string]any {
	out := make(map[string]any, len(t.Fields))
	for _, f := range t.Fields {
		if f.Type == field.Button {
			continue
		}
		out[f.Name] = cells[f.ID]
	}
	return out
}

// normalizeCells validates API input keyed by field name or id and returns
// canonical values keyed by field id (nil = clear the cell). Every problem
// is reported, each at "<loc>.<key>".
func normalizeCells(t *Table, in map[string]any, loc string) (map[string]any, error) {
	out := make(map[string]any, len(in))
	verr := &Error{Code: CodeInvalid, Message: "validation failed"}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f, ok := t.Field(k)
		if !ok {
			verr.Details = append(verr.Details, ErrorDetail{Location: loc + "." + k, Message: fmt.Sprintf("table %q has no field %q", t.Name, k)})
			continue
		}
		v, err := field.Normalize(f, in[k])
		if err != nil {
			msg := err.Error()
			if fe, ok := err.(*field.Error); ok {
				msg = fe.Reason
			}
			verr.Details = append(verr.Details, ErrorDetail{Location: loc + "." + k, Message: msg})
			continue
		}
		out[f.ID] = v
	}
	if len(verr.Details) > 0 {
		return nil, verr
	}
	return out, nil
}

// CreateRecords creates records in one transaction (all or nothing) and
// enqueues one event for the write. Input cells are keyed by field name or id.
func (e *Engine) CreateRecords(ctx context.Context, tableID string, inputs []map[string]any) ([]Record, error) {
	return e.createRecords(ctx, tableID, inputs, nil)
}

// createRecords is CreateRecords with an optional hook run inside the
// transaction after the write (forms use it to check nothing).
func (e *Engine) createRecords(ctx context.Context, tableID string, inputs []map[string]any, t *Table) ([]Record, error) {
	if len(inputs) == 0 {
		return nil, Invalid("records", "at least one record is required")
	}
	if len(inputs) > MaxBatch {
		return nil, Invalid("records", "at most %d records per call, got %d", MaxBatch, len(inputs))
	}
	var err error
	if t == nil {
		if t, err = e.loadTable(ctx, e.q, tableID, RoleEditor); err != nil {
			return nil, err
		}
	}
	normalized := make([]map[string]any, len(inputs))
	for i, in := range inputs {
		loc := "fields"
		if len(inputs) > 1 {
			loc = fmt.Sprintf("records[%d].fields", i)
		}
		if normalized[i], err = normalizeCells(t, in, loc); err != nil {
			return nil, err
		}
	}
	var out []Record
	err = e.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		ws := newWriteSet(ctx, q, t)
		ids := make([]string, len(normalized))
		for i, cells := range normalized {
			loc := "fields"
			if len(inputs) > 1 {
				loc = fmt.Sprintf("records[%d].fields", i)
			}
			if ids[i], err = ws.create(cells, loc); err != nil {
				return err
			}
		}
		if out, err = ws.flush(ids); err != nil {
			return err
		}
		return e.emitEvent(ctx, tx, t.BaseID, ws.changes)
	})
	return out, err
}

// UpdateRecords changes the named fields of records in one transaction.
// A record whose cells end up unchanged is not written and fires nothing.
func (e *Engine) UpdateRecords(ctx context.Context, tableID string, updates []RecordUpdate) ([]Record, error) {
	if len(updates) == 0 {
		return nil, Invalid("records", "at least one record is required")
	}
	if len(updates) > MaxBatch {
		return nil, Invalid("records", "at most %d records per call, got %d", MaxBatch, len(updates))
	}
	t, err := e.loadTable(ctx, e.q, tableID, RoleEditor)
	if err != nil {
		return nil, err
	}
	normalized := make([]map[string]any, len(updates))
	for i, u := range updates {
		loc := "fields"
		if len(updates) > 1 {
			loc = fmt.Sprintf("records[%d].fields", i)
		}
		if normalized[i], err = normalizeCells(t, u.Fields, loc); err != nil {
			return nil, err
		}
	}
	var out []Record
	err = e.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		ws := newWriteSet(ctx, q, t)
		ids := make([]string, len(updates))
		for i, u := range updates {
			loc := "fields"
			if len(updates) > 1 {
				loc = fmt.Sprintf("records[%d].fields", i)
			}
			ids[i] = u.ID
			if err := ws.update(u.ID, normalized[i], loc); err != nil {
				return err
			}
		}
		if out, err = ws.flush(ids); err != nil {
			return err
		}
		return e.emitEvent(ctx, tx, t.BaseID, ws.changes)
	})
	return out, err
}

// DeleteRecords deletes records in one transaction, unlinking them from the
// records that link to them.
func (e *Engine) DeleteRecords(ctx context.Context, tableID string, ids []string) error {
	if len(ids) == 0 {
		return Invalid("records", "at least one record id is required")
	}
	if len(ids) > MaxBatch {
		return Invalid("records", "at most %d records per call, got %d", MaxBatch, len(ids))
	}
	t, err := e.loadTable(ctx, e.q, tableID, RoleEditor)
	if err != nil {
		return err
	}
	return e.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		ws := newWriteSet(ctx, q, t)
		for _, id := range ids {
			if err := ws.delete(id); err != nil {
				return err
			}
		}
		if _, err := ws.flush(nil); err != nil {
			return err
		}
		return e.emitEvent(ctx, tx, t.BaseID, ws.changes)
	})
}

// GetRecord returns one record of a table.
func (e *Engine) GetRecord(ctx context.Context, tableID, id string) (*Table, Record, error) {
	t, err := e.loadTable(ctx, e.q, tableID, RoleViewer)
	if err != nil {
		return nil, Record{}, err
	}
	row, err := e.q.GetRecord(ctx, db.GetRecordParams{ID: id, TableID: tableID})
	if err := notFoundIf(err, "record", id); err != nil {
		return nil, Record{}, err
	}
	r, err := recordFromRow(row)
	return t, r, err
}
