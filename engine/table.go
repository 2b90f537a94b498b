package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/engine/field"
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
func (e *Engine) loadTable(ctx context.Context, q *db.Queries, id, need string) (*Table, error) {
	memo, _ := ctx.Value(memoKey{}).(*requestMemo)
	var t *Table
	if memo != nil && q == e.q {
		t = memo.table(id)
	}
	if t == nil {
		row, err := q.GetTableWithFields(ctx, id)
		if err := notFoundIf(err, "table", id); err != nil {
			return nil, err
		}
		t = &Table{ID: row.ID, BaseID: row.BaseID, Name: row.Name, CreatedAt: row.CreatedAt, SchemaVersion: row.SchemaVersion}
		if err := json.Unmarshal(row.Fields, &t.Fields); err != nil {
			return nil, fmt.Errorf("decoding fields of %s: %w", id, err)
		}
		e.rememberTable(t)
		if memo != nil && q == e.q {
			memo.store(t)
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
	if !PrincipalFrom(ctx).SeesBase(t.BaseID) {
		return NotFound("table", t.ID)
	}
	return checkBase(ctx, t.BaseID, need)
}

// GetTable returns a table with its fields.
func (e *Engine) GetTable(ctx context.Context, id string) (*Table, error) {
	return e.loadTable(ctx, e.q, id, RoleViewer)
}

// ListTables lists the tables of a base with their fields.
func (e *Engine) ListTables(ctx context.Context, baseID string) ([]*Table, error) {
	if _, err := e.GetBase(ctx, baseID); err != nil {
		return nil, err
	}
	rows, err := e.q.ListTables(ctx, baseID)
	if err != nil {
		return nil, err
	}
	out := make([]*Table, 0, len(rows))
	for _, r := range rows {
		t, err := e.loadTable(ctx, e.q, r.ID, RoleViewer)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// CreateTable creates a table with its fields in one transaction. Link
// fields get their inverse field in the linked table.
func (e *Engine) CreateTable(ctx context.Context, baseID, name string, fields []FieldInput) (*Table, error) {
	if err := checkBase(ctx, baseID, RoleEditor); err != nil {
		return nil, err
	}
	if _, err := e.GetBase(ctx, baseID); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if err := checkName("name", name); err != nil {
		return nil, err
	}
	if len(fields) > 500 {
		return nil, Invalid("fields", "at most 500 fields per table")
	}
	seen := map[string]bool{}
	for i, f := range fields {
		n := strings.TrimSpace(f.Name)
		if seen[n] {
			return nil, Invalid(fmt.Sprintf("fields[%d].name", i), "duplicate field name %q", n)
		}
		seen[n] = true
	}
	tableID := NewID(PrefixTable)
	err := e.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		if _, err := q.CreateTable(ctx, db.CreateTableParams{ID: tableID, BaseID: baseID, Name: name}); err != nil {
			return mapUnique(err, "name", "a table named %q already exists in this base", name)
		}
		for i, f := range fields {
			if _, err := e.createField(ctx, q, baseID, tableID, name, f, fmt.Sprintf("fields[%d]", i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return e.GetTable(ctx, tableID)
}

// CreateField adds a field to a table.
func (e *Engine) CreateField(ctx context.Context, tableID string, in FieldInput) (field.Field, error) {
	t, err := e.loadTable(ctx, e.q, tableID, RoleEditor)
	if err != nil {
		return field.Field{}, err
	}
	var out field.Field
	err = e.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		out, err = e.createField(ctx, q, t.BaseID, t.ID, t.Name, in, "")
		return err
	})
	return out, err
}

// createField validates and inserts one field (and a link's inverse).
// loc prefixes error locations ("fields[2]" or "" for a lone field).
func (e *Engine) createField(ctx context.Context, q *db.Queries, baseID, tableID, tableName string, in FieldInput, loc string) (field.Field, error) {
	at := func(s string) string {
		if loc == "" {
			return s
		}
		return loc + "." + s
	}
	name := strings.TrimSpace(in.Name)
	if err := checkName(at("name"), name); err != nil {
		return field.Field{}, err
	}
	kind, ok := field.Lookup(field.Type(in.Type))
	if !ok {
		return field.Field{}, Invalid(at("type"), "unknown field type %q; one of %v", in.Type, field.Types())
	}
	opts, err := kind.NormalizeOptions(in.Options)
	if err != nil {
		return field.Field{}, fieldError(err, loc)
	}
	id := NewID(PrefixField)
	e.forgetCachedTables(ctx, tableID)
	var link field.LinkOptions
	if kind.Type() == field.LinkToRecord {
		_ = json.Unmarshal(opts, &link)
		target, err := q.GetTable(ctx, link.TableID)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && target.BaseID != baseID) {
			return field.Field{}, Invalid(at("options.table_id"), "no table %q in this base", link.TableID)
		}
		if err != nil {
			return field.Field{}, err
		}
		e.forgetCachedTables(ctx, link.TableID)
		// The inverse field lives in the linked table and points back.
		invID := NewID(PrefixField)
		link.InverseFieldID = invID
		opts, _ = json.Marshal(link)
		invName, err := freeFieldName(ctx, q, link.TableID, tableName, name)
		if err != nil {
			return field.Field{}, err
		}
		row, err := q.CreateField(ctx, db.CreateFieldParams{ID: id, TableID: tableID, Name: name, Type: string(kind.Type()), Options: opts})
		if err != nil {
			return field.Field{}, mapUnique(err, at("name"), "a field named %q already exists in this table", name)
		}
		invOpts, _ := json.Marshal(field.LinkOptions{TableID: tableID, InverseFieldID: id})
		if _, err := q.CreateField(ctx, db.CreateFieldParams{ID: invID, TableID: link.TableID, Name: invName, Type: string(field.LinkToRecord), Options: invOpts}); err != nil {
			return field.Field{}, fmt.Errorf("creating inverse link field: %w", err)
		}
		return fieldFromRow(row), nil
	}
	row, err := q.CreateField(ctx, db.CreateFieldParams{ID: id, TableID: tableID, Name: name, Type: string(kind.Type()), Options: opts})
	if err != nil {
		return field.Field{}, mapUnique(err, at("name"), "a field named %q already exists in this table", name)
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
	return NewID(PrefixField), nil
}

// fieldError converts a *field.Error into an invalid error at loc.
func fieldError(err error, loc string) error {
	var fe *field.Error
	if errors.As(err, &fe) {
		l := fe.Field
		if loc != "" {
			l = loc + "." + l
		}
		return Invalid(l, "%s", fe.Reason)
	}
	return Invalid(loc, "%s", err.Error())
}

// mapUnique turns a unique violation into a conflict error at location.
func mapUnique(err error, location, format string, args ...any) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return &Error{Code: CodeConflict, Message: fmt.Sprintf(format, args...), Details: []ErrorDetail{{Location: location, Message: fmt.Sprintf(format, args...)}}}
	}
	return err
}
