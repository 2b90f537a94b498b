package automation

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/dbtest"
	"github.com/rowflow/rowflow/record"
)

// jobRow is the part of a river_job row that must not depend on who
// inserted the job.
type jobRow struct {
	State, Kind, Queue, Args, Metadata, Tags string
	Attempt, MaxAttempts, Priority           int16
	UniqueKey                                []byte
	UniqueStatesNull, AttemptedAtNull        bool
	ScheduledAt                              time.Time
}

func readJob(t *testing.T, ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, id int64) jobRow {
	t.Helper()
	var r jobRow
	require.NoError(t, q.QueryRow(ctx, `SELECT state::text, kind, queue, args::text, metadata::text, tags::text, attempt, max_attempts,
		priority, unique_key, unique_states IS NULL, attempted_at IS NULL, scheduled_at FROM river_job WHERE id = $1`, id).
		Scan(&r.State, &r.Kind, &r.Queue, &r.Args, &r.Metadata, &r.Tags, &r.Attempt, &r.MaxAttempts, &r.Priority,
			&r.UniqueKey, &r.UniqueStatesNull, &r.AttemptedAtNull, &r.ScheduledAt))
	return r
}

// TestJobRowsMatchRiver: the jobs rowflow inserts with its own statements
// (jobs.go) are the rows River's InsertTx writes for the same args —
// available now, or scheduled — so River fetches, retries and rescues them
// as its own. It guards a River upgrade that changes its insert.
func TestJobRowsMatchRiver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.New(t)
	rt := newTestRuntime(t, pool, Opts{})
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	later := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	cases := []jobSpec{
		{args: RecordEventArgs{BaseID: "bas_1", Changes: []record.Change{{TableID: "tbl_1", RecordID: "rec_1", Kind: record.ChangeCreated, After: map[string]any{"fld_1": "x"}, Version: 1}}}, maxAttempts: eventMaxAttempts},
		{args: StepArgs{RunID: "run_1", Index: 0, BackoffType: "exponential", DelayMS: 1000}, maxAttempts: 3},
		{args: StepArgs{RunID: "run_2", Index: 1, BackoffType: "fixed", DelayMS: 50}, maxAttempts: 7, scheduledAt: later},
		// Bulk work has priority BulkPriority in BulkQueue (fairness.go), in both.
		{args: RecordEventArgs{BaseID: "bas_1", Bulk: true, Changes: []record.Change{{TableID: "tbl_1", RecordID: "rec_2", Kind: record.ChangeCreated, Version: 1}, {TableID: "tbl_1", RecordID: "rec_3", Kind: record.ChangeCreated, Version: 1}}}, maxAttempts: eventMaxAttempts},
		{args: StepArgs{RunID: "run_3", Index: 0, BackoffType: "exponential", DelayMS: 1000, Bulk: true}, maxAttempts: 3},
	}
	for _, c := range cases {
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		t.Cleanup(func() { _ = tx.Rollback(ctx) })
		res, err := client.InsertTx(ctx, tx, c.args, &river.InsertOpts{MaxAttempts: c.maxAttempts, ScheduledAt: c.scheduledAt})
		require.NoError(t, err)
		ids, err := rt.insertJobs(ctx, rt.q.WithTx(tx), []jobSpec{c})
		require.NoError(t, err)
		require.Len(t, ids, 1)
		ours := ids[0]
		require.NotEqual(t, res.Job.ID, ours)
		theirs, mine := readJob(t, ctx, tx, res.Job.ID), readJob(t, ctx, tx, ours)
		if c.scheduledAt.IsZero() {
			require.Equal(t, "available", mine.State)
		} else {
			require.Equal(t, "scheduled", mine.State)
			require.True(t, mine.ScheduledAt.Equal(later), "scheduled_at %s, want %s", mine.ScheduledAt, later)
		}
		require.WithinDuration(t, theirs.ScheduledAt, mine.ScheduledAt, time.Second)
		wantPriority := 1
		if a, ok := c.args.(RecordEventArgs); ok && a.Bulk {
			wantPriority = BulkPriority
		}
		if a, ok := c.args.(StepArgs); ok && a.Bulk {
			wantPriority = BulkPriority
		}
		require.EqualValues(t, wantPriority, mine.Priority, "%s priority", c.args.Kind())
		wantQueue := "default"
		if wantPriority == BulkPriority {
			wantQueue = BulkQueue
		}
		require.Equal(t, wantQueue, mine.Queue, "%s queue", c.args.Kind())
		theirs.ScheduledAt, mine.ScheduledAt = time.Time{}, time.Time{}
		require.Equal(t, theirs, mine, c.args.Kind())
		require.NoError(t, tx.Rollback(ctx))
	}
}
