package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/rowflow/rowflow/automation"
)

type runBody struct {
	Body automation.Run
}

// RunIDPath is the {run_id} path parameter.
type RunIDPath struct {
	RunID string `path:"run_id" example:"run_01jd0000000000000000000000"`
}

// RunFilterQuery is the filters and paging of the run lists.
type RunFilterQuery struct {
	Status   string    `query:"status" enum:"queued,running,waiting,succeeded,failed,skipped,cancelled" doc:"only runs with this status"`
	IsTest   string    `query:"is_test" enum:"true,false" doc:"only test runs (true) or only real ones (false)"`
	RecordID string    `query:"record_id" doc:"only runs whose trigger record is this one"`
	From     time.Time `query:"from" doc:"only runs created at or after this time (RFC 3339)"`
	To       time.Time `query:"to" doc:"only runs created before this time (RFC 3339)"`
	Limit    int       `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor   string    `query:"cursor" doc:"next_cursor of the previous page"`
}

// filter is the query as the runtime's RunFilter.
func (q RunFilterQuery) filter() automation.RunFilter {
	f := automation.RunFilter{Status: q.Status, RecordID: q.RecordID, Cursor: q.Cursor, Limit: q.Limit}
	if q.IsTest != "" {
		b, _ := strconv.ParseBool(q.IsTest)
		f.IsTest = &b
	}
	if !q.From.IsZero() {
		f.From = &q.From
	}
	if !q.To.IsZero() {
		f.To = &q.To
	}
	return f
}

// runPage is a page of runs with its cursor.
func runPage(runs []automation.Run, next string) *listBody[automation.Run] {
	out := all(runs)
	if next != "" {
		out.Body.NextCursor = &next
	}
	return out
}

func registerRuns(api huma.API, h *handlers) {
	huma.Register(api, huma.Operation{
		OperationID: "list-runs", Method: http.MethodGet, Path: "/api/v1/automations/{automation_id}/runs",
		Summary: "An automation's run history, newest first", Tags: []string{"runs"},
	}, func(ctx context.Context, in *struct {
		AutomationIDPath
		RunFilterQuery
	}) (*listBody[automation.Run], error) {
		runs, next, err := h.auto.ListRuns(ctx, in.AutomationID, in.filter())
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return runPage(runs, next), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-base-runs", Method: http.MethodGet, Path: "/api/v1/bases/{base_id}/runs",
		Summary: "The run history of every automation of a base, newest first", Tags: []string{"runs"},
	}, func(ctx context.Context, in *struct {
		BaseIDPath
		RunFilterQuery
	}) (*listBody[automation.Run], error) {
		runs, next, err := h.auto.ListBaseRuns(ctx, in.BaseID, in.filter())
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return runPage(runs, next), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-run", Method: http.MethodGet, Path: "/api/v1/runs/{run_id}",
		Summary: "A run with each step's status, attempts, rendered input, output, error and timings", Tags: []string{"runs"},
	}, func(ctx context.Context, in *RunIDPath) (*runBody, error) {
		r, err := h.auto.GetRun(ctx, in.RunID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &runBody{Body: r}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "cancel-run", Method: http.MethodPost, Path: "/api/v1/runs/{run_id}/cancel",
		Summary: "Cancel a queued or running run before its next step", Tags: []string{"runs"},
	}, func(ctx context.Context, in *struct {
		RunID string `path:"run_id" example:"run_01jd0000000000000000000001"`
	}) (*runBody, error) {
		r, err := h.auto.CancelRun(ctx, in.RunID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &runBody{Body: r}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "retry-run", Method: http.MethodPost, Path: "/api/v1/runs/{run_id}/retry",
		Summary: "Resume a failed run from its failed step", Tags: []string{"runs"},
		DefaultStatus: http.StatusAccepted,
	}, func(ctx context.Context, in *struct {
		RunID string `path:"run_id" example:"run_01jd0000000000000000000002"`
	}) (*runBody, error) {
		r, err := h.auto.RetryRun(ctx, in.RunID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &runBody{Body: r}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "replay-run", Method: http.MethodPost, Path: "/api/v1/runs/{run_id}/replay",
		Summary: "Start a new run with the same trigger data on the current version", Tags: []string{"runs"},
		DefaultStatus: http.StatusAccepted,
	}, func(ctx context.Context, in *RunIDPath) (*runBody, error) {
		r, err := h.auto.ReplayRun(ctx, in.RunID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &runBody{Body: r}, nil
	})
}
