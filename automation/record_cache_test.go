package automation

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/dbtest"
	"github.com/rowflow/rowflow/record"
)

// TestCachedTableNeverValidatesAgainstStaleSchema: two engines on one
// database stand for two processes. Engine a caches a table; engine b adds
// fields. a's next creates must use the new definition: a cell of the new
// field is accepted (the stale definition rejected it, so a reloads), and
// a create the stale definition would accept is written only after the
// statement's version check made a reload — its event carries the new
// schema version.
func TestCachedTableNeverValidatesAgainstStaleSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.New(t)
	a, b := newTestRuntime(t, pool, Opts{}), newTestRuntime(t, pool, Opts{})
	base, err := a.records.CreateBase(ctx, "Cache")
	require.NoError(t, err)
	tbl, err := a.records.CreateTable(ctx, base.ID, "Things", []record.FieldInput{{Name: "Name", Type: "text"}})
	require.NoError(t, err)
	_, err = a.records.CreateRecords(record.WithMemo(ctx), tbl.ID, []map[string]any{{"Name": "first"}})
	require.NoError(t, err)
	cached, ok := a.records.CachedTable(tbl.ID)
	require.True(t, ok, "a create caches the table")
	v1 := cached.SchemaVersion

	// b adds a field: a's cached definition does not know it.
	_, err = b.records.CreateField(ctx, tbl.ID, record.FieldInput{Name: "Amount", Type: "number"})
	require.NoError(t, err)
	// Each create is a request of its own, with a memo, as the API makes.
	recs, err := a.records.CreateRecords(record.WithMemo(ctx), tbl.ID, []map[string]any{{"Name": "second", "Amount": 5}})
	require.NoError(t, err)
	amount := fieldID(t, a, tbl.ID, "Amount")
	require.Equal(t, 5.0, recs[0].Cells[amount])

	// b adds another field; a's next create is valid for its cached
	// definition, so only the insert's version check can catch it.
	_, err = b.records.CreateField(ctx, tbl.ID, record.FieldInput{Name: "Note", Type: "text"})
	require.NoError(t, err)
	var current int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT schema_version FROM tables WHERE id = $1`, tbl.ID).Scan(&current))
	require.Greater(t, current, v1)
	recs, err = a.records.CreateRecords(record.WithMemo(ctx), tbl.ID, []map[string]any{{"Name": "third"}})
	require.NoError(t, err)
	var raw []byte
	require.NoError(t, pool.QueryRow(ctx, `SELECT args FROM river_job WHERE kind = 'record_event' AND args->'changes'->0->>'record_id' = $1`, recs[0].ID).Scan(&raw))
	var ev RecordEventArgs
	require.NoError(t, json.Unmarshal(raw, &ev))
	require.Equal(t, current, ev.Changes[0].SchemaVersion, "written against the current definition")
	now, _ := a.records.CachedTable(tbl.ID)
	require.Equal(t, current, now.SchemaVersion, "a's cache was refreshed")

	// A deleted table: the cached definition must not let a write through.
	_, err = pool.Exec(ctx, `DELETE FROM tables WHERE id = $1`, tbl.ID)
	require.NoError(t, err)
	_, err = a.records.CreateRecords(record.WithMemo(ctx), tbl.ID, []map[string]any{{"Name": "orphan"}})
	require.Equal(t, rowflow.CodeNotFound, rowflow.ErrorCode(err), "%v", err)
}

func fieldID(t *testing.T, rt *Runtime, tableID, name string) string {
	t.Helper()
	tbl, err := rt.records.GetTable(context.Background(), tableID)
	require.NoError(t, err)
	f, ok := tbl.Field(name)
	require.True(t, ok)
	return f.ID
}

// TestOwnFieldChangeRefreshesTheCache: in one process, a field added
// after the table was cached is accepted by the next create.
func TestOwnFieldChangeRefreshesTheCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newTestRuntime(t, dbtest.New(t), Opts{})
	base, err := e.records.CreateBase(ctx, "Own")
	require.NoError(t, err)
	tbl, err := e.records.CreateTable(ctx, base.ID, "Things", []record.FieldInput{{Name: "Name", Type: "text"}})
	require.NoError(t, err)
	_, err = e.records.CreateRecords(record.WithMemo(ctx), tbl.ID, []map[string]any{{"Name": "first"}})
	require.NoError(t, err)
	_, err = e.records.CreateField(record.WithMemo(ctx), tbl.ID, record.FieldInput{Name: "Amount", Type: "number"})
	require.NoError(t, err)
	recs, err := e.records.CreateRecords(record.WithMemo(ctx), tbl.ID, []map[string]any{{"Name": "second", "Amount": 7}})
	require.NoError(t, err)
	require.Equal(t, 7.0, recs[0].Cells[fieldID(t, e, tbl.ID, "Amount")])
}
