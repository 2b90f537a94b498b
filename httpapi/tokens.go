package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/rowflow/rowflow/auth"
)

// createdToken is the answer to a token creation: the only time the secret
// is shown.
type createdToken struct {
	ID        string    `json:"id" example:"tok_01jd0000000000000000000000"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	BaseIDs   []string  `json:"base_ids,omitempty"`
	UserID    string    `json:"user_id,omitempty" doc:"the user the token belongs to"`
	CreatedAt time.Time `json:"created_at"`
	Token     string    `json:"token" doc:"the secret; shown only now" example:"rf_3q2Xw…"`
}

func registerTokens(api huma.API, h *handlers) {
	huma.Register(api, huma.Operation{
		OperationID: "create-token", Method: http.MethodPost, Path: "/api/v1/tokens",
		Summary: "Create an access token (owner only)", Description: "The token is shown once; only its hash is stored.",
		Tags: []string{"tokens"}, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *struct {
		Body struct {
			Name    string   `json:"name" minLength:"1" maxLength:"200" example:"ci"`
			Role    string   `json:"role" enum:"owner,editor,viewer" example:"editor"`
			BaseIDs []string `json:"base_ids,omitempty" doc:"limit the token to these bases; omit for every base"`
			UserID  string   `json:"user_id,omitempty" doc:"make it a token of this user (usr_…): GET /me, notifications and cause.user_id of its writes; needs an owner token reaching every base or the admin token"`
		}
	}) (*struct{ Body createdToken }, error) {
		t, secret, err := h.tokens.CreateToken(ctx, in.Body.Name, in.Body.Role, in.Body.BaseIDs, in.Body.UserID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &struct{ Body createdToken }{Body: createdToken{
			ID: t.ID, Name: t.Name, Role: t.Role, BaseIDs: t.BaseIDs, UserID: t.UserID, CreatedAt: t.CreatedAt, Token: secret,
		}}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-tokens", Method: http.MethodGet, Path: "/api/v1/tokens", Summary: "List access tokens (never their secrets)",
		Tags: []string{"tokens"},
	}, func(ctx context.Context, _ *struct{}) (*listBody[auth.Token], error) {
		ts, err := h.tokens.ListTokens(ctx)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return all(ts), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-token", Method: http.MethodDelete, Path: "/api/v1/tokens/{token_id}", Summary: "Revoke an access token",
		Tags: []string{"tokens"}, DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *struct {
		TokenID string `path:"token_id" example:"tok_01jd0000000000000000000000"`
	}) (*struct{}, error) {
		if err := h.tokens.DeleteToken(ctx, in.TokenID); err != nil {
			return nil, h.problem(ctx, err)
		}
		return nil, nil
	})
}
