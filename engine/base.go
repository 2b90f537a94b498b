package engine

import (
	"context"
	"strings"
	"time"

	"github.com/rowflow/rowflow/db"
)

// Base is a container of tables and automations.
type Base struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func baseFromRow(r db.Base) Base { return Base{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt} }

// CreateBase creates a base. Only tokens that reach every base may create
// one (a scoped token could not see it), and viewers may not.
func (e *Engine) CreateBase(ctx context.Context, name string) (Base, error) {
	p := PrincipalFrom(ctx)
	if err := checkRole(p, RoleEditor); err != nil {
		return Base{}, err
	}
	if p.BaseIDs != nil && !p.System {
		return Base{}, Errorf(CodeForbidden, "a token limited to some bases cannot create bases")
	}
	name = strings.TrimSpace(name)
	if err := checkName("name", name); err != nil {
		return Base{}, err
	}
	row, err := e.q.CreateBase(ctx, db.CreateBaseParams{ID: NewID(PrefixBase), Name: name})
	if err != nil {
		return Base{}, err
	}
	return baseFromRow(row), nil
}

// GetBase returns a base the caller may see.
func (e *Engine) GetBase(ctx context.Context, id string) (Base, error) {
	if err := checkBase(ctx, id, RoleViewer); err != nil {
		return Base{}, err
	}
	row, err := e.q.GetBase(ctx, id)
	if err := notFoundIf(err, "base", id); err != nil {
		return Base{}, err
	}
	return baseFromRow(row), nil
}

// ListBases lists the bases the caller may see, by id, after the cursor.
func (e *Engine) ListBases(ctx context.Context, after string, limit int) ([]Base, error) {
	p := PrincipalFrom(ctx)
	var allowed []string
	if !p.System && p.BaseIDs != nil {
		allowed = append([]string{}, p.BaseIDs...)
	}
	rows, err := e.q.ListBases(ctx, db.ListBasesParams{After: after, Allowed: allowed, Lim: int32(limit)})
	if err != nil {
		return nil, err
	}
	out := make([]Base, len(rows))
	for i, r := range rows {
		out[i] = baseFromRow(r)
	}
	return out, nil
}

// DeleteBase deletes a base and everything in it (owner only).
func (e *Engine) DeleteBase(ctx context.Context, id string) error {
	if err := checkBase(ctx, id, RoleOwner); err != nil {
		return err
	}
	n, err := e.q.DeleteBase(ctx, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return NotFound("base", id)
	}
	return nil
}

// checkName validates a user-given name (1–200 characters after trimming).
func checkName(location, name string) error {
	if name == "" {
		return Invalid(location, "must not be empty")
	}
	if len(name) > 200 {
		return Invalid(location, "must be at most 200 characters")
	}
	if strings.ContainsRune(name, 0) {
		// PostgreSQL text cannot hold NUL: refuse it here, not with a 500.
		return Invalid(location, "must not contain a NUL character")
	}
	return nil
}
