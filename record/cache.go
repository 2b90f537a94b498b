package record

import (
	"context"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/cache"
)

// Table definitions are cached per process, by id, with the schema_version
// they were read at (migrations/00003_schema_version.sql), in one
// cache.Versioned. The cache is never trusted blindly:
//
//   - a record create validates its cells against the cached definition and
//     inserts with a statement that writes nothing unless the table is still
//     at that version (Hook.CreateWithRuns); on a miss — or when the
//     cached definition rejects the cells — it reloads and tries again;
//   - matching uses the cached definition only when its version is the one
//     the write was validated against (Change.SchemaVersion, TableAt).
//
// Every other read goes to the database (loadTable) and refreshes the cache.
//
// A request's memo (WithMemo) is the same mechanism for one request: a
// handler that writes records and then answers with the table's field
// names reads the table once.

type memoKey struct{}

// WithMemo returns ctx with a fresh per-request read memo. Use it for one
// request only: a memo never sees later schema changes.
func WithMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKey{}, cache.New(func(t *Table) int64 { return t.SchemaVersion }))
}

// memoOf returns the request's memo, or nil.
func memoOf(ctx context.Context) *cache.Versioned[*Table] {
	m, _ := ctx.Value(memoKey{}).(*cache.Versioned[*Table])
	return m
}

// cachedTable returns the cached definition of a table (true), after the
// same access checks as loadTable, or a fresh one (false) when none is
// cached. The request's memo keeps it: the request answers with the
// definition its write was validated against.
func (s *Service) cachedTable(ctx context.Context, id, need string) (*Table, bool, error) {
	if t, ok := s.tables.Get(id); ok {
		if err := checkTableAccess(ctx, t, need); err != nil {
			return nil, false, err
		}
		if memo := memoOf(ctx); memo != nil {
			memo.Put(id, t)
		}
		return t, true, nil
	}
	t, err := s.loadTable(ctx, s.q, id, need)
	return t, false, err
}

// TableAt returns a table's definition at schema version v when that is
// the cached one, and reads it otherwise; the caller needs role need on
// its base. Matching a write's changes uses it with the version the write
// was validated against (Change.SchemaVersion).
func (s *Service) TableAt(ctx context.Context, id string, v int64, need string) (*Table, error) {
	if v > 0 {
		if t, ok := s.tables.GetAt(id, v); ok {
			return t, checkTableAccess(ctx, t, need)
		}
	}
	return s.loadTable(ctx, s.q, id, need)
}

// reloadTable reads a table's definition from the database for a writer
// whose cached one turned out stale: past the request's memo (which holds
// the stale one) and the process cache, which it refreshes — or drops,
// when the table is gone.
func (s *Service) reloadTable(ctx context.Context, id string) (*Table, error) {
	forgetTables(ctx, id)
	t, err := s.loadTable(ctx, s.q, id, rowflow.RoleEditor)
	if rowflow.ErrorCode(err) == rowflow.CodeNotFound {
		s.tables.Drop(id)
	}
	return t, err
}

// forgetCachedTables drops tables whose definition this process is
// changing from its cache and the request's memo; the next read fetches
// the new definition.
func (s *Service) forgetCachedTables(ctx context.Context, ids ...string) {
	forgetTables(ctx, ids...)
	for _, id := range ids {
		s.tables.Drop(id)
	}
}

// forgetTables drops tables whose schema changed from the request's memo.
func forgetTables(ctx context.Context, ids ...string) {
	if m := memoOf(ctx); m != nil {
		for _, id := range ids {
			m.Drop(id)
		}
	}
}

// CachedTable returns the process cache's definition of table id, if any
// (diagnostics and tests: which schema version this process holds).
func (s *Service) CachedTable(id string) (*Table, bool) { return s.tables.Get(id) }
