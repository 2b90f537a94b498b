package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/rowflow/rowflow/automation"
)

type runBody struct {
	Body automation.Run
}

func registerRuns(api huma.API, h *handlers) {
	huma.Register(api, huma.Operation{
		OperationID: "list-runs", Method: http.MethodGet, Path: "/api/v1/automations/{automation_id}/runs",
		Summary: "An automation's run history, newest first", Tags: []string{"runs"},
	}, func(ctx context.Context, in *struct {
		AutomationIDPath
		Status string `query:"status" enum:"queued,running,waiting,succeeded,failed,skipped,cancelled" doc:"only runs with this status"`
		Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
		Cursor string `query:"cursor" doc:"next_cursor of the previous page"`
	}) (*listBody[automation.Run], error) {
		runs, next, err := h.auto.ListRuns(ctx, in.AutomationID, in.Status, in.Cursor, in.Limit)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		out := all(runs)
		if next != "" {
			out.Body.NextCursor = &next
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-run", Method: http.MethodGet, Path: "/api/v1/runs/{run_id}",
		Summary: "A run with each step's status, attempts, rendered input, output, error and timings", Tags: []string{"runs"},
	}, func(ctx context.Context, in *struct {
		RunID string `path:"run_id" example:"run_01jd0000000000000000000000"`
	}) (*runBody, error) {
		r, err := h.auto.GetRun(ctx, in.RunID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &runBody{Body: r}, nil
	})
}
