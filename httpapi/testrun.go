package httpapi

import (
	"context"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rowflow/rowflow/automation"
)

// TestBody is POST /automations/{id}/test's body.
type TestBody struct {
	Mode     string `json:"mode,omitempty" enum:"dry_run,live" doc:"dry_run (default): nothing is sent or kept, the answer (200) is the whole trace; live: a real run marked is_test (202)"`
	RecordID string `json:"record_id,omitempty" doc:"a record of the watched table to test with" example:"rec_01jd0000000000000000000000"`
	// Sample is trigger data as templates see it ({{trigger.…}}).
	Sample map[string]any `json:"sample,omitempty" doc:"trigger data as templates see it ({{trigger.…}}): record.fields by name for a table trigger, body/headers/query for a webhook; with neither record_id nor sample, the automation's last real trigger"`
	// Automation is a draft (dry_run only): a patch over the saved
	// automation, validated as a save would validate it.
	Automation *AutomationBody `json:"automation,omitempty" doc:"an unsaved draft to dry-run instead of the saved version: the fields of PATCH /automations/{id}, validated as on save (422 locations under automation.)"`
}

// testAnswer is a test's answer: a DryRun (200) or the live Run (202).
type testAnswer struct {
	Status int
	Body   any
}

func registerTest(api huma.API, h *handlers) {
	reg := api.OpenAPI().Components.Schemas
	huma.Register(api, huma.Operation{
		OperationID: "test-automation", Method: http.MethodPost, Path: "/api/v1/automations/{automation_id}/test",
		Summary: "Test an automation: a dry run with its whole trace, or a live test run",
		Description: "mode dry_run (the default) answers 200 with the conditions evaluated rule by rule (field, op, expected, actual, passed) and " +
			"what every step would do: record actions run in a transaction that is rolled back and show their exact changes (before/after cells), " +
			"external actions (send_webhook, send_email, Slack, Teams, notify_user) are rendered and checked but not sent and show the request " +
			"they would make (secrets redacted), and steps that use an output only a real run has get placeholders. Nothing persists: no record, " +
			"run, job or notification. mode live starts a real run marked is_test (excluded from stats), even when the automation is disabled " +
			"and whatever its conditions say, and answers 202 with the run as it starts. The trigger data comes from record_id, sample, or — " +
			"with neither — the automation's last real trigger (a table trigger's last run, else its first record; a webhook's last stored " +
			"request; a schedule's last fire). automation tests an unsaved draft (dry_run only).",
		// The body is checked by the runtime, as on save (a draft's steps
		// with their locations; huma's oneOf over steps and groups would
		// only say which step matched no kind), like create and PATCH.
		Tags: []string{"automations"}, DefaultStatus: http.StatusOK, SkipValidateBody: true,
		Responses: map[string]*huma.Response{
			"200": {Description: "the dry run's trace", Content: map[string]*huma.MediaType{"application/json": {
				Schema: reg.Schema(reflect.TypeOf(automation.DryRun{}), true, "DryRun")}}},
			"202": {Description: "the live test run, as it starts", Content: map[string]*huma.MediaType{"application/json": {
				Schema: reg.Schema(reflect.TypeOf(automation.Run{}), true, "Run")}}},
			// The two answers above leave huma to document no error.
			"default": {Description: "Error", Content: map[string]*huma.MediaType{"application/problem+json": {
				Schema: reg.Schema(reflect.TypeOf(huma.ErrorModel{}), true, "ErrorModel")}}},
		},
		RequestBody: &huma.RequestBody{Content: map[string]*huma.MediaType{"application/json": {
			Example: map[string]any{"mode": "dry_run", "record_id": "rec_01jd0000000000000000000000"},
		}}},
	}, func(ctx context.Context, in *struct {
		AutomationIDPath
		Body *TestBody `required:"false"`
	}) (*testAnswer, error) {
		req := automation.TestRequest{}
		if in.Body != nil {
			req = automation.TestRequest{Mode: in.Body.Mode, RecordID: in.Body.RecordID, Sample: in.Body.Sample}
			if in.Body.Automation != nil {
				draft := in.Body.Automation.input()
				req.Automation = &draft
			}
		}
		res, err := h.auto.Test(ctx, in.AutomationID, req)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		if res.Run != nil {
			return &testAnswer{Status: http.StatusAccepted, Body: res.Run}, nil
		}
		return &testAnswer{Status: http.StatusOK, Body: res.DryRun}, nil
	})
}
