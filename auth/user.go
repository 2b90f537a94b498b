package auth

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/pgtx"
)

// Users is the user service: the people tokens belong to and
// notifications reach. Users are not bound to a base, so managing them
// takes an owner token that reaches every base (or the admin token). It is
// safe for concurrent use.
type Users struct {
	q *db.Queries
}

// NewUsers returns the user service on pool.
func NewUsers(pool *pgxpool.Pool) *Users { return &Users{q: db.New(pool)} }

// User is one person.
type User struct {
	ID        string    `json:"id" example:"usr_01jd0000000000000000000000"`
	Email     string    `json:"email" example:"ada@example.com"`
	Name      string    `json:"name" example:"Ada Lovelace"`
	CreatedAt time.Time `json:"created_at"`
}

func userFromRow(r db.User) User {
	return User{ID: r.ID, Email: r.Email, Name: r.Name, CreatedAt: r.CreatedAt}
}

// UserPatch is a partial update: nil fields are kept.
type UserPatch struct {
	Email *string
	Name  *string
}

// checkUserAdmin lets through the admin token and owner tokens that reach
// every base: users span bases, so a base-scoped owner may not manage them.
func checkUserAdmin(ctx context.Context) error {
	p := rowflow.PrincipalFrom(ctx)
	if err := rowflow.CheckRole(p, rowflow.RoleOwner); err != nil {
		return err
	}
	if !p.System && p.BaseIDs != nil {
		return rowflow.Errorf(rowflow.CodeForbidden, "users span every base: managing them needs an owner token without base_ids (or the admin token)")
	}
	return nil
}

// CheckEmail validates an email address (a bare address, no display name)
// and returns it trimmed.
func CheckEmail(location, email string) (string, error) {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return "", rowflow.Invalid(location, "%q is not an email address", email)
	}
	if len(email) > 320 {
		return "", rowflow.Invalid(location, "must be at most 320 characters")
	}
	return email, nil
}

func checkUserName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if len(name) > 200 {
		return "", rowflow.Invalid("name", "must be at most 200 characters")
	}
	if strings.ContainsRune(name, 0) {
		return "", rowflow.Invalid("name", "must not contain a NUL character")
	}
	return name, nil
}

// CreateUser adds a user; an email already taken (in any case) is a
// conflict at "email".
func (s *Users) CreateUser(ctx context.Context, email, name string) (User, error) {
	if err := checkUserAdmin(ctx); err != nil {
		return User{}, err
	}
	email, err := CheckEmail("email", email)
	if err != nil {
		return User{}, err
	}
	if name, err = checkUserName(name); err != nil {
		return User{}, err
	}
	row, err := s.q.CreateUser(ctx, db.CreateUserParams{ID: rowflow.NewID(rowflow.PrefixUser), Email: email, Name: name})
	if err != nil {
		return User{}, pgtx.MapUnique(err, "email", "a user with email %q exists", email)
	}
	return userFromRow(row), nil
}

// ListUsers lists users by id after the cursor.
func (s *Users) ListUsers(ctx context.Context, after string, limit int) ([]User, error) {
	if err := checkUserAdmin(ctx); err != nil {
		return nil, err
	}
	rows, err := s.q.ListUsers(ctx, db.ListUsersParams{After: after, Lim: int32(limit)})
	if err != nil {
		return nil, err
	}
	out := make([]User, len(rows))
	for i, r := range rows {
		out[i] = userFromRow(r)
	}
	return out, nil
}

// GetUser returns one user.
func (s *Users) GetUser(ctx context.Context, id string) (User, error) {
	if err := checkUserAdmin(ctx); err != nil {
		return User{}, err
	}
	return s.get(ctx, id)
}

func (s *Users) get(ctx context.Context, id string) (User, error) {
	row, err := s.q.GetUser(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, rowflow.NotFound("user", id)
	}
	if err != nil {
		return User{}, fmt.Errorf("loading user %s: %w", id, err)
	}
	return userFromRow(row), nil
}

// UpdateUser changes a user's email and/or name.
func (s *Users) UpdateUser(ctx context.Context, id string, p UserPatch) (User, error) {
	if err := checkUserAdmin(ctx); err != nil {
		return User{}, err
	}
	params := db.UpdateUserParams{ID: id}
	if p.Email != nil {
		email, err := CheckEmail("email", *p.Email)
		if err != nil {
			return User{}, err
		}
		params.Email = &email
	}
	if p.Name != nil {
		name, err := checkUserName(*p.Name)
		if err != nil {
			return User{}, err
		}
		params.Name = &name
	}
	row, err := s.q.UpdateUser(ctx, params)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, rowflow.NotFound("user", id)
	}
	if err != nil {
		return User{}, pgtx.MapUnique(err, "email", "a user with email %q exists", deref(params.Email))
	}
	return userFromRow(row), nil
}

// DeleteUser deletes a user, its tokens and its notifications.
func (s *Users) DeleteUser(ctx context.Context, id string) error {
	if err := checkUserAdmin(ctx); err != nil {
		return err
	}
	n, err := s.q.DeleteUser(ctx, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return rowflow.NotFound("user", id)
	}
	return nil
}

// Me is the answer of GET /me: the calling token's user and role.
type Me struct {
	User    User     `json:"user"`
	Role    string   `json:"role" example:"editor"`
	TokenID string   `json:"token_id" example:"tok_01jd0000000000000000000000"`
	BaseIDs []string `json:"base_ids,omitempty"`
}

// ErrNoUser is the error of calls that need the token's user (/me,
// notifications) made with a token that belongs to none.
func ErrNoUser() error {
	return rowflow.Errorf(rowflow.CodeForbidden, "this token belongs to no user: create one with POST /api/v1/tokens {\"user_id\": …} (or rowflow token create -user EMAIL)")
}

// CurrentUserID is the user of the calling token, or ErrNoUser.
func CurrentUserID(ctx context.Context) (string, error) {
	p := rowflow.PrincipalFrom(ctx)
	if p.UserID == "" {
		return "", ErrNoUser()
	}
	return p.UserID, nil
}

// Me answers who the calling token is.
func (s *Users) Me(ctx context.Context) (Me, error) {
	id, err := CurrentUserID(ctx)
	if err != nil {
		return Me{}, err
	}
	u, err := s.get(ctx, id)
	if err != nil {
		return Me{}, err
	}
	p := rowflow.PrincipalFrom(ctx)
	return Me{User: u, Role: p.Role, TokenID: p.TokenID, BaseIDs: p.BaseIDs}, nil
}

// UserIDByEmail resolves an email (any case) to its user's id; internal
// callers only (no access check).
func (s *Users) UserIDByEmail(ctx context.Context, email string) (string, error) {
	row, err := s.q.GetUserByEmail(ctx, email)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", rowflow.NotFound("user", email)
	}
	if err != nil {
		return "", err
	}
	return row.ID, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
