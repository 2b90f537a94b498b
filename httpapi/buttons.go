package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

func registerButtons(api huma.API, h *handlers) {
	huma.Register(api, huma.Operation{
		OperationID: "click-button", Method: http.MethodPost, Path: "/api/v1/tables/{table_id}/records/{record_id}/buttons/{field_id}",
		Summary:     "Click a button field of a record: starts its button_clicked automations",
		Description: "Editor or owner. 404: unknown record or field (or not a button); 409: the button's automation is disabled or there is none.",
		Tags:        []string{"records"}, DefaultStatus: http.StatusAccepted,
	}, func(ctx context.Context, in *struct {
		RecordIDPath
		FieldID string `path:"field_id" example:"fld_01jd0000000000000000000000" doc:"the button field's id"`
	}) (*struct {
		Body struct {
			Runs []string `json:"runs" doc:"the runs started"`
		}
	}, error) {
		runs, err := h.auto.ClickButton(ctx, in.TableID, in.RecordID, in.FieldID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		out := &struct {
			Body struct {
				Runs []string `json:"runs" doc:"the runs started"`
			}
		}{}
		out.Body.Runs = runs
		return out, nil
	})
}
