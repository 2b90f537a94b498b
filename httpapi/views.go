package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/rowflow/rowflow/record"
)

type viewBody struct {
	Body record.View
}

func registerViews(api huma.API, h *handlers) {
	huma.Register(api, huma.Operation{
		OperationID: "create-view", Method: http.MethodPost, Path: "/api/v1/tables/{table_id}/views",
		Summary: "Create a view: a named filter and sort", Tags: []string{"views"}, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *struct {
		TableIDPath
		Body struct {
			Name   string            `json:"name" minLength:"1" maxLength:"200" example:"Done orders"`
			Filter json.RawMessage   `json:"filter,omitempty" doc:"a condition group" example:"{\"match\":\"all\",\"rules\":[{\"field\":\"Status\",\"op\":\"is\",\"value\":\"Done\"}]}"`
			Sort   []record.SortSpec `json:"sort,omitempty"`
		}
	}) (*viewBody, error) {
		v, err := h.records.CreateView(ctx, in.TableID, in.Body.Name, in.Body.Filter, in.Body.Sort)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &viewBody{Body: v}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-views", Method: http.MethodGet, Path: "/api/v1/tables/{table_id}/views", Summary: "List a table's views",
		Tags: []string{"views"},
	}, func(ctx context.Context, in *TableIDPath) (*listBody[record.View], error) {
		vs, err := h.records.ListViews(ctx, in.TableID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return all(vs), nil
	})

	type viewPath struct {
		ViewID string `path:"view_id" example:"viw_01jd0000000000000000000000"`
	}
	huma.Register(api, huma.Operation{
		OperationID: "get-view", Method: http.MethodGet, Path: "/api/v1/views/{view_id}", Summary: "Get a view",
		Tags: []string{"views"},
	}, func(ctx context.Context, in *viewPath) (*viewBody, error) {
		v, err := h.records.GetView(ctx, in.ViewID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &viewBody{Body: v}, nil
	})
	huma.Register(api, huma.Operation{
		OperationID: "delete-view", Method: http.MethodDelete, Path: "/api/v1/views/{view_id}", Summary: "Delete a view",
		Tags: []string{"views"}, DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *viewPath) (*struct{}, error) {
		if err := h.records.DeleteView(ctx, in.ViewID); err != nil {
			return nil, h.problem(ctx, err)
		}
		return nil, nil
	})
}
