package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rowflow/rowflow/auth"
)

// UserIDPath is the {user_id} path parameter.
type UserIDPath struct {
	UserID string `path:"user_id" example:"usr_01jd0000000000000000000000"`
}

type userBody struct{ Body auth.User }

func registerUsers(api huma.API, h *handlers) {
	huma.Register(api, huma.Operation{
		OperationID: "create-user", Method: http.MethodPost, Path: "/api/v1/users",
		Summary:     "Create a user (owner token reaching every base, or the admin token)",
		Description: "Users span bases: tokens may belong to one (POST /tokens {user_id}) and notify_user reaches them.",
		Tags:        []string{"users"}, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *struct {
		Body struct {
			Email string `json:"email" minLength:"3" maxLength:"320" example:"ada@example.com"`
			Name  string `json:"name,omitempty" maxLength:"200" example:"Ada Lovelace"`
		}
	}) (*userBody, error) {
		u, err := h.users.CreateUser(ctx, in.Body.Email, in.Body.Name)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &userBody{Body: u}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-users", Method: http.MethodGet, Path: "/api/v1/users", Summary: "List users",
		Tags: []string{"users"},
	}, func(ctx context.Context, in *PageQuery) (*listBody[auth.User], error) {
		us, err := h.users.ListUsers(ctx, in.Cursor, in.Limit+1)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return page(us, in.Limit, func(u auth.User) string { return u.ID }), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-user", Method: http.MethodGet, Path: "/api/v1/users/{user_id}", Summary: "Get a user",
		Tags: []string{"users"},
	}, func(ctx context.Context, in *UserIDPath) (*userBody, error) {
		u, err := h.users.GetUser(ctx, in.UserID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &userBody{Body: u}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "update-user", Method: http.MethodPatch, Path: "/api/v1/users/{user_id}", Summary: "Change a user's email or name",
		Tags: []string{"users"},
	}, func(ctx context.Context, in *struct {
		UserIDPath
		Body struct {
			Email *string `json:"email,omitempty" minLength:"3" maxLength:"320" example:"ada@example.com"`
			Name  *string `json:"name,omitempty" maxLength:"200"`
		}
	}) (*userBody, error) {
		u, err := h.users.UpdateUser(ctx, in.UserID, auth.UserPatch{Email: in.Body.Email, Name: in.Body.Name})
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &userBody{Body: u}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-user", Method: http.MethodDelete, Path: "/api/v1/users/{user_id}",
		Summary: "Delete a user, its tokens and its notifications", Tags: []string{"users"}, DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *UserIDPath) (*struct{}, error) {
		if err := h.users.DeleteUser(ctx, in.UserID); err != nil {
			return nil, h.problem(ctx, err)
		}
		return nil, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-me", Method: http.MethodGet, Path: "/api/v1/me", Summary: "The calling token's user and role",
		Description: "A token that belongs to no user (and the admin token) gets 403.",
		Tags:        []string{"users"},
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body auth.Me }, error) {
		me, err := h.users.Me(ctx)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &struct{ Body auth.Me }{Body: me}, nil
	})
}
