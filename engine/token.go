package engine

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

	"github.com/rowflow/rowflow/db"
)

// Token is an access token's metadata; the secret itself is shown once, at
// creation, and only its SHA-256 is stored.
type Token struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	BaseIDs    []string   `json:"base_ids,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

func tokenFromRow(r db.ApiToken) Token {
	return Token{ID: r.ID, Name: r.Name, Role: r.Role, BaseIDs: r.BaseIds, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt}
}

// HashToken is the stored form of a token secret.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CreateToken makes a token (owner only). It returns the metadata and the
// secret, "rf_" + 43 url-safe characters, which is never stored or shown again.
func (e *Engine) CreateToken(ctx context.Context, name, role string, baseIDs []string) (Token, string, error) {
	p := PrincipalFrom(ctx)
	if err := checkRole(p, RoleOwner); err != nil {
		return Token{}, "", err
	}
	name = strings.TrimSpace(name)
	if err := checkName("name", name); err != nil {
		return Token{}, "", err
	}
	switch role {
	case RoleOwner, RoleEditor, RoleViewer:
	default:
		return Token{}, "", Invalid("role", "must be owner, editor or viewer")
	}
	if baseIDs != nil {
		if len(baseIDs) == 0 {
			// Stored as is, an empty list would read back as "every base".
			return Token{}, "", Invalid("base_ids", "name at least one base, or omit base_ids for a token that reaches every base")
		}
		for i, id := range baseIDs {
			if !p.SeesBase(id) {
				return Token{}, "", Invalid(fmt.Sprintf("base_ids[%d]", i), "no base %q", id)
			}
			if _, err := e.q.GetBase(ctx, id); err != nil {
				return Token{}, "", Invalid(fmt.Sprintf("base_ids[%d]", i), "no base %q", id)
			}
		}
		baseIDs = slices.Compact(slices.Sorted(slices.Values(baseIDs)))
	} else if p.BaseIDs != nil && !p.System {
		// A scoped owner cannot mint a token wider than itself.
		baseIDs = p.BaseIDs
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return Token{}, "", err
	}
	secret := "rf_" + base64.RawURLEncoding.EncodeToString(raw[:])
	row, err := e.q.CreateToken(ctx, db.CreateTokenParams{ID: NewID(PrefixToken), Name: name, Role: role, BaseIds: baseIDs, TokenHash: HashToken(secret)})
	if err != nil {
		return Token{}, "", err
	}
	return tokenFromRow(row), secret, nil
}

// ListTokens lists tokens (owner only; never their secrets).
func (e *Engine) ListTokens(ctx context.Context) ([]Token, error) {
	if err := checkRole(PrincipalFrom(ctx), RoleOwner); err != nil {
		return nil, err
	}
	rows, err := e.q.ListTokens(ctx)
	if err != nil {
		return nil, err
	}
	p := PrincipalFrom(ctx)
	out := []Token{}
	for _, r := range rows {
		if p.System || p.BaseIDs == nil || (r.BaseIds != nil && subset(r.BaseIds, p.BaseIDs)) {
			out = append(out, tokenFromRow(r))
		}
	}
	return out, nil
}

// DeleteToken revokes a token (owner only).
func (e *Engine) DeleteToken(ctx context.Context, id string) error {
	if err := checkRole(PrincipalFrom(ctx), RoleOwner); err != nil {
		return err
	}
	toks, err := e.ListTokens(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(toks, func(t Token) bool { return t.ID == id }) {
		return NotFound("token", id)
	}
	_, err = e.q.DeleteToken(ctx, id)
	return err
}

// adminTokenID is the TokenID of the admin token's principal.
const adminTokenID = "admin"

// Authenticate resolves a bearer secret to its principal. adminToken, when
// non-empty, is accepted with full rights (compared in constant time).
func (e *Engine) Authenticate(ctx context.Context, secret, adminToken string) (Principal, error) {
	if secret == "" {
		return Principal{}, Errorf(CodeUnauthorized, "missing token")
	}
	if adminToken != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(adminToken)) == 1 {
		return Principal{System: true, Role: RoleOwner, TokenID: adminTokenID}, nil
	}
	row, err := e.q.GetTokenByHash(ctx, HashToken(secret))
	if errors.Is(err, pgx.ErrNoRows) {
		return Principal{}, Errorf(CodeUnauthorized, "invalid token")
	}
	if err != nil {
		return Principal{}, fmt.Errorf("looking up token: %w", err)
	}
	_ = e.q.TouchToken(ctx, row.ID)
	return Principal{TokenID: row.ID, Role: row.Role, BaseIDs: row.BaseIds}, nil
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
