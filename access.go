package rowflow

import (
	"context"
	"slices"
)

// Roles of an access token, from most to least powerful.
const (
	RoleOwner  = "owner"
	RoleEditor = "editor"
	RoleViewer = "viewer"
)

// Principal is who is calling: a token (with its role and bases), the admin
// token, or the system itself (workers, forms, automations).
type Principal struct {
	TokenID string
	Role    string
	// BaseIDs limits the principal to these bases; nil means every base.
	BaseIDs []string
	// System marks internal callers (workers, the admin token): full rights.
	System bool
	// UserID is the user the token belongs to ("" for a token of no user,
	// the admin token and the system): /me and notifications need one.
	UserID string
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p; every service method checks access
// against the principal of its context.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of ctx. A context without one is the
// system (internal callers): the HTTP layer always sets one.
func PrincipalFrom(ctx context.Context) Principal {
	if p, ok := ctx.Value(principalKey{}).(Principal); ok {
		return p
	}
	return Principal{System: true, Role: RoleOwner}
}

// SeesBase reports whether p may see base id at all.
func (p Principal) SeesBase(id string) bool {
	return p.System || p.BaseIDs == nil || slices.Contains(p.BaseIDs, id)
}

// CheckBase enforces access to a base: outside the principal of ctx's
// bases the base does not exist (404, so scoped tokens cannot probe ids); a
// viewer may not write (403); owner-only operations need owner.
func CheckBase(ctx context.Context, baseID string, need string) error {
	p := PrincipalFrom(ctx)
	if !p.SeesBase(baseID) {
		return NotFound("base", baseID)
	}
	return CheckRole(p, need)
}

// CheckRole reports a forbidden error unless p has at least role need
// (the system always has).
func CheckRole(p Principal, need string) error {
	if p.System {
		return nil
	}
	switch need {
	case RoleViewer:
		return nil
	case RoleEditor:
		if p.Role == RoleOwner || p.Role == RoleEditor {
			return nil
		}
	case RoleOwner:
		if p.Role == RoleOwner {
			return nil
		}
	}
	return Errorf(CodeForbidden, "this token's role (%s) may not do this; it needs %s", p.Role, need)
}

// AdminTokenID is the TokenID of the admin token's principal.
const AdminTokenID = "admin"
