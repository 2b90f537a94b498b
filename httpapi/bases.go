package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/rowflow/rowflow/record"
)

// BaseIDPath is the {base_id} path parameter; exported so huma sees it when embedded.
type BaseIDPath struct {
	BaseID string `path:"base_id" example:"bas_01jd0000000000000000000000" doc:"base id"`
}

type baseBody struct {
	Body record.Base
}

// PageQuery is the limit/cursor pair of paginated lists.
type PageQuery struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"page size"`
	Cursor string `query:"cursor" doc:"next_cursor of the previous page"`
}

func registerBases(api huma.API, h *handlers) {
	huma.Register(api, huma.Operation{
		OperationID: "create-base", Method: http.MethodPost, Path: "/api/v1/bases", Summary: "Create a base",
		Tags: []string{"bases"}, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *struct {
		Body struct {
			Name string `json:"name" minLength:"1" maxLength:"200" example:"Sales"`
		}
	}) (*baseBody, error) {
		b, err := h.records.CreateBase(ctx, in.Body.Name)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &baseBody{Body: b}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-bases", Method: http.MethodGet, Path: "/api/v1/bases", Summary: "List the bases the token reaches",
		Tags: []string{"bases"},
	}, func(ctx context.Context, in *PageQuery) (*listBody[record.Base], error) {
		bases, err := h.records.ListBases(ctx, in.Cursor, in.Limit+1)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return page(bases, in.Limit, func(b record.Base) string { return b.ID }), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-base", Method: http.MethodGet, Path: "/api/v1/bases/{base_id}", Summary: "Get a base",
		Tags: []string{"bases"},
	}, func(ctx context.Context, in *BaseIDPath) (*baseBody, error) {
		b, err := h.records.GetBase(ctx, in.BaseID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &baseBody{Body: b}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-base", Method: http.MethodDelete, Path: "/api/v1/bases/{base_id}", Summary: "Delete a base and everything in it",
		Tags: []string{"bases"}, DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *BaseIDPath) (*struct{}, error) {
		if err := h.records.DeleteBase(ctx, in.BaseID); err != nil {
			return nil, h.problem(ctx, err)
		}
		return nil, nil
	})
}

// listBody is the shape of every list: {"items": [...], "next_cursor": ...}.
type listBody[T any] struct {
	Body struct {
		Items      []T     `json:"items"`
		NextCursor *string `json:"next_cursor" doc:"pass as cursor for the next page; null at the end"`
	}
}

// page cuts a list fetched with limit+1 rows into one page and its cursor.
func page[T any](items []T, limit int, key func(T) string) *listBody[T] {
	out := &listBody[T]{}
	if len(items) > limit {
		items = items[:limit]
		c := key(items[len(items)-1])
		out.Body.NextCursor = &c
	}
	if items == nil {
		items = []T{}
	}
	out.Body.Items = items
	return out
}

// all wraps a complete list (no further page).
func all[T any](items []T) *listBody[T] {
	out := &listBody[T]{}
	if items == nil {
		items = []T{}
	}
	out.Body.Items = items
	return out
}
