package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation"
)

// VersionPath is the {automation_id} and {n} path parameters.
type VersionPath struct {
	AutomationIDPath
	N int `path:"n" minimum:"1" example:"1" doc:"version number"`
}

type versionBody struct {
	Body automation.AutomationVersion
}

func registerVersions(api huma.API, h *handlers) {
	huma.Register(api, huma.Operation{
		OperationID: "list-automation-versions", Method: http.MethodGet, Path: "/api/v1/automations/{automation_id}/versions",
		Summary: "An automation's saved versions, newest first (secrets redacted)", Tags: []string{"automations"},
	}, func(ctx context.Context, in *struct {
		AutomationIDPath
		Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
		Cursor string `query:"cursor" doc:"next_cursor of the previous page"`
	}) (*listBody[automation.AutomationVersion], error) {
		before := 0
		if in.Cursor != "" {
			n, err := strconv.Atoi(in.Cursor)
			if err != nil || n < 1 {
				return nil, h.problem(ctx, rowflow.Invalid("cursor", "malformed cursor"))
			}
			before = n
		}
		vs, next, err := h.auto.ListVersions(ctx, in.AutomationID, before, in.Limit)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		out := all(vs)
		if next > 0 {
			c := strconv.Itoa(next)
			out.Body.NextCursor = &c
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-automation-version", Method: http.MethodGet, Path: "/api/v1/automations/{automation_id}/versions/{n}",
		Summary: "One saved version of an automation (secrets redacted)", Tags: []string{"automations"},
	}, func(ctx context.Context, in *VersionPath) (*versionBody, error) {
		v, err := h.auto.GetVersion(ctx, in.AutomationID, in.N)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &versionBody{Body: v}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "restore-automation-version", Method: http.MethodPost, Path: "/api/v1/automations/{automation_id}/versions/{n}/restore",
		Summary: "Save a new version equal to an earlier one", Tags: []string{"automations"},
	}, func(ctx context.Context, in *VersionPath) (*automationBody, error) {
		a, err := h.auto.RestoreVersion(ctx, in.AutomationID, in.N)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &automationBody{Body: h.auto.Redacted(a)}, nil
	})
}
