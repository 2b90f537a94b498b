package record

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/field"
	"github.com/rowflow/rowflow/pgtx"
)

// MaxBatch is the most records one batch call may create, update or delete.
const MaxBatch = 100

// MaxRowBytes is the most a record's cells may take, as JSON, after a
// write (each text cell holds at most 100,000 bytes; a request body at
// most 1 MiB). docs/limits.md lists every limit.
const MaxRowBytes = 1 << 20

// Record is a stored record; Cells are canonical values keyed by field id.
type Record struct {
	ID        string         `json:"id"`
	TableID   string         `json:"table_id"`
	Cells     map[string]any `json:"cells"`
	Version   int64          `json:"version"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// Update is one record of a batch update: only the named fields change.
type Update struct {
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
// canonical values keyed by field id (nil = clear the cell); with
// WithTypecast, values are converted to each field's type first. Every problem
// is reported, each at "<loc>.<field name>" ("<loc>.<key>" for a key that
// names no field).
func normalizeCells(ctx context.Context, t *Table, in map[string]any, loc string) (map[string]any, error) {
	out := make(map[string]any, len(in))
	verr := &rowflow.Error{Code: rowflow.CodeInvalid, Message: "validation failed"}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f, ok := t.Field(k)
		if !ok {
			verr.Details = append(verr.Details, rowflow.ErrorDetail{Location: loc + "." + k, Message: fmt.Sprintf("table %q has no field %q", t.Name, k)})
			continue
		}
		normalize := field.Normalize
		if typecast(ctx) {
			normalize = field.Typecast
		}
		v, err := normalize(f, in[k])
		if err != nil {
			msg := err.Error()
			if fe, ok := err.(*field.Error); ok {
				msg = fe.Reason
			}
			// Located by the field's name even when the key is its id, as
			// the link checks of the write set are.
			verr.Details = append(verr.Details, rowflow.ErrorDetail{Location: loc + "." + f.Name, Message: msg})
			continue
		}
		if exactNumbers(ctx) {
			if msg := checkExact(f, in[k], v); msg != "" {
				verr.Details = append(verr.Details, rowflow.ErrorDetail{Location: loc + "." + f.Name, Message: msg})
				continue
			}
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
// Errors are located at "fields.<field name>" for one record and at
// "records[i].fields.<field name>" for several.
func (s *Service) CreateRecords(ctx context.Context, tableID string, inputs []map[string]any) ([]Record, error) {
	return s.createRecords(ctx, tableID, inputs, nil, false)
}

// CreateRecordBatch is CreateRecords for a batch request: errors are always
// located at "records[i].fields.<field name>", even in a batch of one.
func (s *Service) CreateRecordBatch(ctx context.Context, tableID string, inputs []map[string]any) ([]Record, error) {
	return s.createRecords(ctx, tableID, inputs, nil, true)
}

// cellLocs returns the error location prefix of each of n inputs:
// "fields" for a lone record, "records[i].fields" in a batch.
func cellLocs(n int, batch bool) []string {
	locs := make([]string, n)
	for i := range locs {
		locs[i] = "fields"
		if batch || n > 1 {
			locs[i] = fmt.Sprintf("records[%d].fields", i)
		}
	}
	return locs
}

// createRecords is CreateRecords on an already loaded table t (nil: load
// it, checking the caller may write); batch locates errors by index.
//
// Records without link cells, outside a caller's transaction, are written
// with their event in one statement (createFast) against the process's
// cached table definition (table_cache.go): a definition that rejects the
// cells or is no longer current is reloaded and the create tried again.
func (s *Service) createRecords(ctx context.Context, tableID string, inputs []map[string]any, t *Table, batch bool) ([]Record, error) {
	if len(inputs) == 0 {
		return nil, rowflow.Invalid("records", "at least one record is required")
	}
	if len(inputs) > MaxBatch {
		return nil, rowflow.Invalid("records", "at most %d records per call, got %d", MaxBatch, len(inputs))
	}
	var err error
	cached := false
	if t == nil {
		if t, cached, err = s.cachedTable(ctx, tableID, rowflow.RoleEditor); err != nil {
			return nil, err
		}
	}
	locs := cellLocs(len(inputs), batch)
	// The fast path needs a hook to write the automation work with the
	// records; without one (a service that runs no automations) every
	// write takes the transaction.
	outer := inOuterTx(ctx)
	for try := 0; ; try++ {
		normalized, err := normalizeAll(ctx, t, inputs, locs)
		fast := err == nil && !outer && s.hook != nil && !hasLinkCells(t, normalized)
		if cached && !fast {
			// Validate against, and write with, the current definition.
			if t, err = s.reloadTable(ctx, tableID); err != nil {
				return nil, err
			}
			cached = false
			continue
		}
		if err != nil {
			return nil, err
		}
		if !fast {
			var out []Record
			err = s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx, q *db.Queries) error {
				out, err = s.createInTx(ctx, tx, q, t, normalized, locs)
				return err
			})
			return out, err
		}
		out, ok, err := s.createFast(ctx, t, normalized)
		if ok || (err != nil && !concurrentChange(err)) {
			return out, err
		}
		if try >= 3 {
			return nil, fmt.Errorf("creating records in %s: its fields kept changing", tableID)
		}
		// The definition or the automations changed since they were read
		// (or the table is gone).
		if t, err = s.reloadTable(ctx, tableID); err != nil {
			return nil, err
		}
		cached = false
	}
}

// concurrentChange reports whether a fast create failed because of a
// concurrent change to its table or automations — a deadlock with it, or
// an automation or table deleted under the statement — so that reading
// them again and retrying is the answer.
func concurrentChange(err error) bool {
	return pgtx.Retryable(err) || pgtx.ForeignKeyViolation(err)
}

// normalizeAll normalizes the cells of every input (see normalizeCells).
func normalizeAll(ctx context.Context, t *Table, inputs []map[string]any, locs []string) ([]map[string]any, error) {
	out := make([]map[string]any, len(inputs))
	for i, in := range inputs {
		var err error
		if out[i], err = normalizeCells(ctx, t, in, locs[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// hasLinkCells reports whether any of the normalized cells sets a link
// (whose inverse cells must change in the same transaction).
func hasLinkCells(t *Table, cells []map[string]any) bool {
	for _, f := range t.Fields {
		if f.Type != field.LinkToRecord {
			continue
		}
		for _, c := range cells {
			if len(Strings(c[f.ID])) > 0 {
				return true
			}
		}
	}
	return false
}

// createFast writes records without links and their automation work in
// one statement through the hook (Hook.CreateWithRuns), provided t is
// still the table's current definition; false (and nothing written) when
// it is not.
func (s *Service) createFast(ctx context.Context, t *Table, cells []map[string]any) ([]Record, bool, error) {
	nr, err := newRecords(ctx, t, cells)
	if err != nil {
		return nil, false, err
	}
	return s.hook.CreateWithRuns(ctx, t, nr)
}

// createInTx is the transactional part of a create: it inserts records with
// the normalized cells (keyed by field id), mirrors their links, and
// enqueues the write's one event in tx. locs are the error locations of
// the cells (see cellLocs).
func (s *Service) createInTx(ctx context.Context, tx pgx.Tx, q *db.Queries, t *Table, cells []map[string]any, locs []string) ([]Record, error) {
	ws := newWriteSet(ctx, q, t)
	ids := make([]string, len(cells))
	for i, c := range cells {
		var err error
		if ids[i], err = ws.create(c, locs[i]); err != nil {
			return nil, err
		}
	}
	out, err := ws.flush(ids)
	if err != nil {
		return nil, err
	}
	return out, s.emit(ctx, q, t.BaseID, ws.changes)
}

// UpdateRecords changes the named fields of records in one transaction.
// A record whose cells end up unchanged is not written and fires nothing.
// Errors are located as for CreateRecords.
func (s *Service) UpdateRecords(ctx context.Context, tableID string, updates []Update) ([]Record, error) {
	return s.updateRecords(ctx, tableID, updates, false)
}

// UpdateRecordBatch is UpdateRecords for a batch request: errors are always
// located at "records[i].fields.<field name>", even in a batch of one.
func (s *Service) UpdateRecordBatch(ctx context.Context, tableID string, updates []Update) ([]Record, error) {
	return s.updateRecords(ctx, tableID, updates, true)
}

func (s *Service) updateRecords(ctx context.Context, tableID string, updates []Update, batch bool) ([]Record, error) {
	if len(updates) == 0 {
		return nil, rowflow.Invalid("records", "at least one record is required")
	}
	if len(updates) > MaxBatch {
		return nil, rowflow.Invalid("records", "at most %d records per call, got %d", MaxBatch, len(updates))
	}
	t, err := s.loadTable(ctx, s.q, tableID, rowflow.RoleEditor)
	if err != nil {
		return nil, err
	}
	locs := cellLocs(len(updates), batch)
	normalized := make([]Update, len(updates))
	for i, u := range updates {
		normalized[i].ID = u.ID
		if normalized[i].Fields, err = normalizeCells(ctx, t, u.Fields, locs[i]); err != nil {
			return nil, err
		}
	}
	var out []Record
	err = s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx, q *db.Queries) error {
		out, err = s.updateInTx(ctx, tx, q, t, normalized, locs)
		return err
	})
	return out, err
}

// updateInTx is the transactional part of an update: updates hold
// normalized cells keyed by field id. It enqueues one event in tx when a
// record really changed.
func (s *Service) updateInTx(ctx context.Context, tx pgx.Tx, q *db.Queries, t *Table, updates []Update, locs []string) ([]Record, error) {
	ws := newWriteSet(ctx, q, t)
	ids := make([]string, len(updates))
	for i, u := range updates {
		ids[i] = u.ID
		if err := ws.update(u.ID, u.Fields, locs[i]); err != nil {
			return nil, err
		}
	}
	out, err := ws.flush(ids)
	if err != nil {
		return nil, err
	}
	return out, s.emit(ctx, q, t.BaseID, ws.changes)
}

// DeleteRecords deletes records in one transaction, unlinking them from the
// records that link to them.
func (s *Service) DeleteRecords(ctx context.Context, tableID string, ids []string) error {
	if len(ids) == 0 {
		return rowflow.Invalid("records", "at least one record id is required")
	}
	if len(ids) > MaxBatch {
		return rowflow.Invalid("records", "at most %d records per call, got %d", MaxBatch, len(ids))
	}
	t, err := s.loadTable(ctx, s.q, tableID, rowflow.RoleEditor)
	if err != nil {
		return err
	}
	return s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx, q *db.Queries) error {
		return s.deleteInTx(ctx, tx, q, t, ids)
	})
}

// deleteInTx is the transactional part of a delete; it enqueues the
// write's one event in tx.
func (s *Service) deleteInTx(ctx context.Context, tx pgx.Tx, q *db.Queries, t *Table, ids []string) error {
	ws := newWriteSet(ctx, q, t)
	for _, id := range ids {
		if err := ws.delete(id); err != nil {
			return err
		}
	}
	if _, err := ws.flush(nil); err != nil {
		return err
	}
	return s.emit(ctx, q, t.BaseID, ws.changes)
}

// GetRecord returns one record of a table.
func (s *Service) GetRecord(ctx context.Context, tableID, id string) (*Table, Record, error) {
	t, err := s.loadTable(ctx, s.q, tableID, rowflow.RoleViewer)
	if err != nil {
		return nil, Record{}, err
	}
	row, err := s.q.GetRecord(ctx, db.GetRecordParams{ID: id, TableID: tableID})
	if err := pgtx.NotFoundIf(err, "record", id); err != nil {
		return nil, Record{}, err
	}
	r, err := recordFromRow(row)
	return t, r, err
}

type typecastKey struct{}

// WithTypecast returns ctx whose record writes convert each value to its
// field's type before validating it (field.Typecast: "21" → 21 for a
// number, "Done" → the choice Done, "a, b" → two choices), as Airtable's
// typecast does. Automation record steps always write this way; API
// requests ask for it with "typecast": true.
func WithTypecast(ctx context.Context) context.Context {
	return context.WithValue(ctx, typecastKey{}, true)
}

// typecast reports whether ctx asks for typecasting (WithTypecast).
func typecast(ctx context.Context) bool {
	on, _ := ctx.Value(typecastKey{}).(bool)
	return on
}
