package automation

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/auth"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/dbtest"
	"github.com/rowflow/rowflow/record"
)

// eventEnv is an Engine on a fresh database with an insert-only River
// client, a base with Targets (Label) and Items (Name, Amount, Target →
// Targets), and helpers to read the record_event jobs.
type eventEnv struct {
	rt      *Runtime
	pool    *pgxpool.Pool
	baseID  string
	items   *record.Table
	targets *record.Table
}

func setupEvents(t *testing.T) *eventEnv {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.New(t)
	rt := newTestRuntime(t, pool, Opts{})
	base, err := rt.records.CreateBase(ctx, "Events")
	require.NoError(t, err)
	targets, err := rt.records.CreateTable(ctx, base.ID, "Targets", []record.FieldInput{{Name: "Label", Type: "text"}})
	require.NoError(t, err)
	items, err := rt.records.CreateTable(ctx, base.ID, "Items", []record.FieldInput{
		{Name: "Name", Type: "text"},
		{Name: "Amount", Type: "number"},
		{Name: "Target", Type: "link_to_record", Options: json.RawMessage(`{"table_id":"` + targets.ID + `"}`)},
	})
	require.NoError(t, err)
	targets, err = rt.records.GetTable(ctx, targets.ID) // now with its inverse field
	require.NoError(t, err)
	return &eventEnv{rt: rt, pool: pool, baseID: base.ID, items: items, targets: targets}
}

// fid returns the id of field name of t.
func fid(t *testing.T, tbl *record.Table, name string) string {
	t.Helper()
	f, ok := tbl.Field(name)
	require.True(t, ok, "no field %s", name)
	return f.ID
}

// countJobs counts the record_event jobs.
func (env *eventEnv) countJobs(t *testing.T) int {
	t.Helper()
	var n int
	require.NoError(t, env.pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'record_event'`).Scan(&n))
	return n
}

// countRecords counts the records of every table.
func (env *eventEnv) countRecords(t *testing.T) int {
	t.Helper()
	var n int
	require.NoError(t, env.pool.QueryRow(context.Background(), `SELECT count(*) FROM records`).Scan(&n))
	return n
}

// newJob requires that exactly one record_event job was added since the
// count before, and returns its args.
func (env *eventEnv) newJob(t *testing.T, before int) RecordEventArgs {
	t.Helper()
	require.Equal(t, before+1, env.countJobs(t), "want exactly one new record_event job")
	var raw []byte
	require.NoError(t, env.pool.QueryRow(context.Background(),
		`SELECT args FROM river_job WHERE kind = 'record_event' ORDER BY id DESC LIMIT 1`).Scan(&raw))
	var args RecordEventArgs
	require.NoError(t, json.Unmarshal(raw, &args))
	// A change of the written table carries the schema version its cells
	// were validated against: the table's current one here (no field
	// changed meanwhile). Inverse-link changes carry none.
	for i, ch := range args.Changes {
		var current int64
		require.NoError(t, env.pool.QueryRow(context.Background(), `SELECT schema_version FROM tables WHERE id = $1`, ch.TableID).Scan(&current))
		if ch.SchemaVersion != 0 {
			require.Equal(t, current, ch.SchemaVersion, "change %d", i)
		}
		args.Changes[i].SchemaVersion = 0
	}
	return args
}

// TestCommittedWriteLeavesOneEvent: every committed write enqueues exactly
// one record_event job, in its transaction, carrying the changes.
func TestCommittedWriteLeavesOneEvent(t *testing.T) {
	t.Parallel()
	env := setupEvents(t)
	rt := env.rt
	ctx := rowflow.WithPrincipal(context.Background(), rowflow.Principal{TokenID: "tok_editor", Role: rowflow.RoleEditor})
	name, amount := fid(t, env.items, "Name"), fid(t, env.items, "Amount")
	tokenCause := rowflow.Cause{Kind: "token", ID: "tok_editor"}
	require.Zero(t, env.countJobs(t))

	// Single create.
	n := env.countJobs(t)
	recs, err := rt.records.CreateRecords(ctx, env.items.ID, []map[string]any{{"Name": "a", "Amount": 1}})
	require.NoError(t, err)
	id := recs[0].ID
	ev := env.newJob(t, n)
	require.Equal(t, env.baseID, ev.BaseID)
	require.Equal(t, tokenCause, ev.Cause)
	require.Equal(t, []record.Change{{
		TableID: env.items.ID, RecordID: id, Kind: record.ChangeCreated,
		After: map[string]any{name: "a", amount: 1.0}, Version: 1,
	}}, ev.Changes)

	// Update: before and after cells.
	n = env.countJobs(t)
	_, err = rt.records.UpdateRecords(ctx, env.items.ID, []record.Update{{ID: id, Fields: map[string]any{"Amount": 2}}})
	require.NoError(t, err)
	ev = env.newJob(t, n)
	require.Equal(t, tokenCause, ev.Cause)
	require.Equal(t, []record.Change{{
		TableID: env.items.ID, RecordID: id, Kind: record.ChangeUpdated,
		Before: map[string]any{name: "a", amount: 1.0}, After: map[string]any{name: "a", amount: 2.0}, Version: 2,
	}}, ev.Changes)

	// An update that changes nothing leaves no job (and no new version).
	n = env.countJobs(t)
	out, err := rt.records.UpdateRecords(ctx, env.items.ID, []record.Update{{ID: id, Fields: map[string]any{"Amount": 2, "Name": "a"}}})
	require.NoError(t, err)
	require.Equal(t, int64(2), out[0].Version)
	_, err = rt.records.UpdateRecords(ctx, env.items.ID, []record.Update{{ID: id, Fields: map[string]any{}}})
	require.NoError(t, err)
	require.Equal(t, n, env.countJobs(t), "a write that changes nothing enqueued an event")

	// Batch create of 3: one event, three changes in order.
	n = env.countJobs(t)
	batch, err := rt.records.CreateRecords(ctx, env.items.ID, []map[string]any{{"Name": "b1"}, {"Name": "b2"}, {"Name": "b3"}})
	require.NoError(t, err)
	ev = env.newJob(t, n)
	require.Len(t, ev.Changes, 3)
	for i, ch := range ev.Changes {
		require.Equal(t, batch[i].ID, ch.RecordID)
		require.Equal(t, record.ChangeCreated, ch.Kind)
		require.Equal(t, batch[i].Cells, ch.After)
		require.Nil(t, ch.Before)
	}

	// Delete: the cells before, none after.
	n = env.countJobs(t)
	require.NoError(t, rt.records.DeleteRecords(ctx, env.items.ID, []string{id}))
	ev = env.newJob(t, n)
	require.Equal(t, []record.Change{{
		TableID: env.items.ID, RecordID: id, Kind: record.ChangeDeleted,
		Before: map[string]any{name: "a", amount: 2.0}, Version: 2,
	}}, ev.Changes)

	// Batch delete: one event.
	n = env.countJobs(t)
	require.NoError(t, rt.records.DeleteRecords(ctx, env.items.ID, []string{batch[0].ID, batch[1].ID}))
	require.Len(t, env.newJob(t, n).Changes, 2)

	// Form submit: one event caused by the form.
	form, err := rt.records.CreateForm(ctx, env.items.ID, "Intake", []record.FormFieldInput{{Field: "Name", Required: true}}, true)
	require.NoError(t, err)
	n = env.countJobs(t)
	anon := rowflow.WithPrincipal(context.Background(), rowflow.Principal{BaseIDs: []string{}, Role: rowflow.RoleViewer})
	_, rec, err := rt.records.SubmitForm(anon, form.ID, map[string]any{"Name": "from form"}, true)
	require.NoError(t, err)
	ev = env.newJob(t, n)
	require.Equal(t, rowflow.Cause{Kind: "form", ID: form.ID}, ev.Cause)
	require.Equal(t, []record.Change{{TableID: env.items.ID, RecordID: rec.ID, Kind: record.ChangeCreated, After: map[string]any{name: "from form"}, Version: 1}}, ev.Changes)
	// A refused submission leaves none.
	n = env.countJobs(t)
	_, _, err = rt.records.SubmitForm(anon, form.ID, map[string]any{}, true)
	require.Equal(t, rowflow.CodeInvalid, rowflow.ErrorCode(err))
	require.Equal(t, n, env.countJobs(t))
}

// TestLinkWriteIsOneEvent: a write that also changes linked records (the
// inverse link cells) is still one event, with a change per record.
func TestLinkWriteIsOneEvent(t *testing.T) {
	t.Parallel()
	env := setupEvents(t)
	rt := env.rt
	ctx := context.Background()
	target, err := rt.records.CreateRecords(ctx, env.targets.ID, []map[string]any{{"Label": "T"}})
	require.NoError(t, err)
	tid := target[0].ID
	inverse := fid(t, env.targets, "Items")

	n := env.countJobs(t)
	recs, err := rt.records.CreateRecords(ctx, env.items.ID, []map[string]any{{"Target": []any{tid}}})
	require.NoError(t, err)
	ev := env.newJob(t, n)
	require.Equal(t, rowflow.Cause{Kind: "system"}, ev.Cause, "a bare context is the system")
	require.Len(t, ev.Changes, 2)
	require.Equal(t, record.ChangeCreated, ev.Changes[0].Kind)
	require.Equal(t, recs[0].ID, ev.Changes[0].RecordID)
	require.Equal(t, record.Change{
		TableID: env.targets.ID, RecordID: tid, Kind: record.ChangeUpdated,
		Before: map[string]any{fid(t, env.targets, "Label"): "T"},
		After:  map[string]any{fid(t, env.targets, "Label"): "T", inverse: []any{recs[0].ID}}, Version: 2,
	}, ev.Changes[1])

	// Deleting the target unlinks it from the item: one event, two changes.
	n = env.countJobs(t)
	require.NoError(t, rt.records.DeleteRecords(ctx, env.targets.ID, []string{tid}))
	ev = env.newJob(t, n)
	require.Len(t, ev.Changes, 2)
	kinds := map[string]string{}
	for _, ch := range ev.Changes {
		kinds[ch.RecordID] = ch.Kind
	}
	require.Equal(t, map[string]string{tid: record.ChangeDeleted, recs[0].ID: record.ChangeUpdated}, kinds)
}

// TestEventCause: writes with the admin token are caused by "admin".
func TestEventCause(t *testing.T) {
	t.Parallel()
	env := setupEvents(t)
	p, err := auth.New(env.pool).Authenticate(context.Background(), "the-admin-secret", "the-admin-secret")
	require.NoError(t, err)
	n := env.countJobs(t)
	_, err = env.rt.records.CreateRecords(rowflow.WithPrincipal(context.Background(), p), env.items.ID, []map[string]any{{"Name": "x"}})
	require.NoError(t, err)
	require.Equal(t, rowflow.Cause{Kind: "admin"}, env.newJob(t, n).Cause)

	n = env.countJobs(t)
	ctx := rowflow.WithCause(context.Background(), rowflow.Cause{Kind: "automation", ID: "aut_x", RunID: "run_x", Depth: 3})
	_, err = env.rt.records.CreateRecords(ctx, env.items.ID, []map[string]any{{"Name": "y"}})
	require.NoError(t, err)
	require.Equal(t, rowflow.Cause{Kind: "automation", ID: "aut_x", RunID: "run_x", Depth: 3}, env.newJob(t, n).Cause)
}

// TestFailedWriteLeavesNoEvent: a write refused inside its transaction (a
// batch with a link to a missing record, an update of a missing record)
// leaves neither records nor a job.
func TestFailedWriteLeavesNoEvent(t *testing.T) {
	t.Parallel()
	env := setupEvents(t)
	rt := env.rt
	ctx := context.Background()
	recs, err := rt.records.CreateRecords(ctx, env.items.ID, []map[string]any{{"Name": "keep", "Amount": 1}})
	require.NoError(t, err)
	n, records := env.countJobs(t), env.countRecords(t)

	_, err = rt.records.CreateRecords(ctx, env.items.ID, []map[string]any{{"Name": "ok"}, {"Target": []any{"rec_missing"}}, {"Name": "ok"}})
	require.Equal(t, rowflow.CodeInvalid, rowflow.ErrorCode(err))
	_, err = rt.records.UpdateRecords(ctx, env.items.ID, []record.Update{{ID: recs[0].ID, Fields: map[string]any{"Amount": 5}}, {ID: "rec_missing", Fields: map[string]any{"Amount": 5}}})
	require.Equal(t, rowflow.CodeNotFound, rowflow.ErrorCode(err))
	err = rt.records.DeleteRecords(ctx, env.items.ID, []string{recs[0].ID, "rec_missing"})
	require.Equal(t, rowflow.CodeNotFound, rowflow.ErrorCode(err))

	require.Equal(t, n, env.countJobs(t))
	require.Equal(t, records, env.countRecords(t))
	_, got, err := rt.records.GetRecord(ctx, env.items.ID, recs[0].ID)
	require.NoError(t, err)
	require.Equal(t, 1.0, got.Cells[fid(t, env.items, "Amount")])
	require.Equal(t, int64(1), got.Version)
}

// TestRolledBackWriteLeavesNoEvent runs each write's transactional part in
// a transaction that then fails: inside it the record and its job exist;
// after the rollback neither does.
func TestRolledBackWriteLeavesNoEvent(t *testing.T) {
	t.Parallel()
	env := setupEvents(t)
	rt := env.rt
	ctx := context.Background()
	existing, err := rt.records.CreateRecords(ctx, env.items.ID, []map[string]any{{"Name": "keep", "Amount": 1}})
	require.NoError(t, err)
	id := existing[0].ID
	errRollback := errors.New("fail after the write")
	jobsInTx := func(tx pgx.Tx) int {
		var n int
		require.NoError(t, tx.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'record_event'`).Scan(&n))
		return n
	}
	jobs, records := env.countJobs(t), env.countRecords(t)

	for _, tc := range []struct {
		name  string
		write func(tx pgx.Tx, q *db.Queries) error
	}{
		{"create", func(tx pgx.Tx, q *db.Queries) error {
			out, err := rt.records.CreateRecords(record.WithTx(ctx, tx), env.items.ID, []map[string]any{{"Name": "ghost"}})
			require.NoError(t, err)
			var n int
			require.NoError(t, tx.QueryRow(ctx, `SELECT count(*) FROM records WHERE id = $1`, out[0].ID).Scan(&n))
			require.Equal(t, 1, n, "the record exists inside the transaction")
			return err
		}},
		{"batch create", func(tx pgx.Tx, q *db.Queries) error {
			_, err := rt.records.CreateRecords(record.WithTx(ctx, tx), env.items.ID, []map[string]any{{"Name": "g1"}, {"Name": "g2"}, {"Name": "g3"}})
			return err
		}},
		{"update", func(tx pgx.Tx, q *db.Queries) error {
			_, err := rt.records.UpdateRecords(record.WithTx(ctx, tx), env.items.ID, []record.Update{{ID: id, Fields: map[string]any{"Amount": 99}}})
			return err
		}},
		{"delete", func(tx pgx.Tx, q *db.Queries) error {
			return rt.records.DeleteRecords(record.WithTx(ctx, tx), env.items.ID, []string{id})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := rt.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
				before := jobsInTx(tx)
				require.NoError(t, tc.write(tx, q))
				require.Equal(t, before+1, jobsInTx(tx), "the write enqueued its event in its own transaction")
				return errRollback
			})
			require.ErrorIs(t, err, errRollback)
			require.Equal(t, jobs, env.countJobs(t), "a rolled-back write left a job")
			require.Equal(t, records, env.countRecords(t), "a rolled-back write left a record")
			_, got, err := rt.records.GetRecord(ctx, env.items.ID, id)
			require.NoError(t, err)
			require.Equal(t, existing[0].Cells, got.Cells)
			require.Equal(t, int64(1), got.Version)
		})
	}

	// The same helpers, committed, leave exactly one job.
	require.NoError(t, rt.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		_, err := rt.records.CreateRecords(record.WithTx(ctx, tx), env.items.ID, []map[string]any{{"Name": "real"}})
		return err
	}))
	require.Equal(t, jobs+1, env.countJobs(t))
	require.Equal(t, records+1, env.countRecords(t))
}
