package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rowflow/rowflow/automation"
)

// StatsQueryParams is the range and bucket of the stats endpoints.
type StatsQueryParams struct {
	From   time.Time `query:"from" doc:"runs created at or after this time (RFC 3339; default: 30 days before to), down to its UTC hour: statistics are kept per hour"`
	To     time.Time `query:"to" doc:"runs created before this time (RFC 3339; default: now), up to the next UTC hour; to − from is at most 400 days"`
	Bucket string    `query:"bucket" enum:"hour,day" default:"day" doc:"bucket size (UTC)"`
}

func (p StatsQueryParams) query() automation.StatsQuery {
	return automation.StatsQuery{From: p.From, To: p.To, Bucket: p.Bucket}
}

type statsBody struct {
	Body automation.Stats
}

func registerStats(api huma.API, h *handlers) {
	huma.Register(api, huma.Operation{
		OperationID: "get-automation-stats", Method: http.MethodGet, Path: "/api/v1/automations/{automation_id}/stats",
		Summary: "An automation's run statistics per hour or day", Tags: []string{"runs"},
	}, func(ctx context.Context, in *struct {
		AutomationIDPath
		StatsQueryParams
	}) (*statsBody, error) {
		s, err := h.auto.AutomationStats(ctx, in.AutomationID, in.query())
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &statsBody{Body: s}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-base-stats", Method: http.MethodGet, Path: "/api/v1/bases/{base_id}/stats",
		Summary: "The run statistics of every automation of a base per hour or day", Tags: []string{"runs"},
	}, func(ctx context.Context, in *struct {
		BaseIDPath
		StatsQueryParams
	}) (*statsBody, error) {
		s, err := h.auto.BaseStats(ctx, in.BaseID, in.query())
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &statsBody{Body: s}, nil
	})
}
