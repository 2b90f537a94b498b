package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

type statusBody struct {
	Body struct {
		Status string `json:"status" example:"ok" doc:"ok, or the reason the service is not ready"`
	}
}

// registerOps adds /healthz (the process is up) and /readyz (the database
// answers and migrations are current).
func registerOps(api huma.API, ready func(context.Context) error) {
	huma.Register(api, huma.Operation{
		OperationID: "healthz", Method: http.MethodGet, Path: "/healthz", Summary: "Process is up",
		Tags: []string{"operations"}, Metadata: map[string]any{"auth": authNone}, Security: []map[string][]string{},
	}, func(ctx context.Context, _ *struct{}) (*statusBody, error) {
		out := &statusBody{}
		out.Body.Status = "ok"
		return out, nil
	})
	huma.Register(api, huma.Operation{
		OperationID: "readyz", Method: http.MethodGet, Path: "/readyz", Summary: "Database reachable and migrations current",
		Tags: []string{"operations"}, Metadata: map[string]any{"auth": authNone}, Security: []map[string][]string{},
		Errors: []int{http.StatusServiceUnavailable},
	}, func(ctx context.Context, _ *struct{}) (*statusBody, error) {
		if ready != nil {
			if err := ready(ctx); err != nil {
				return nil, huma.Error503ServiceUnavailable("not ready: " + err.Error())
			}
		}
		out := &statusBody{}
		out.Body.Status = "ok"
		return out, nil
	})
}
