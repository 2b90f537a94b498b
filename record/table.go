package record

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/field"
	"github.com/rowflow/rowflow/pgtx"
)

// Table is a table with its fields in display order.
type Table struct {
	ID        string        `json:"id"`
	BaseID    string        `json:"base_id"`
	Name      string        `json:"name"`
	Fields    []field.Field `json:"fields"`
	CreatedAt time.Time     `json:"created_at"`
	// SchemaVersion is the tables.schema_version this definition was read
	// at (table_cache.go).
	SchemaVersion int64 `json:"-"`
}

// FieldInput is a field to create: {name, type, options?}.
type FieldInput struct {
	Name    string          `json:"name" example:"Amount"`
	Type    string          `json:"type" example:"number"`
	Options json.RawMessage `json:"options,omitempty" example:"{\"precision\":2}"`
}

// Field returns the field named key, or with id key.
func (t *Table) Field(key string) (field.Field, bool) {
	for _, f := range t.Fields {
		if f.ID == key || f.Name == key {
			return f, true
		}
	}
	return field.Field{}, false
}

func fieldFromRow(r db.Field) field.Field {
	return field.Field{ID: r.ID, Name: r.Name, Type: field.Type(r.Type), Options: r.Options}
}

// loadTable returns a table and its fields (one round trip), checking the
// caller may reach its base with role need. Within a request whose context
// carries a memo (WithMemo), a table read through the pool is read once.
// When ctx carries a caller's transaction (WithTx: a record action's step),
// a read meant for the pool goes through that transaction instead: a
// second pool connection taken while the transaction holds one starved
// the pool under load — 200 workers each holding a connection and waiting
// for another, 40 connections (e2e TestManyProcessesDoubleNothing).
func (s *Service) loadTable(ctx context.Context, q *db.Queries, id, need string) (*Table, error) {
	memo := memoOf(ctx)
	if tx, ok := TxFrom(ctx); ok && q == s.q {
		q, memo = s.q.WithTx(tx), nil
	}
	var t *Table
	if memo != nil && q == s.q {
		t, _ = memo.Get(id)
	}
	if t == nil {
		row, err := q.GetTableWithFields(ctx, id)
		if err := pgtx.NotFoundIf(err, "table", id); err != nil {
			return nil, err
		}
		t = &Table{ID: row.ID, BaseID: row.BaseID, Name: row.Name, CreatedAt: row.CreatedAt, SchemaVersion: row.SchemaVersion}
		if err := json.Unmarshal(row.Fields, &t.Fields); err != nil {
			return nil, fmt.Errorf("decoding fields of %s: %w", id, err)
		}
		s.tables.Put(id, t)
		if memo != nil && q == s.q {
			memo.Put(id, t)
		}
	}
	if err := checkTableAccess(ctx, t, need); err != nil {
		return nil, err
	}
	return t, nil
}

// checkTableAccess is loadTable's access check: a table of a base the
// caller cannot see is not found; otherwise the caller needs role need.
func checkTableAccess(ctx context.Context, t *Table, need string) error {
	if !rowflow.PrincipalFrom(ctx).SeesBase(t.BaseID) {
		return rowflow.NotFound("table", t.ID)
	}
	return rowflow.CheckBase(ctx, t.BaseID, need)
}

// GetTable returns a table with its fields.
func (s *Service) GetTable(ctx context.Context, id string) (*Table, error) {
	return s.loadTable(ctx, s.q, id, rowflow.RoleViewer)
}

// ListTables lists the tables of a base with their fields.
func (s *Service) ListTables(ctx context.Context, baseID string) ([]*Table, error) {
	if _, err := s.GetBase(ctx, baseID); err != nil {
		return nil, err
	}
	rows, err := s.q.ListTables(ctx, baseID)
	if err != nil {
		return nil, err
	}
	out := make([]*Table, 0, len(rows))
	for _, r := range rows {
		t, err := s.loadTable(ctx, s.q, r.ID, rowflow.RoleViewer)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// CreateTable creates a table with its fields in one transaction. Link
// fields get their inverse field in the linked table.
func (s *Service) CreateTable(ctx context.Context, baseID, name string, fields []FieldInput) (*Table, error) {
	if err := rowflow.CheckBase(ctx, baseID, rowflow.RoleEditor); err != nil {
		return nil, err
	}
	if _, err := s.GetBase(ctx, baseID); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if err := rowflow.CheckName("name", name); err != nil {
		return nil, err
	}
	if len(fields) > MaxFields {
		return nil, rowflow.Invalid("fields", "at most %d fields per table", MaxFields)
	}
	seen := map[string]bool{}
	for i, f := range fields {
		n := strings.TrimSpace(f.Name)
		if seen[n] {
			return nil, rowflow.Invalid(fmt.Sprintf("fields[%d].name", i), "duplicate field name %q", n)
		}
		seen[n] = true
	}
	tableID := rowflow.NewID(rowflow.PrefixTable)
	err := s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		if _, err := q.CreateTable(ctx, db.CreateTableParams{ID: tableID, BaseID: baseID, Name: name}); err != nil {
			return pgtx.MapUnique(err, "name", "a table named %q already exists in this base", name)
		}
		for i, f := range fields {
			if _, err := s.createField(ctx, q, baseID, tableID, name, f, fmt.Sprintf("fields[%d]", i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.GetTable(ctx, tableID)
}

// CreateField adds a field to a table.
func (s *Service) CreateField(ctx context.Context, tableID string, in FieldInput) (field.Field, error) {
	t, err := s.loadTable(ctx, s.q, tableID, rowflow.RoleEditor)
	if err != nil {
		return field.Field{}, err
	}
	var out field.Field
	err = s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		out, err = s.createField(ctx, q, t.BaseID, t.ID, t.Name, in, "")
		return err
	})
	return out, err
}

// createField validates and inserts one field (and a link's inverse).
// loc prefixes error locations ("fields[2]" or "" for a lone field).
func (s *Service) createField(ctx context.Context, q *db.Queries, baseID, tableID, tableName string, in FieldInput, loc string) (field.Field, error) {
	at := func(s string) string {
		if loc == "" {
			return s
		}
		return loc + "." + s
	}
	name := strings.TrimSpace(in.Name)
	if err := rowflow.CheckName(at("name"), name); err != nil {
		return field.Field{}, err
	}
	kind, ok := field.Lookup(field.Type(in.Type))
	if !ok {
		return field.Field{}, rowflow.Invalid(at("type"), "unknown field type %q; one of %v", in.Type, field.Types())
	}
	opts, err := kind.NormalizeOptions(in.Options)
	if err != nil {
		return field.Field{}, fieldError(err, loc)
	}
	if err := checkFieldRoom(ctx, q, tableID, at("name")); err != nil {
		return field.Field{}, err
	}
	id := rowflow.NewID(rowflow.PrefixField)
	s.forgetCachedTables(ctx, tableID)
	var link field.LinkOptions
	if kind.Type() == field.LinkToRecord {
		_ = json.Unmarshal(opts, &link)
		target, err := q.GetTable(ctx, link.TableID)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && target.BaseID != baseID) {
			return field.Field{}, rowflow.Invalid(at("options.table_id"), "no table %q in this base", link.TableID)
		}
		if err != nil {
			return field.Field{}, err
		}
		if link.TableID != tableID {
			if err := checkFieldRoom(ctx, q, link.TableID, at("options.table_id")); err != nil {
				return field.Field{}, err
			}
		}
		s.forgetCachedTables(ctx, link.TableID)
		// The inverse field lives in the linked table and points back.
		invID := rowflow.NewID(rowflow.PrefixField)
		link.InverseFieldID = invID
		opts, _ = json.Marshal(link)
		invName, err := freeFieldName(ctx, q, link.TableID, tableName, name)
		if err != nil {
			return field.Field{}, err
		}
		row, err := q.CreateField(ctx, db.CreateFieldParams{ID: id, TableID: tableID, Name: name, Type: string(kind.Type()), Options: opts})
		if err != nil {
			return field.Field{}, pgtx.MapUnique(err, at("name"), "a field named %q already exists in this table", name)
		}
		invOpts, _ := json.Marshal(field.LinkOptions{TableID: tableID, InverseFieldID: id})
		if _, err := q.CreateField(ctx, db.CreateFieldParams{ID: invID, TableID: link.TableID, Name: invName, Type: string(field.LinkToRecord), Options: invOpts}); err != nil {
			return field.Field{}, fmt.Errorf("creating inverse link field: %w", err)
		}
		return fieldFromRow(row), nil
	}
	row, err := q.CreateField(ctx, db.CreateFieldParams{ID: id, TableID: tableID, Name: name, Type: string(kind.Type()), Options: opts})
	if err != nil {
		return field.Field{}, pgtx.MapUnique(err, at("name"), "a field named %q already exists in this table", name)
	}
	return fieldFromRow(row), nil
}

// freeFieldName picks the inverse link field's name: the source table's
// name, or "<table> (<field>)", or with a number, whichever is free.
func freeFieldName(ctx context.Context, q *db.Queries, tableID, tableName, fieldName string) (string, error) {
	rows, err := q.ListFields(ctx, tableID)
	if err != nil {
		return "", err
	}
	taken := map[string]bool{}
	for _, r := range rows {
		taken[r.Name] = true
	}
	cands := []string{tableName, tableName + " (" + fieldName + ")"}
	for i := 2; i < 1000; i++ {
		cands = append(cands, fmt.Sprintf("%s (%s) %d", tableName, fieldName, i))
	}
	for _, c := range cands {
		if !taken[c] && len(c) <= 200 {
			return c, nil
		}
	}
	return rowflow.NewID(rowflow.PrefixField), nil
}

// fieldError converts a *field.Error into an invalid error at loc.
func fieldError(err error, loc string) error {
	var fe *field.Error
	if errors.As(err, &fe) {
		l := fe.Field
		if loc != "" {
			l = loc + "." + l
		}
		return rowflow.Invalid(l, "%s", fe.Reason)
	}
	return rowflow.Invalid(loc, "%s", err.Error())
}

// MaxFields is the most fields a table may have, however they are added
// (create-table, add-field, the inverse field a link adds to the linked
// table).
const MaxFields = 500

// checkFieldRoom refuses a new field of a table that has MaxFields. It
// locks the table's row for the rest of the transaction, so concurrent
// additions cannot pass the limit together.
func checkFieldRoom(ctx context.Context, q *db.Queries, tableID, loc string) error {
	n, err := q.CountFieldsLocked(ctx, tableID)
	if err != nil {
		return err
	}
	if n >= MaxFields {
		return rowflow.Invalid(loc, "the table already has %d fields, the most a table may have", MaxFields)
	}
	return nil
}
