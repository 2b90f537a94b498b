package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rowflow/rowflow/automation"
)

type explainBody struct {
	Body automation.Explanation
}

// registerExplain registers GET /automations/{automation_id}/explain: would
// the automation fire for a record now, and which part says no.
func registerExplain(api huma.API, h *handlers) {
	huma.Register(api, huma.Operation{
		OperationID: "explain-automation", Method: http.MethodGet, Path: "/api/v1/automations/{automation_id}/explain",
		Summary: "Would this automation fire for a record now, and if not, why", Tags: []string{"automations"},
	}, func(ctx context.Context, in *struct {
		AutomationIDPath
		RecordID string `query:"record_id" example:"rec_01jd0000000000000000000000" doc:"the record to check; required when the trigger watches a table"`
	}) (*explainBody, error) {
		e, err := h.auto.Explain(ctx, in.AutomationID, in.RecordID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &explainBody{Body: e}, nil
	})
}
