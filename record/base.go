package record

import (
	"context"
	"strings"
	"time"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/pgtx"
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
func (s *Service) CreateBase(ctx context.Context, name string) (Base, error) {
	p := rowflow.PrincipalFrom(ctx)
	if err := rowflow.CheckRole(p, rowflow.RoleEditor); err != nil {
		return Base{}, err
	}
	if p.BaseIDs != nil && !p.System {
		return Base{}, rowflow.Errorf(rowflow.CodeForbidden, "a token limited to some bases cannot create bases")
	}
	name = strings.TrimSpace(name)
	if err := rowflow.CheckName("name", name); err != nil {
		return Base{}, err
	}
	row, err := s.q.CreateBase(ctx, db.CreateBaseParams{ID: rowflow.NewID(rowflow.PrefixBase), Name: name})
	if err != nil {
		return Base{}, err
	}
	return baseFromRow(row), nil
}

// GetBase returns a base the caller may see.
func (s *Service) GetBase(ctx context.Context, id string) (Base, error) {
	if err := rowflow.CheckBase(ctx, id, rowflow.RoleViewer); err != nil {
		return Base{}, err
	}
	row, err := s.q.GetBase(ctx, id)
	if err := pgtx.NotFoundIf(err, "base", id); err != nil {
		return Base{}, err
	}
	return baseFromRow(row), nil
}

// ListBases lists the bases the caller may see, by id, after the cursor.
func (s *Service) ListBases(ctx context.Context, after string, limit int) ([]Base, error) {
	p := rowflow.PrincipalFrom(ctx)
	var allowed []string
	if !p.System && p.BaseIDs != nil {
		allowed = append([]string{}, p.BaseIDs...)
	}
	rows, err := s.q.ListBases(ctx, db.ListBasesParams{After: after, Allowed: allowed, Lim: int32(limit)})
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
func (s *Service) DeleteBase(ctx context.Context, id string) error {
	if err := rowflow.CheckBase(ctx, id, rowflow.RoleOwner); err != nil {
		return err
	}
	n, err := s.q.DeleteBase(ctx, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return rowflow.NotFound("base", id)
	}
	return nil
}
