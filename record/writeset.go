package record

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/field"
)

// writeSet gathers the records one write call touches — the records named
// by the caller and the linked records whose inverse link cells change — and
// writes each once at flush, in first-touch order, collecting one change per
// record whose cells really changed. It keeps both directions of every link
// consistent inside the caller's transaction.
type writeSet struct {
	ctx     context.Context
	q       *db.Queries
	table   *Table
	order   []string
	recs    map[string]*pendingRecord
	changes []Change
}

type pendingRecord struct {
	tableID string
	row     db.Record // the stored row (zero for created records)
	before  map[string]any
	after   map[string]any
	created bool
	deleted bool
}

func newWriteSet(ctx context.Context, q *db.Queries, t *Table) *writeSet {
	return &writeSet{ctx: ctx, q: q, table: t, recs: map[string]*pendingRecord{}}
}

// load returns the pending state of a record, reading (and locking) it once.
func (ws *writeSet) load(tableID, id string) (*pendingRecord, error) {
	if p, ok := ws.recs[id]; ok {
		if p.tableID != tableID {
			return nil, rowflow.NotFound("record", id)
		}
		return p, nil
	}
	row, err := ws.q.GetRecordForUpdate(ws.ctx, db.GetRecordForUpdateParams{ID: id, TableID: tableID})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, rowflow.NotFound("record", id)
	}
	if err != nil {
		return nil, fmt.Errorf("locking record %s: %w", id, err)
	}
	r, err := recordFromRow(row)
	if err != nil {
		return nil, err
	}
	p := &pendingRecord{tableID: tableID, row: row, before: r.Cells, after: cloneCells(r.Cells)}
	ws.recs[id] = p
	ws.order = append(ws.order, id)
	return p, nil
}

// create adds a new record of the write set's table.
func (ws *writeSet) create(cells map[string]any, loc string) (string, error) {
	id := rowflow.NewID(rowflow.PrefixRecord)
	p := &pendingRecord{tableID: ws.table.ID, after: map[string]any{}, created: true}
	ws.recs[id] = p
	ws.order = append(ws.order, id)
	return id, ws.set(id, p, cells, loc)
}

// update applies a partial change to a record of the write set's table.
func (ws *writeSet) update(id string, cells map[string]any, loc string) error {
	p, err := ws.load(ws.table.ID, id)
	if err != nil {
		return err
	}
	if p.deleted {
		return rowflow.NotFound("record", id)
	}
	return ws.set(id, p, cells, loc)
}

// delete removes a record and unlinks it from every record it links to.
func (ws *writeSet) delete(id string) error {
	p, err := ws.load(ws.table.ID, id)
	if err != nil {
		return err
	}
	if p.deleted {
		return nil
	}
	for _, f := range ws.table.Fields {
		if f.Type != field.LinkToRecord {
			continue
		}
		var lo field.LinkOptions
		_ = json.Unmarshal(f.Options, &lo)
		for _, target := range Strings(p.after[f.ID]) {
			if err := ws.unlink(lo.TableID, target, lo.InverseFieldID, id); err != nil {
				return err
			}
		}
	}
	p.deleted = true
	p.after = nil
	return nil
}

// set writes normalized cells (keyed by field id, nil = clear) into p and
// mirrors link changes into the inverse fields of the linked records.
func (ws *writeSet) set(id string, p *pendingRecord, cells map[string]any, loc string) error {
	for _, f := range ws.table.Fields {
		v, ok := cells[f.ID]
		if !ok {
			continue
		}
		if f.Type == field.LinkToRecord {
			var lo field.LinkOptions
			_ = json.Unmarshal(f.Options, &lo)
			old, now := Strings(p.after[f.ID]), Strings(v)
			for _, target := range now {
				if slices.Contains(old, target) {
					continue
				}
				if err := ws.link(lo.TableID, target, lo.InverseFieldID, id); err != nil {
					if rowflow.ErrorCode(err) == rowflow.CodeNotFound {
						return rowflow.Invalid(loc+"."+f.Name, "no record %q in the linked table", target)
					}
					return err
				}
			}
			for _, target := range old {
				if !slices.Contains(now, target) {
					if err := ws.unlink(lo.TableID, target, lo.InverseFieldID, id); err != nil {
						return err
					}
				}
			}
		}
		if v == nil {
			delete(p.after, f.ID)
		} else {
			p.after[f.ID] = v
		}
	}
	if b, err := json.Marshal(p.after); err == nil && len(b) > MaxRowBytes {
		return rowflow.Invalid(loc, "the record's cells would take %d bytes, at most %d", len(b), MaxRowBytes)
	}
	return nil
}

// link adds source to the inverse link cell of record target.
func (ws *writeSet) link(tableID, target, inverse, source string) error {
	if inverse == "" {
		return nil
	}
	tp, err := ws.load(tableID, target)
	if err != nil {
		return err
	}
	if tp.deleted {
		return rowflow.NotFound("record", target)
	}
	cur := Strings(tp.after[inverse])
	if !slices.Contains(cur, source) {
		tp.after[inverse] = append(cur, source)
	}
	return nil
}

// unlink removes source from the inverse link cell of record target; a
// target that no longer exists is ignored.
func (ws *writeSet) unlink(tableID, target, inverse, source string) error {
	if inverse == "" {
		return nil
	}
	tp, err := ws.load(tableID, target)
	if rowflow.ErrorCode(err) == rowflow.CodeNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if tp.deleted {
		return nil
	}
	cur := slices.DeleteFunc(Strings(tp.after[inverse]), func(s string) bool { return s == source })
	if len(cur) == 0 {
		delete(tp.after, inverse)
	} else {
		tp.after[inverse] = cur
	}
	return nil
}

// flush writes every touched record, collects the changes and returns the
// records named by ids (in that order).
func (ws *writeSet) flush(ids []string) ([]Record, error) {
	result := map[string]Record{}
	for _, id := range ws.order {
		p := ws.recs[id]
		switch {
		case p.created && p.deleted:
			continue
		case p.created:
			cells, _ := json.Marshal(p.after)
			row, err := ws.q.InsertRecord(ws.ctx, db.InsertRecordParams{ID: id, TableID: p.tableID, Cells: cells})
			if err != nil {
				return nil, fmt.Errorf("inserting record: %w", err)
			}
			r, err := recordFromRow(row)
			if err != nil {
				return nil, err
			}
			result[id] = r
			ws.changes = append(ws.changes, Change{TableID: p.tableID, RecordID: id, Kind: ChangeCreated, After: r.Cells, Version: r.Version})
		case p.deleted:
			if _, err := ws.q.DeleteRecord(ws.ctx, id); err != nil {
				return nil, fmt.Errorf("deleting record %s: %w", id, err)
			}
			ws.changes = append(ws.changes, Change{TableID: p.tableID, RecordID: id, Kind: ChangeDeleted, Before: p.before, Version: p.row.Version})
		default:
			before, _ := json.Marshal(p.before)
			after, _ := json.Marshal(p.after)
			if bytes.Equal(before, after) {
				r, err := recordFromRow(p.row)
				if err != nil {
					return nil, err
				}
				result[id] = r
				continue
			}
			row, err := ws.q.UpdateRecordCells(ws.ctx, db.UpdateRecordCellsParams{ID: id, Cells: after})
			if err != nil {
				return nil, fmt.Errorf("updating record %s: %w", id, err)
			}
			r, err := recordFromRow(row)
			if err != nil {
				return nil, err
			}
			result[id] = r
			ws.changes = append(ws.changes, Change{TableID: p.tableID, RecordID: id, Kind: ChangeUpdated, Before: p.before, After: r.Cells, Version: r.Version})
		}
	}
	for i := range ws.changes {
		if ws.changes[i].TableID == ws.table.ID {
			ws.changes[i].SchemaVersion = ws.table.SchemaVersion
		}
	}
	out := make([]Record, 0, len(ids))
	for _, id := range ids {
		out = append(out, result[id])
	}
	return out, nil
}

// Strings reads a list cell ([]string or decoded []any) as strings: the
// record ids of a link cell, the choices of a multi_select cell.
func Strings(v any) []string {
	switch l := v.(type) {
	case []string:
		return slices.Clone(l)
	case []any:
		out := make([]string, 0, len(l))
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func cloneCells(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
