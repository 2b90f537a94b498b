package record

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/condition"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/pgtx"
)

// View is a named filter and sort on a table.
type View struct {
	ID        string          `json:"id"`
	TableID   string          `json:"table_id"`
	Name      string          `json:"name"`
	Filter    json.RawMessage `json:"filter"`
	Sort      []SortSpec      `json:"sort"`
	CreatedAt time.Time       `json:"created_at"`
}

func viewFromRow(r db.View) View {
	v := View{ID: r.ID, TableID: r.TableID, Name: r.Name, Filter: r.Filter, CreatedAt: r.CreatedAt}
	_ = json.Unmarshal(r.Sort, &v.Sort)
	if v.Sort == nil {
		v.Sort = []SortSpec{}
	}
	return v
}

// CreateView validates the filter and sort against the table and saves them.
func (s *Service) CreateView(ctx context.Context, tableID, name string, filter json.RawMessage, sorts []SortSpec) (View, error) {
	t, err := s.loadTable(ctx, s.q, tableID, rowflow.RoleEditor)
	if err != nil {
		return View{}, err
	}
	name = strings.TrimSpace(name)
	if err := rowflow.CheckName("name", name); err != nil {
		return View{}, err
	}
	if len(filter) > 0 && string(filter) != "null" {
		if _, err := condition.CompileJSON(filter, t.Fields); err != nil {
			return View{}, ConditionError(err, "filter")
		}
		if hasNUL(filter) {
			return View{}, rowflow.Invalid("filter", "text cannot contain a NUL character")
		}
	} else {
		filter = nil
	}
	if _, err := resolveSort(t, sorts, "sort"); err != nil {
		return View{}, err
	}
	if sorts == nil {
		sorts = []SortSpec{}
	}
	sortJSON, _ := json.Marshal(sorts)
	row, err := s.q.CreateView(ctx, db.CreateViewParams{ID: rowflow.NewID(rowflow.PrefixView), TableID: t.ID, Name: name, Filter: filter, Sort: sortJSON})
	if err != nil {
		return View{}, pgtx.MapUnique(err, "name", "a view named %q already exists on this table", name)
	}
	return viewFromRow(row), nil
}

// GetView returns a view the caller may see.
func (s *Service) GetView(ctx context.Context, id string) (View, error) {
	row, err := s.q.GetView(ctx, id)
	if err := pgtx.NotFoundIf(err, "view", id); err != nil {
		return View{}, err
	}
	if _, err := s.loadTable(ctx, s.q, row.TableID, rowflow.RoleViewer); err != nil {
		return View{}, rowflow.NotFound("view", id)
	}
	return viewFromRow(row), nil
}

// ListViews lists the views of a table.
func (s *Service) ListViews(ctx context.Context, tableID string) ([]View, error) {
	if _, err := s.loadTable(ctx, s.q, tableID, rowflow.RoleViewer); err != nil {
		return nil, err
	}
	rows, err := s.q.ListViews(ctx, tableID)
	if err != nil {
		return nil, err
	}
	out := make([]View, len(rows))
	for i, r := range rows {
		out[i] = viewFromRow(r)
	}
	return out, nil
}

// DeleteView deletes a view.
func (s *Service) DeleteView(ctx context.Context, id string) error {
	v, err := s.GetView(ctx, id)
	if err != nil {
		return err
	}
	if _, err := s.loadTable(ctx, s.q, v.TableID, rowflow.RoleEditor); err != nil {
		return err
	}
	_, err = s.q.DeleteView(ctx, id)
	return err
}

// hasNUL reports whether a JSON document holds a NUL character in a string
// (PostgreSQL jsonb cannot store "\u0000").
func hasNUL(raw json.RawMessage) bool {
	if !bytes.Contains(raw, []byte(`\u0000`)) {
		return false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case string:
			return strings.ContainsRune(x, 0)
		case []any:
			for _, el := range x {
				if walk(el) {
					return true
				}
			}
		case map[string]any:
			for k, el := range x {
				if strings.ContainsRune(k, 0) || walk(el) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}
