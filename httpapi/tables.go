package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rowflow/rowflow/field"
	"github.com/rowflow/rowflow/record"
)

// TableIDPath is the {table_id} path parameter.
type TableIDPath struct {
	TableID string `path:"table_id" example:"tbl_01jd0000000000000000000000" doc:"table id"`
}

type tableBody struct {
	Body *record.Table
}

type fieldBody struct {
	Body field.Field
}

func registerTables(api huma.API, h *handlers) {
	huma.Register(api, huma.Operation{
		OperationID: "create-table", Method: http.MethodPost, Path: "/api/v1/bases/{base_id}/tables", Summary: "Create a table with its fields",
		Description: "Field types: " + typeList() + ". A link_to_record field (options.table_id) gets an inverse field in the linked table.",
		Tags:        []string{"tables"}, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *struct {
		BaseIDPath
		Body struct {
			Name   string              `json:"name" minLength:"1" maxLength:"200" example:"Orders"`
			Fields []record.FieldInput `json:"fields,omitempty" maxItems:"500"`
		}
	}) (*tableBody, error) {
		t, err := h.records.CreateTable(ctx, in.BaseID, in.Body.Name, in.Body.Fields)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &tableBody{Body: t}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-tables", Method: http.MethodGet, Path: "/api/v1/bases/{base_id}/tables", Summary: "List a base's tables",
		Tags: []string{"tables"},
	}, func(ctx context.Context, in *BaseIDPath) (*listBody[*record.Table], error) {
		ts, err := h.records.ListTables(ctx, in.BaseID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return all(ts), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-table", Method: http.MethodGet, Path: "/api/v1/tables/{table_id}", Summary: "Get a table and its fields",
		Tags: []string{"tables"},
	}, func(ctx context.Context, in *TableIDPath) (*tableBody, error) {
		t, err := h.records.GetTable(ctx, in.TableID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &tableBody{Body: t}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-field", Method: http.MethodPost, Path: "/api/v1/tables/{table_id}/fields", Summary: "Add a field to a table",
		Description: "Field types: " + typeList() + ".",
		Tags:        []string{"tables"}, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *struct {
		TableIDPath
		Body record.FieldInput
	}) (*fieldBody, error) {
		f, err := h.records.CreateField(ctx, in.TableID, in.Body)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &fieldBody{Body: f}, nil
	})
}

func typeList() string {
	s := ""
	for i, t := range field.Types() {
		if i > 0 {
			s += ", "
		}
		s += string(t)
	}
	return s
}
