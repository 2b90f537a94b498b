package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rowflow/rowflow/connection"
)

// ConnectionIDPath is the {connection_id} path parameter.
type ConnectionIDPath struct {
	ConnectionID string `path:"connection_id" example:"con_01jd0000000000000000000000"`
}

type connectionBody struct {
	Body connection.Connection
}

// maxConnectionBody caps a connection request (configs are small).
const maxConnectionBody = 64 << 10

const connectionConfigDoc = "smtp: {host, port?, username?, password?, tls?: starttls|tls|none, from}; " +
	"slack: {webhook_url} or {bot_token, default_channel}; teams: {webhook_url}. " +
	"Secrets (password, bot_token, webhook_url) are write-only: answers show \"••••\" and has_<name>; " +
	"a PATCH that omits a secret (or sends \"••••\" back) keeps it."

func registerConnections(api huma.API, h *handlers) {
	huma.Register(api, huma.Operation{
		OperationID: "create-connection", Method: http.MethodPost, Path: "/api/v1/bases/{base_id}/connections",
		Summary: "Create a connection (credentials for send_email, Slack, Teams)", Description: connectionConfigDoc,
		Tags: []string{"connections"}, DefaultStatus: http.StatusCreated, MaxBodyBytes: maxConnectionBody,
	}, func(ctx context.Context, in *struct {
		BaseIDPath
		Body struct {
			Name   string         `json:"name" minLength:"1" maxLength:"200" example:"Mail"`
			Type   string         `json:"type" enum:"smtp,slack,teams" example:"smtp"`
			Config map[string]any `json:"config" doc:"see the operation's description" example:"{\"host\":\"127.0.0.1\",\"port\":1025,\"tls\":\"none\",\"from\":\"rowflow@example.com\"}"`
		}
	}) (*connectionBody, error) {
		c, err := h.conns.Create(ctx, in.BaseID, connection.Input{Name: in.Body.Name, Type: in.Body.Type, Config: in.Body.Config})
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &connectionBody{Body: c}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-connections", Method: http.MethodGet, Path: "/api/v1/bases/{base_id}/connections",
		Summary: "List a base's connections (never their secrets)", Tags: []string{"connections"},
	}, func(ctx context.Context, in *struct {
		BaseIDPath
		PageQuery
	}) (*listBody[connection.Connection], error) {
		cs, err := h.conns.List(ctx, in.BaseID, in.Cursor, in.Limit+1)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return page(cs, in.Limit, func(c connection.Connection) string { return c.ID }), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-connection", Method: http.MethodGet, Path: "/api/v1/connections/{connection_id}",
		Summary: "Get a connection (never its secrets)", Tags: []string{"connections"},
	}, func(ctx context.Context, in *ConnectionIDPath) (*connectionBody, error) {
		c, err := h.conns.Get(ctx, in.ConnectionID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &connectionBody{Body: c}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "update-connection", Method: http.MethodPatch, Path: "/api/v1/connections/{connection_id}",
		Summary: "Change a connection's name or settings", Description: connectionConfigDoc,
		Tags: []string{"connections"}, MaxBodyBytes: maxConnectionBody,
	}, func(ctx context.Context, in *struct {
		ConnectionIDPath
		Body struct {
			Name   *string        `json:"name,omitempty" minLength:"1" maxLength:"200" example:"Mail"`
			Config map[string]any `json:"config,omitempty" doc:"settings to change; null removes one; omitted secrets are kept" example:"{\"from\":\"orders@example.com\"}"`
		}
	}) (*connectionBody, error) {
		c, err := h.conns.Update(ctx, in.ConnectionID, connection.Patch{Name: in.Body.Name, Config: in.Body.Config})
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &connectionBody{Body: c}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-connection", Method: http.MethodDelete, Path: "/api/v1/connections/{connection_id}",
		Summary: "Delete a connection", Tags: []string{"connections"}, DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *ConnectionIDPath) (*struct{}, error) {
		if err := h.conns.Delete(ctx, in.ConnectionID); err != nil {
			return nil, h.problem(ctx, err)
		}
		return nil, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "test-connection", Method: http.MethodPost, Path: "/api/v1/connections/{connection_id}/test",
		Summary:     "Try a connection",
		Description: "SMTP: connect, EHLO, STARTTLS/TLS and AUTH as configured; Slack: auth.test for a bot token (a webhook URL is only checked); Teams: the URL is checked. A failure answers 200 with ok: false and the error.",
		Tags:        []string{"connections"},
	}, func(ctx context.Context, in *ConnectionIDPath) (*struct{ Body connection.TestResult }, error) {
		r, err := h.conns.Test(ctx, in.ConnectionID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &struct{ Body connection.TestResult }{Body: r}, nil
	})
}
