package record

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/field"
	"github.com/rowflow/rowflow/pgtx"
)

// FormField is one field a form shows, and whether it must be filled.
type FormField struct {
	FieldID  string `json:"field_id"`
	Required bool   `json:"required,omitempty"`
}

// Form creates records of a table from submissions. A public form accepts
// submissions without a token, only for the fields it shows.
type Form struct {
	ID        string      `json:"id"`
	TableID   string      `json:"table_id"`
	BaseID    string      `json:"base_id"`
	Name      string      `json:"name"`
	Fields    []FormField `json:"fields"`
	Public    bool        `json:"public"`
	CreatedAt time.Time   `json:"created_at"`
}

// FormFieldInput names a form field by field name or id.
type FormFieldInput struct {
	Field    string `json:"field"`
	Required bool   `json:"required,omitempty"`
}

func formFromRow(r db.Form, baseID string) Form {
	f := Form{ID: r.ID, TableID: r.TableID, BaseID: baseID, Name: r.Name, Public: r.Public, CreatedAt: r.CreatedAt}
	_ = json.Unmarshal(r.Fields, &f.Fields)
	return f
}

// CreateForm validates the shown fields (writable, no duplicates, at least
// one) and saves the form.
func (s *Service) CreateForm(ctx context.Context, tableID, name string, fields []FormFieldInput, public bool) (Form, error) {
	t, err := s.loadTable(ctx, s.q, tableID, rowflow.RoleEditor)
	if err != nil {
		return Form{}, err
	}
	name = strings.TrimSpace(name)
	if err := rowflow.CheckName("name", name); err != nil {
		return Form{}, err
	}
	if len(fields) == 0 {
		return Form{}, rowflow.Invalid("fields", "a form shows at least one field")
	}
	out := make([]FormField, 0, len(fields))
	seen := map[string]bool{}
	for i, in := range fields {
		f, ok := t.Field(in.Field)
		loc := fmt.Sprintf("fields[%d].field", i)
		if !ok {
			return Form{}, rowflow.Invalid(loc, "table %q has no field %q", t.Name, in.Field)
		}
		if k, _ := field.Lookup(f.Type); k == nil || !k.Writable() {
			return Form{}, rowflow.Invalid(loc, "field %q (%s) cannot be filled in a form", f.Name, f.Type)
		}
		if seen[f.ID] {
			return Form{}, rowflow.Invalid(loc, "field %q is listed twice", f.Name)
		}
		seen[f.ID] = true
		out = append(out, FormField{FieldID: f.ID, Required: in.Required})
	}
	js, _ := json.Marshal(out)
	row, err := s.q.CreateForm(ctx, db.CreateFormParams{ID: rowflow.NewID(rowflow.PrefixForm), TableID: t.ID, Name: name, Fields: js, Public: public})
	if err != nil {
		return Form{}, err
	}
	return formFromRow(row, t.BaseID), nil
}

// GetForm returns a form. Public forms are visible to anyone (their
// definition is what a submitter needs to see).
func (s *Service) GetForm(ctx context.Context, id string) (Form, *Table, error) {
	row, err := s.q.GetForm(ctx, id)
	if err := pgtx.NotFoundIf(err, "form", id); err != nil {
		return Form{}, nil, err
	}
	sys := rowflow.WithPrincipal(ctx, rowflow.Principal{System: true})
	t, err := s.loadTable(sys, s.q, row.TableID, rowflow.RoleViewer)
	if err != nil {
		return Form{}, nil, err
	}
	if !row.Public && !rowflow.PrincipalFrom(ctx).SeesBase(t.BaseID) {
		return Form{}, nil, rowflow.NotFound("form", id)
	}
	return formFromRow(row, t.BaseID), t, nil
}

// SubmitForm creates a record from a submission. Only the form's fields may
// be given; required ones must be non-empty. A public form needs no token
// (anonymous is true); a private one needs a token that may write the base.
func (s *Service) SubmitForm(ctx context.Context, id string, cells map[string]any, anonymous bool) (*Table, Record, error) {
	form, t, err := s.GetForm(ctx, id)
	if err != nil {
		return nil, Record{}, err
	}
	if anonymous && !form.Public {
		return nil, Record{}, rowflow.Errorf(rowflow.CodeUnauthorized, "this form needs a token")
	}
	// A public form takes anyone's submission, a viewer's too; a private
	// one needs a token that may write the base. A token limited to other
	// bases finds no form there at all, public or not.
	if !anonymous {
		need := rowflow.RoleEditor
		if form.Public {
			need = rowflow.RoleViewer
		}
		if err := rowflow.CheckBase(ctx, t.BaseID, need); err != nil {
			if rowflow.ErrorCode(err) == rowflow.CodeNotFound {
				return nil, Record{}, rowflow.NotFound("form", id)
			}
			return nil, Record{}, err
		}
	}
	shown := map[string]FormField{}
	for _, ff := range form.Fields {
		shown[ff.FieldID] = ff
	}
	verr := &rowflow.Error{Code: rowflow.CodeInvalid, Message: "validation failed"}
	given := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(cells)) {
		f, ok := t.Field(k)
		if _, on := shown[f.ID]; !ok || !on {
			verr.Details = append(verr.Details, rowflow.ErrorDetail{Location: "fields." + k, Message: "this form has no such field"})
			continue
		}
		// A value is given when it does not normalize to an empty cell
		// ([] and "" do); a bad value counts as given: the write reports it.
		if v, err := field.Normalize(f, cells[k]); err != nil || v != nil {
			given[f.ID] = true
		}
	}
	for _, ff := range form.Fields {
		if ff.Required && !given[ff.FieldID] {
			f, _ := t.Field(ff.FieldID)
			verr.Details = append(verr.Details, rowflow.ErrorDetail{Location: "fields." + f.Name, Message: "is required"})
		}
	}
	if len(verr.Details) > 0 {
		return nil, Record{}, verr
	}
	wctx := rowflow.WithCause(rowflow.WithPrincipal(ctx, rowflow.Principal{System: true}), rowflow.Cause{Kind: "form", ID: form.ID})
	recs, err := s.createRecords(wctx, t.ID, []map[string]any{cells}, t, false)
	if err != nil {
		return nil, Record{}, err
	}
	return t, recs[0], nil
}

// ListForms lists the forms of a table.
func (s *Service) ListForms(ctx context.Context, tableID string) ([]Form, error) {
	t, err := s.loadTable(ctx, s.q, tableID, rowflow.RoleViewer)
	if err != nil {
		return nil, err
	}
	rows, err := s.q.ListForms(ctx, tableID)
	if err != nil {
		return nil, err
	}
	out := make([]Form, len(rows))
	for i, r := range rows {
		out[i] = formFromRow(r, t.BaseID)
	}
	return out, nil
}
