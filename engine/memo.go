package engine

import (
	"context"
	"sync"
)

// requestMemo remembers what one request already read, so a handler that
// writes records and then answers with the table's field names reads the
// table once. It lives only as long as the request's context.
type requestMemo struct {
	mu     sync.Mutex
	tables map[string]*Table
}

type memoKey struct{}

// WithMemo returns ctx with a fresh per-request read memo. Use it for one
// request only: a memo never sees later schema changes.
func WithMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKey{}, &requestMemo{tables: map[string]*Table{}})
}

func (m *requestMemo) table(id string) *Table {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tables[id]
}

func (m *requestMemo) store(t *Table) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tables[t.ID] = t
}

// forget drops a table whose schema this request changed.
func (m *requestMemo) forget(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.tables, id)
}

// forgetTables drops tables whose schema changed from the request's memo.
func forgetTables(ctx context.Context, ids ...string) {
	if m, ok := ctx.Value(memoKey{}).(*requestMemo); ok {
		for _, id := range ids {
			m.forget(id)
		}
	}
}
