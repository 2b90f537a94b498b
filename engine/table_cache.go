package engine

import (
	"context"
	"sync"
)

// Table definitions are cached per process, by id, with the schema_version
// they were read at (migrations/00003_schema_version.sql). The cache is
// never trusted blindly:
//
//   - a record create validates its cells against the cached definition and
//     inserts with a statement that writes nothing unless the table is still
//     at that version (CreateRecordsWithEvent); on a miss — or when the
//     cached definition rejects the cells — it reloads and tries again;
//   - matching uses the cached definition only when its version is the one
//     the write was validated against (RecordChange.SchemaVersion).
//
// Every other read goes to the database (loadTable) and refreshes the cache.

// rememberTable caches t unless a newer version is cached already.
func (e *Engine) rememberTable(t *Table) {
	storeNewer(&e.tableCache, t.ID, t, func(t *Table) int64 { return t.SchemaVersion })
}

// storeNewer stores v under key in m unless the value there has a version
// at least as new (versions only grow; concurrent readers of different
// ages may store in any order).
func storeNewer[T any](m *sync.Map, key string, v T, version func(T) int64) {
	for {
		old, loaded := m.LoadOrStore(key, v)
		if !loaded || version(old.(T)) >= version(v) || m.CompareAndSwap(key, old, v) {
			return
		}
	}
}

// cachedTable returns the cached definition of a table (true), after the
// same access checks as loadTable, or a fresh one (false) when none is
// cached. The request's memo keeps it: the request answers with the
// definition its write was validated against.
func (e *Engine) cachedTable(ctx context.Context, id, need string) (*Table, bool, error) {
	if v, ok := e.tableCache.Load(id); ok {
		t := v.(*Table)
		if err := checkTableAccess(ctx, t, need); err != nil {
			return nil, false, err
		}
		if memo, ok := ctx.Value(memoKey{}).(*requestMemo); ok {
			memo.store(t)
		}
		return t, true, nil
	}
	t, err := e.loadTable(ctx, e.q, id, need)
	return t, false, err
}

// tableAt returns a table's definition at schema version v when that is
// the cached one, and reads it otherwise.
func (e *Engine) tableAt(ctx context.Context, id string, v int64, need string) (*Table, error) {
	if v > 0 {
		if c, ok := e.tableCache.Load(id); ok && c.(*Table).SchemaVersion == v {
			t := c.(*Table)
			return t, checkTableAccess(ctx, t, need)
		}
	}
	return e.loadTable(ctx, e.q, id, need)
}

// reloadTable reads a table's definition from the database for a writer
// whose cached one turned out stale: past the request's memo (which holds
// the stale one) and the process cache, which it refreshes — or drops,
// when the table is gone.
func (e *Engine) reloadTable(ctx context.Context, id string) (*Table, error) {
	forgetTables(ctx, id)
	e.automationCache.Delete(id)
	t, err := e.loadTable(ctx, e.q, id, RoleEditor)
	if ErrorCode(err) == CodeNotFound {
		e.tableCache.Delete(id)
	}
	return t, err
}

// forgetCachedTables drops tables whose definition this process is
// changing from its cache and the request's memo; the next read fetches
// the new definition.
func (e *Engine) forgetCachedTables(ctx context.Context, ids ...string) {
	forgetTables(ctx, ids...)
	for _, id := range ids {
		e.tableCache.Delete(id)
	}
}
