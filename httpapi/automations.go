package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/rowflow/rowflow/automation"
)

// AutomationIDPath is the {automation_id} path parameter.
type AutomationIDPath struct {
	AutomationID string `path:"automation_id" example:"aut_01jd0000000000000000000000"`
}

type automationBody struct {
	Body automation.Automation
}

func registerAutomations(api huma.API, h *handlers) {
	huma.Register(api, huma.Operation{
		OperationID: "create-automation", Method: http.MethodPost, Path: "/api/v1/bases/{base_id}/automations",
		Summary: "Create an automation: one trigger → optional conditions → an ordered chain of steps",
		Description: "Trigger and step configs are validated at save time; problems come back as 422 naming the exact place " +
			"(`steps[2].config.url`). Every save creates an immutable version; runs pin the version they started with.",
		Tags: []string{"automations"}, DefaultStatus: http.StatusCreated, SkipValidateBody: true,
		RequestBody: &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{"application/json": {
			Example: exampleAutomation,
		}}},
	}, func(ctx context.Context, in *struct {
		BaseIDPath
		Body AutomationBody
	}) (*automationBody, error) {
		a, err := h.auto.CreateAutomation(ctx, in.BaseID, in.Body.input())
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &automationBody{Body: h.auto.Redacted(a)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-automations", Method: http.MethodGet, Path: "/api/v1/bases/{base_id}/automations", Summary: "List a base's automations",
		Tags: []string{"automations"},
	}, func(ctx context.Context, in *BaseIDPath) (*listBody[automation.Automation], error) {
		as, err := h.auto.ListAutomations(ctx, in.BaseID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		for i := range as {
			as[i] = h.auto.Redacted(h.auto.WithWarnings(ctx, as[i]))
		}
		return all(as), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-automation", Method: http.MethodGet, Path: "/api/v1/automations/{automation_id}", Summary: "Get an automation (secrets redacted)",
		Tags: []string{"automations"},
	}, func(ctx context.Context, in *AutomationIDPath) (*automationBody, error) {
		a, err := h.auto.GetAutomation(ctx, in.AutomationID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &automationBody{Body: h.auto.Redacted(h.auto.WithWarnings(ctx, a))}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "update-automation", Method: http.MethodPatch, Path: "/api/v1/automations/{automation_id}",
		Summary: "Change an automation (a new version)", Description: "Only the given top-level fields change; the result is validated as a whole. A redacted secret sent back unchanged keeps the stored one.",
		Tags: []string{"automations"}, SkipValidateBody: true,
	}, func(ctx context.Context, in *struct {
		AutomationIDPath
		Body AutomationBody
	}) (*automationBody, error) {
		a, err := h.auto.UpdateAutomation(ctx, in.AutomationID, in.Body.input())
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &automationBody{Body: h.auto.Redacted(a)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-automation", Method: http.MethodDelete, Path: "/api/v1/automations/{automation_id}", Summary: "Delete an automation and its runs",
		Tags: []string{"automations"}, DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *AutomationIDPath) (*struct{}, error) {
		if err := h.auto.DeleteAutomation(ctx, in.AutomationID); err != nil {
			return nil, h.problem(ctx, err)
		}
		return nil, nil
	})

	registerTest(api, h)

	for _, sw := range []struct {
		verb    string
		enabled bool
	}{{"enable", true}, {"disable", false}} {
		huma.Register(api, huma.Operation{
			OperationID: sw.verb + "-automation", Method: http.MethodPost, Path: "/api/v1/automations/{automation_id}/" + sw.verb,
			Summary: sw.verb + " an automation", Tags: []string{"automations"},
		}, func(ctx context.Context, in *AutomationIDPath) (*automationBody, error) {
			a, err := h.auto.SetAutomationEnabled(ctx, in.AutomationID, sw.enabled)
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			return &automationBody{Body: h.auto.Redacted(a)}, nil
		})
	}
}
