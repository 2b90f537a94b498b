package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/record"
)

type formBody struct {
	Body record.Form
}

// FormPath is the {form_id} path parameter.
type FormPath struct {
	FormID string `path:"form_id" example:"frm_01jd0000000000000000000000"`
}

func registerForms(api huma.API, h *handlers) {
	huma.Register(api, huma.Operation{
		OperationID: "create-form", Method: http.MethodPost, Path: "/api/v1/tables/{table_id}/forms",
		Summary: "Create a form", Description: "A public form accepts submissions without a token, only for the fields it shows.",
		Tags: []string{"forms"}, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *struct {
		TableIDPath
		Body struct {
			Name   string                  `json:"name" minLength:"1" maxLength:"200" example:"Order intake"`
			Fields []record.FormFieldInput `json:"fields" minItems:"1" doc:"fields shown, by name or id"`
			Public bool                    `json:"public,omitempty" doc:"accept submissions without a token"`
		}
	}) (*formBody, error) {
		f, err := h.records.CreateForm(ctx, in.TableID, in.Body.Name, in.Body.Fields, in.Body.Public)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &formBody{Body: f}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-forms", Method: http.MethodGet, Path: "/api/v1/tables/{table_id}/forms", Summary: "List a table's forms",
		Tags: []string{"forms"},
	}, func(ctx context.Context, in *TableIDPath) (*listBody[record.Form], error) {
		fs, err := h.records.ListForms(ctx, in.TableID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return all(fs), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-form", Method: http.MethodGet, Path: "/api/v1/forms/{form_id}", Summary: "Get a form (public forms need no token)",
		Tags: []string{"forms"}, Metadata: map[string]any{"auth": authOptional},
	}, func(ctx context.Context, in *FormPath) (*formBody, error) {
		f, _, err := h.records.GetForm(formCtx(ctx), in.FormID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		if isAnonymous(ctx) && !f.Public {
			return nil, h.problem(ctx, rowflow.NotFound("form", in.FormID))
		}
		return &formBody{Body: f}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "submit-form", Method: http.MethodPost, Path: "/api/v1/forms/{form_id}/submit",
		Summary: "Submit a form: creates a record", Description: "No token is needed for a public form.",
		Tags: []string{"forms"}, DefaultStatus: http.StatusCreated, Metadata: map[string]any{"auth": authOptional, "rate": rateFormSubmit},
	}, func(ctx context.Context, in *struct {
		FormPath
		Body struct {
			Fields map[string]any `json:"fields" example:"{\"Name\":\"Ada\",\"Email\":\"ada@example.com\"}"`
		}
	}) (*recordBody, error) {
		t, r, err := h.records.SubmitForm(formCtx(ctx), in.FormID, in.Body.Fields, isAnonymous(ctx))
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &recordBody{Body: toRecordOut(t, r, false)}, nil
	})
}

// formCtx gives anonymous form requests an empty principal that sees no
// base (rather than the system principal of a bare context).
func formCtx(ctx context.Context) context.Context {
	if isAnonymous(ctx) {
		return rowflow.WithPrincipal(ctx, rowflow.Principal{BaseIDs: []string{}, Role: rowflow.RoleViewer})
	}
	return ctx
}
