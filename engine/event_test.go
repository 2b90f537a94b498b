package engine

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/dbtest"
)

// eventEnv is an Engine on a fresh database with an insert-only River
// client, a base with Targets (Label) and Items (Name, Amount, Target →
// Targets), and helpers to read the record_event jobs.
type eventEnv struct {
	e       *Engine
	pool    *pgxpool.Pool
	baseID  string
	items   *Table
	targets *Table
}

func setupEvents(t *testing.T) *eventEnv {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.New(t)
	e := New(Opts{Pool: pool})
	base, err := e.CreateBase(ctx, "Events")
	require.NoError(t, err)
	targets, err := e.CreateTable(ctx, base.ID, "Targets", []FieldInput{{Name: "Label", Type: "text"}})
	require.NoError(t, err)
	items, err := e.CreateTable(ctx, base.ID, "Items", []FieldInput{
		{Name: "Name", Type: "text"},
		{Name: "Amount", Type: "number"},
		{Name: "Target", Type: "link_to_record", Options: json.RawMessage(`{"table_id":"` + targets.ID + `"}`)},
	})
	require.NoError(t, err)
	targets, err = e.GetTable(ctx, targets.ID) // now with its inverse field
	require.NoError(t, err)
	return &eventEnv{e: e, pool: pool, baseID: base.ID, items: items, targets: targets}
}

// fid returns the id of field name of t.
func fid(t *testing.T, tbl *Table, name string) string {
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
	e := env.e
	ctx := WithPrincipal(context.Background(), Principal{TokenID: "tok_editor", Role: RoleEditor})
	name, amount := fid(t, env.items, "Name"), fid(t, env.items, "Amount")
	tokenCause := Cause{Kind: "token", ID: "tok_editor"}
	require.Zero(t, env.countJobs(t))

	// Single create.
	n := env.countJobs(t)
	recs, err := e.CreateRecords(ctx, env.items.ID, []map[string]any{{"Name": "a", "Amount": 1}})
	require.NoError(t, err)
	id := recs[0].ID
	ev := env.newJob(t, n)
	require.Equal(t, env.baseID, ev.BaseID)
	require.Equal(t, tokenCause, ev.Cause)
	require.Equal(t, []RecordChange{{
		TableID: env.items.ID, RecordID: id, Kind: ChangeCreated,
		After: map[string]any{name: "a", amount: 1.0}, Version: 1,
	}}, ev.Changes)

	// Update: before and after cells.
	n = env.countJobs(t)
	_, err = e.UpdateRecords(ctx, env.items.ID, []RecordUpdate{{ID: id, Fields: map[string]any{"Amount": 2}}})
	require.NoError(t, err)
	ev = env.newJob(t, n)
	require.Equal(t, tokenCause, ev.Cause)
	require.Equal(t, []RecordChange{{
		TableID: env.items.ID, RecordID: id, Kind: ChangeUpdated,
		Before: map[string]any{name: "a", amount: 1.0}, After: map[string]any{name: "a", amount: 2.0}, Version: 2,
	}}, ev.Changes)

	// An update that changes nothing leaves no job (and no new version).
	n = env.countJobs(t)
	out, err := e.UpdateRecords(ctx, env.items.ID, []RecordUpdate{{ID: id, Fields: map[string]any{"Amount": 2, "Name": "a"}}})
	require.NoError(t, err)
	require.Equal(t, int64(2), out[0].Version)
	_, err = e.UpdateRecords(ctx, env.items.ID, []RecordUpdate{{ID: id, Fields: map[string]any{}}})
	require.NoError(t, err)
	require.Equal(t, n, env.countJobs(t), "a write that changes nothing enqueued an event")

	// Batch create of 3: one event, three changes in order.
	n = env.countJobs(t)
	batch, err := e.CreateRecords(ctx, env.items.ID, []map[string]any{{"Name": "b1"}, {"Name": "b2"}, {"Name": "b3"}})
	require.NoError(t, err)
	ev = env.newJob(t, n)
	require.Len(t, ev.Changes, 3)
	for i, ch := range ev.Changes {
		require.Equal(t, batch[i].ID, ch.RecordID)
		require.Equal(t, ChangeCreated, ch.Kind)
		require.Equal(t, batch[i].Cells, ch.After)
		require.Nil(t, ch.Before)
	}

	// Delete: the cells before, none after.
	n = env.countJobs(t)
	require.NoError(t, e.DeleteRecords(ctx, env.items.ID, []string{id}))
	ev = env.newJob(t, n)
	require.Equal(t, []RecordChange{{
		TableID: env.items.ID, RecordID: id, Kind: ChangeDeleted,
		Before: map[string]any{name: "a", amount: 2.0}, Version: 2,
	}}, ev.Changes)

	// Batch delete: one event.
	n = env.countJobs(t)
	require.NoError(t, e.DeleteRecords(ctx, env.items.ID, []string{batch[0].ID, batch[1].ID}))
	require.Len(t, env.newJob(t, n).Changes, 2)

	// Form submit: one event caused by the form.
	form, err := e.CreateForm(ctx, env.items.ID, "Intake", []FormFieldInput{{Field: "Name", Required: true}}, true)
	require.NoError(t, err)
	n = env.countJobs(t)
	anon := WithPrincipal(context.Background(), Principal{BaseIDs: []string{}, Role: RoleViewer})
	_, rec, err := e.SubmitForm(anon, form.ID, map[string]any{"Name": "from form"}, true)
	require.NoError(t, err)
	ev = env.newJob(t, n)
	require.Equal(t, Cause{Kind: "form", ID: form.ID}, ev.Cause)
	require.Equal(t, []RecordChange{{TableID: env.items.ID, RecordID: rec.ID, Kind: ChangeCreated, After: map[string]any{name: "from form"}, Version: 1}}, ev.Changes)
	// A refused submission leaves none.
	n = env.countJobs(t)
	_, _, err = e.SubmitForm(anon, form.ID, map[string]any{}, true)
	require.Equal(t, CodeInvalid, ErrorCode(err))
	require.Equal(t, n, env.countJobs(t))
}

// TestLinkWriteIsOneEvent: a write that also changes linked records (the
// inverse link cells) is still one event, with a change per record.
func TestLinkWriteIsOneEvent(t *testing.T) {
	t.Parallel()
	env := setupEvents(t)
	e := env.e
	ctx := context.Background()
	target, err := e.CreateRecords(ctx, env.targets.ID, []map[string]any{{"Label": "T"}})
	require.NoError(t, err)
	tid := target[0].ID
	inverse := fid(t, env.targets, "Items")

	n := env.countJobs(t)
	recs, err := e.CreateRecords(ctx, env.items.ID, []map[string]any{{"Target": []any{tid}}})
	require.NoError(t, err)
	ev := env.newJob(t, n)
	require.Equal(t, Cause{Kind: "system"}, ev.Cause, "a bare context is the system")
	require.Len(t, ev.Changes, 2)
	require.Equal(t, ChangeCreated, ev.Changes[0].Kind)
	require.Equal(t, recs[0].ID, ev.Changes[0].RecordID)
	require.Equal(t, RecordChange{
		TableID: env.targets.ID, RecordID: tid, Kind: ChangeUpdated,
		Before: map[string]any{fid(t, env.targets, "Label"): "T"},
		After:  map[string]any{fid(t, env.targets, "Label"): "T", inverse: []any{recs[0].ID}}, Version: 2,
	}, ev.Changes[1])

	// Deleting the target unlinks it from the item: one event, two changes.
	n = env.countJobs(t)
	require.NoError(t, e.DeleteRecords(ctx, env.targets.ID, []string{tid}))
	ev = env.newJob(t, n)
	require.Len(t, ev.Changes, 2)
	kinds := map[string]string{}
	for _, ch := range ev.Changes {
		kinds[ch.RecordID] = ch.Kind
	}
	require.Equal(t, map[string]string{tid: ChangeDeleted, recs[0].ID: ChangeUpdated}, kinds)
}

// TestEventCause: writes with the admin token are caused by "admin".
func TestEventCause(t *testing.T) {
	t.Parallel()
	env := setupEvents(t)
	p, err := env.e.Authenticate(context.Background(), "the-admin-secret", "the-admin-secret")
	require.NoError(t, err)
	n := env.countJobs(t)
	_, err = env.e.CreateRecords(WithPrincipal(context.Background(), p), env.items.ID, []map[string]any{{"Name": "x"}})
	require.NoError(t, err)
	require.Equal(t, Cause{Kind: "admin"}, env.newJob(t, n).Cause)

	n = env.countJobs(t)
	ctx := WithCause(context.Background(), Cause{Kind: "automation", ID: "aut_x", RunID: "run_x", Depth: 3})
	_, err = env.e.CreateRecords(ctx, env.items.ID, []map[string]any{{"Name": "y"}})
	require.NoError(t, err)
	require.Equal(t, Cause{Kind: "automation", ID: "aut_x", RunID: "run_x", Depth: 3}, env.newJob(t, n).Cause)
}

// TestFailedWriteLeavesNoEvent: a write refused inside its transaction (a
// batch with a link to a missing record, an update of a missing record)
// leaves neither records nor a job.
func TestFailedWriteLeavesNoEvent(t *testing.T) {
	t.Parallel()
	env := setupEvents(t)
	e := env.e
	ctx := context.Background()
	recs, err := e.CreateRecords(ctx, env.items.ID, []map[string]any{{"Name": "keep", "Amount": 1}})
	require.NoError(t, err)
	n, records := env.countJobs(t), env.countRecords(t)

	_, err = e.CreateRecords(ctx, env.items.ID, []map[string]any{{"Name": "ok"}, {"Target": []any{"rec_missing"}}, {"Name": "ok"}})
	require.Equal(t, CodeInvalid, ErrorCode(err))
	_, err = e.UpdateRecords(ctx, env.items.ID, []RecordUpdate{{ID: recs[0].ID, Fields: map[string]any{"Amount": 5}}, {ID: "rec_missing", Fields: map[string]any{"Amount": 5}}})
	require.Equal(t, CodeNotFound, ErrorCode(err))
	err = e.DeleteRecords(ctx, env.items.ID, []string{recs[0].ID, "rec_missing"})
	require.Equal(t, CodeNotFound, ErrorCode(err))

	require.Equal(t, n, env.countJobs(t))
	require.Equal(t, records, env.countRecords(t))
	_, got, err := e.GetRecord(ctx, env.items.ID, recs[0].ID)
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
	e := env.e
	ctx := context.Background()
	existing, err := e.CreateRecords(ctx, env.items.ID, []map[string]any{{"Name": "keep", "Amount": 1}})
	require.NoError(t, err)
	id := existing[0].ID
	errRollback := errors.New("fail after the write")
	jobsInTx := func(tx pgx.Tx) int {
		var n int
		require.NoError(t, tx.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'record_event'`).Scan(&n))
		return n
	}
	cells := func(in map[string]any) map[string]any {
		out, err := normalizeCells(env.items, in, "fields")
		require.NoError(t, err)
		return out
	}
	jobs, records := env.countJobs(t), env.countRecords(t)

	for _, tc := range []struct {
		name  string
		write func(tx pgx.Tx, q *db.Queries) error
	}{
		{"create", func(tx pgx.Tx, q *db.Queries) error {
			out, err := e.createInTx(ctx, tx, q, env.items, []map[string]any{cells(map[string]any{"Name": "ghost"})}, []string{"fields"})
			require.NoError(t, err)
			var n int
			require.NoError(t, tx.QueryRow(ctx, `SELECT count(*) FROM records WHERE id = $1`, out[0].ID).Scan(&n))
			require.Equal(t, 1, n, "the record exists inside the transaction")
			return err
		}},
		{"batch create", func(tx pgx.Tx, q *db.Queries) error {
			_, err := e.createInTx(ctx, tx, q, env.items, []map[string]any{cells(map[string]any{"Name": "g1"}), cells(map[string]any{"Name": "g2"}), cells(map[string]any{"Name": "g3"})},
				[]string{"records[0].fields", "records[1].fields", "records[2].fields"})
			return err
		}},
		{"update", func(tx pgx.Tx, q *db.Queries) error {
			_, err := e.updateInTx(ctx, tx, q, env.items, []RecordUpdate{{ID: id, Fields: cells(map[string]any{"Amount": 99})}}, []string{"fields"})
			return err
		}},
		{"delete", func(tx pgx.Tx, q *db.Queries) error {
			return e.deleteInTx(ctx, tx, q, env.items, []string{id})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := e.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
				before := jobsInTx(tx)
				require.NoError(t, tc.write(tx, q))
				require.Equal(t, before+1, jobsInTx(tx), "the write enqueued its event in its own transaction")
				return errRollback
			})
			require.ErrorIs(t, err, errRollback)
			require.Equal(t, jobs, env.countJobs(t), "a rolled-back write left a job")
			require.Equal(t, records, env.countRecords(t), "a rolled-back write left a record")
			_, got, err := e.GetRecord(ctx, env.items.ID, id)
			require.NoError(t, err)
			require.Equal(t, existing[0].Cells, got.Cells)
			require.Equal(t, int64(1), got.Version)
		})
	}

	// The same helpers, committed, leave exactly one job.
	require.NoError(t, e.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		_, err := e.createInTx(ctx, tx, q, env.items, []map[string]any{cells(map[string]any{"Name": "real"})}, []string{"fields"})
		return err
	}))
	require.Equal(t, jobs+1, env.countJobs(t))
	require.Equal(t, records+1, env.countRecords(t))
}
