package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rowflow/rowflow/field"
	"github.com/rowflow/rowflow/record"
)

// recordOut is a record as the API answers it: cells keyed by field name
// (or by field id when the request asks with return_fields_by_id=true).
type recordOut struct {
	ID        string         `json:"id" example:"rec_01jd0000000000000000000000"`
	Fields    map[string]any `json:"fields" example:"{\"Name\":\"Invoice 42\",\"Status\":\"Done\",\"Amount\":120}"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// ByIDQuery asks for cells keyed by field id instead of name.
type ByIDQuery struct {
	ReturnFieldsByID bool `query:"return_fields_by_id" doc:"key cells by field id instead of field name"`
}

func toRecordOut(t *record.Table, r record.Record, byID bool) recordOut {
	fields := t.Named(r.Cells)
	if byID {
		fields = make(map[string]any, len(t.Fields))
		for _, f := range t.Fields {
			if f.Type != field.Button { // as in Table.Named: a button has no cell
				fields[f.ID] = r.Cells[f.ID]
			}
		}
	}
	return recordOut{ID: r.ID, Fields: fields, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func toRecordOuts(t *record.Table, rs []record.Record, byID bool) []recordOut {
	out := make([]recordOut, len(rs))
	for i, r := range rs {
		out[i] = toRecordOut(t, r, byID)
	}
	return out
}

// RecordIDPath is the {table_id}/{record_id} pair of path parameters.
type RecordIDPath struct {
	TableIDPath
	RecordID string `path:"record_id" example:"rec_01jd0000000000000000000000" doc:"record id"`
}

type recordBody struct {
	Body recordOut
}

// recordsIn is one record ({fields}) or a batch ({records: [{fields}]}).
type recordsIn struct {
	Fields  map[string]any `json:"fields,omitempty" doc:"cells keyed by field name or id (single create)" example:"{\"Name\":\"Invoice 42\",\"Status\":\"Done\"}"`
	Records []struct {
		Fields map[string]any `json:"fields"`
	} `json:"records,omitempty" maxItems:"100" doc:"batch create: up to 100 records, all or nothing"`
	Typecast bool `json:"typecast,omitempty" doc:"convert values to each field's type first (\"21\" → 21, \"yes\" → true, \"Done\" → the choice Done, \"a, b\" → two choices), as Airtable does; off by default"`
}

// recordOrBatch answers a single create with the record, a batch with items.
type recordOrBatch struct {
	ID        string         `json:"id,omitempty" doc:"the created record's id (single create)"`
	Fields    map[string]any `json:"fields,omitempty" doc:"its cells (single create)"`
	CreatedAt *time.Time     `json:"created_at,omitempty"`
	UpdatedAt *time.Time     `json:"updated_at,omitempty"`
	Items     []recordOut    `json:"items,omitempty" doc:"the created records (batch)"`
}

func registerRecords(api huma.API, h *handlers) {
	huma.Register(api, huma.Operation{
		OperationID: "create-records", Method: http.MethodPost, Path: "/api/v1/tables/{table_id}/records",
		Summary:     "Create a record, or up to 100 in one batch",
		Description: "`{fields}` creates one record and answers it; `{records: [{fields}, …]}` creates all or none and answers `{items}`. Every write enqueues its automation event in the same transaction.",
		Tags:        []string{"records"}, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *struct {
		TableIDPath
		ByIDQuery
		Body recordsIn
	}) (*struct{ Body recordOrBatch }, error) {
		if (in.Body.Fields != nil) == (in.Body.Records != nil) {
			return nil, huma.Error422UnprocessableEntity("send either fields (one record) or records (a batch)")
		}
		inputs := []map[string]any{in.Body.Fields}
		if in.Body.Records != nil {
			inputs = make([]map[string]any, len(in.Body.Records))
			for i, r := range in.Body.Records {
				inputs[i] = r.Fields
				if inputs[i] == nil {
					inputs[i] = map[string]any{}
				}
			}
		}
		create := h.records.CreateRecords
		if in.Body.Records != nil {
			create = h.records.CreateRecordBatch
		}
		recs, err := create(withTypecast(ctx, in.Body.Typecast), in.TableID, inputs)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		t, err := h.records.GetTable(ctx, in.TableID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		out := &struct{ Body recordOrBatch }{}
		if in.Body.Records != nil {
			out.Body.Items = toRecordOuts(t, recs, in.ReturnFieldsByID)
		} else {
			r := toRecordOut(t, recs[0], in.ReturnFieldsByID)
			out.Body.ID, out.Body.Fields, out.Body.CreatedAt, out.Body.UpdatedAt = r.ID, r.Fields, &r.CreatedAt, &r.UpdatedAt
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-records", Method: http.MethodGet, Path: "/api/v1/tables/{table_id}/records",
		Summary:     "List records with filter, sort and cursor pagination",
		Description: "filter is a condition group as JSON, e.g. `{\"match\":\"all\",\"rules\":[{\"field\":\"Status\",\"op\":\"is\",\"value\":\"Done\"}]}` or `{\"formula\":\"{Amount} > 100\"}`.",
		Tags:        []string{"records"},
	}, func(ctx context.Context, in *struct {
		TableIDPath
		ByIDQuery
		Filter string `query:"filter" doc:"condition group (JSON)" example:"{\"match\":\"all\",\"rules\":[{\"field\":\"Status\",\"op\":\"is\",\"value\":\"Done\"}]}"`
		Sort   string `query:"sort" doc:"comma-separated fields, - for descending" example:"-Amount,Name"`
		ViewID string `query:"view_id" doc:"apply this view's filter (and its sort when sort is empty)"`
		PageQuery
	}) (*listBody[recordOut], error) {
		o := record.ListOpts{Sort: record.ParseSort(in.Sort), ViewID: in.ViewID, Limit: in.Limit, Cursor: in.Cursor}
		if in.Filter != "" {
			if !json.Valid([]byte(in.Filter)) {
				return nil, huma.Error422UnprocessableEntity("filter is not valid JSON", &huma.ErrorDetail{Location: "query.filter", Message: "not valid JSON"})
			}
			o.Filter = json.RawMessage(in.Filter)
		}
		t, recs, next, err := h.records.ListRecords(ctx, in.TableID, o)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		out := all(toRecordOuts(t, recs, in.ReturnFieldsByID))
		if next != "" {
			out.Body.NextCursor = &next
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-record", Method: http.MethodGet, Path: "/api/v1/tables/{table_id}/records/{record_id}", Summary: "Get a record",
		Tags: []string{"records"},
	}, func(ctx context.Context, in *struct {
		RecordIDPath
		ByIDQuery
	}) (*recordBody, error) {
		t, r, err := h.records.GetRecord(ctx, in.TableID, in.RecordID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &recordBody{Body: toRecordOut(t, r, in.ReturnFieldsByID)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "update-record", Method: http.MethodPatch, Path: "/api/v1/tables/{table_id}/records/{record_id}",
		Summary: "Change the named fields of a record", Description: "Only the named fields change; null clears a cell. A write that changes nothing fires nothing.",
		Tags: []string{"records"},
	}, func(ctx context.Context, in *struct {
		RecordIDPath
		ByIDQuery
		Body struct {
			Fields   map[string]any `json:"fields" example:"{\"Status\":\"Done\"}"`
			Typecast bool           `json:"typecast,omitempty" doc:"convert values to each field's type first (\"21\" → 21, \"yes\" → true, \"Done\" → the choice Done, \"a, b\" → two choices), as Airtable does; off by default"`
		}
	}) (*recordBody, error) {
		recs, err := h.records.UpdateRecords(withTypecast(ctx, in.Body.Typecast), in.TableID, []record.Update{{ID: in.RecordID, Fields: in.Body.Fields}})
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		t, err := h.records.GetTable(ctx, in.TableID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &recordBody{Body: toRecordOut(t, recs[0], in.ReturnFieldsByID)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "update-records", Method: http.MethodPatch, Path: "/api/v1/tables/{table_id}/records",
		Summary: "Change up to 100 records in one batch (all or nothing)",
		Tags:    []string{"records"},
	}, func(ctx context.Context, in *struct {
		TableIDPath
		ByIDQuery
		Body struct {
			Records  []RecordUpdate `json:"records" minItems:"1" maxItems:"100" example:"[{\"id\":\"rec_01jd0000000000000000000000\",\"fields\":{\"Status\":\"Done\"}}]"`
			Typecast bool           `json:"typecast,omitempty" doc:"convert values to each field's type first (\"21\" → 21, \"yes\" → true, \"Done\" → the choice Done, \"a, b\" → two choices), as Airtable does; off by default"`
		}
	}) (*listBody[recordOut], error) {
		updates := make([]record.Update, len(in.Body.Records))
		for i, u := range in.Body.Records {
			updates[i] = record.Update(u)
		}
		recs, err := h.records.UpdateRecordBatch(withTypecast(ctx, in.Body.Typecast), in.TableID, updates)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		t, err := h.records.GetTable(ctx, in.TableID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return all(toRecordOuts(t, recs, in.ReturnFieldsByID)), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-record", Method: http.MethodDelete, Path: "/api/v1/tables/{table_id}/records/{record_id}", Summary: "Delete a record",
		Tags: []string{"records"}, DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *RecordIDPath) (*struct{}, error) {
		if err := h.records.DeleteRecords(ctx, in.TableID, []string{in.RecordID}); err != nil {
			return nil, h.problem(ctx, err)
		}
		return nil, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-records", Method: http.MethodDelete, Path: "/api/v1/tables/{table_id}/records",
		Summary: "Delete up to 100 records in one batch (all or nothing)",
		Tags:    []string{"records"}, DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *struct {
		TableIDPath
		IDs string `query:"ids" required:"true" doc:"comma-separated record ids" example:"rec_a,rec_b"`
	}) (*struct{}, error) {
		var ids []string
		for _, id := range strings.Split(in.IDs, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
		if err := h.records.DeleteRecords(ctx, in.TableID, ids); err != nil {
			return nil, h.problem(ctx, err)
		}
		return nil, nil
	})
}

// RecordUpdate is one record of a batch update in requests: only the named
// fields change (record.Update, under the API's schema name).
type RecordUpdate record.Update

// withTypecast is ctx asking the record service to typecast when on.
func withTypecast(ctx context.Context, on bool) context.Context {
	if on {
		return record.WithTypecast(ctx)
	}
	return ctx
}
