package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
)

// Tokens is the token service. It is safe for concurrent use.
type Tokens struct {
	q *db.Queries
}

// New returns the token service on pool.
func New(pool *pgxpool.Pool) *Tokens { return &Tokens{q: db.New(pool)} }

// Token is an access token's metadata; the secret itself is shown once, at
// creation, and only its SHA-256 is stored.
type Token struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	BaseIDs    []string   `json:"base_ids,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	// UserID is the user the token belongs to, if any (GET /me,
	// notifications, cause.user_id of its writes).
	UserID string `json:"user_id,omitempty"`
}

func tokenFromRow(r db.ApiToken) Token {
	return Token{ID: r.ID, Name: r.Name, Role: r.Role, BaseIDs: r.BaseIds, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt, UserID: deref(r.UserID)}
}

// HashToken is the stored form of a token secret.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CreateToken makes a token (owner only). It returns the metadata and the
// secret, "rf_" + 43 url-safe characters, which is never stored or shown again.
// userID, when not "", makes it a token of that user; only the admin token
// and owners reaching every base may do that (the user's notifications
// span bases).
func (s *Tokens) CreateToken(ctx context.Context, name, role string, baseIDs []string, userID string) (Token, string, error) {
	p := rowflow.PrincipalFrom(ctx)
	if err := rowflow.CheckRole(p, rowflow.RoleOwner); err != nil {
		return Token{}, "", err
	}
	name = strings.TrimSpace(name)
	if err := rowflow.CheckName("name", name); err != nil {
		return Token{}, "", err
	}
	switch role {
	case rowflow.RoleOwner, rowflow.RoleEditor, rowflow.RoleViewer:
	default:
		return Token{}, "", rowflow.Invalid("role", "must be owner, editor or viewer")
	}
	if baseIDs != nil {
		if len(baseIDs) == 0 {
			// Stored as is, an empty list would read back as "every base".
			return Token{}, "", rowflow.Invalid("base_ids", "name at least one base, or omit base_ids for a token that reaches every base")
		}
		for i, id := range baseIDs {
			if !p.SeesBase(id) {
				return Token{}, "", rowflow.Invalid(fmt.Sprintf("base_ids[%d]", i), "no base %q", id)
			}
			if _, err := s.q.GetBase(ctx, id); err != nil {
				return Token{}, "", rowflow.Invalid(fmt.Sprintf("base_ids[%d]", i), "no base %q", id)
			}
		}
		baseIDs = slices.Compact(slices.Sorted(slices.Values(baseIDs)))
	} else if p.BaseIDs != nil && !p.System {
		// A scoped owner cannot mint a token wider than itself.
		baseIDs = p.BaseIDs
	}
	var owner *string
	if userID != "" {
		if err := checkUserAdmin(ctx); err != nil {
			return Token{}, "", err
		}
		if _, err := s.q.GetUser(ctx, userID); err != nil {
			return Token{}, "", rowflow.Invalid("user_id", "no user %q", userID)
		}
		owner = &userID
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return Token{}, "", err
	}
	secret := "rf_" + base64.RawURLEncoding.EncodeToString(raw[:])
	row, err := s.q.CreateToken(ctx, db.CreateTokenParams{ID: rowflow.NewID(rowflow.PrefixToken), Name: name, Role: role, BaseIds: baseIDs, TokenHash: HashToken(secret), UserID: owner})
	if err != nil {
		return Token{}, "", err
	}
	return tokenFromRow(row), secret, nil
}

// ListTokens lists tokens (owner only; never their secrets).
func (s *Tokens) ListTokens(ctx context.Context) ([]Token, error) {
	if err := rowflow.CheckRole(rowflow.PrincipalFrom(ctx), rowflow.RoleOwner); err != nil {
		return nil, err
	}
	rows, err := s.q.ListTokens(ctx)
	if err != nil {
		return nil, err
	}
	p := rowflow.PrincipalFrom(ctx)
	out := []Token{}
	for _, r := range rows {
		if p.System || p.BaseIDs == nil || (r.BaseIds != nil && subset(r.BaseIds, p.BaseIDs)) {
			out = append(out, tokenFromRow(r))
		}
	}
	return out, nil
}

// DeleteToken revokes a token (owner only).
func (s *Tokens) DeleteToken(ctx context.Context, id string) error {
	if err := rowflow.CheckRole(rowflow.PrincipalFrom(ctx), rowflow.RoleOwner); err != nil {
		return err
	}
	toks, err := s.ListTokens(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(toks, func(t Token) bool { return t.ID == id }) {
		return rowflow.NotFound("token", id)
	}
	_, err = s.q.DeleteToken(ctx, id)
	return err
}

// Authenticate resolves a bearer secret to its principal. adminToken, when
// non-empty, is accepted with full rights (compared in constant time).
func (s *Tokens) Authenticate(ctx context.Context, secret, adminToken string) (rowflow.Principal, error) {
	if secret == "" {
		return rowflow.Principal{}, rowflow.Errorf(rowflow.CodeUnauthorized, "missing token")
	}
	if adminToken != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(adminToken)) == 1 {
		return rowflow.Principal{System: true, Role: rowflow.RoleOwner, TokenID: rowflow.AdminTokenID}, nil
	}
	row, err := s.q.GetTokenByHash(ctx, HashToken(secret))
	if errors.Is(err, pgx.ErrNoRows) {
		return rowflow.Principal{}, rowflow.Errorf(rowflow.CodeUnauthorized, "invalid token")
	}
	if err != nil {
		return rowflow.Principal{}, fmt.Errorf("looking up token: %w", err)
	}
	_ = s.q.TouchToken(ctx, row.ID)
	return rowflow.Principal{TokenID: row.ID, Role: row.Role, BaseIDs: row.BaseIds, UserID: deref(row.UserID)}, nil
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
