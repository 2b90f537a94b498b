package e2e_test

import (
	"context"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/migrations"
)

// statsOf answers an automation's stats total over [from, to).
func (f *fixture) statsOf(t *testing.T, automationID string, from, to time.Time) map[string]any {
	t.Helper()
	q := url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}
	return f.env.JSON("GET", "/api/v1/automations/"+automationID+"/stats?"+q.Encode(), nil, 200)["total"].(map[string]any)
}

// TestRunStatsThroughRetry: the stats rollup follows a run through the
// runtime — it fails in its second step (a River job) and counts as
// failed with that step's failure; retried (the statement that reopens
// it takes it out of the rollup again) it counts as running, and once it
// succeeds as one succeeded run without the retried step's failure, as the
// run tables say.
func TestRunStatsThroughRetry(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ok := newReceiver(t)
	flaky := newReceiver(t, 500, 200)
	once := map[string]any{"max_attempts": 1}
	aut := f.automation(t, map[string]any{"name": "flaky", "trigger": f.trigger("record_created", nil),
		"steps": []any{webhookStep("first", ok.URL, nil), webhookStep("flaky", flaky.URL, map[string]any{"retry": once})}})
	from := time.Now().Add(-time.Hour)
	f.create(t, map[string]any{"Name": "a"})
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "failed", run["status"])
	id := run["id"].(string)
	to := time.Now().Add(time.Hour)

	st := f.statsOf(t, aut, from, to)
	checkStatsTotal(t, "failed", st, 1, map[string]int{"failed": 1}, map[string]int{"flaky": 1})
	require.NotNil(t, st["trigger_latency_seconds"].(map[string]any)["p50"])
	require.NotNil(t, st["duration_seconds"].(map[string]any)["p50"])

	f.env.JSON("POST", "/api/v1/runs/"+id+"/retry", nil, 202)
	f.waitRunStatus(t, id, "succeeded")
	f.drain(t)
	st = f.statsOf(t, aut, from, to)
	checkStatsTotal(t, "retried", st, 1, map[string]int{"succeeded": 1}, map[string]int{})
	assert.InDelta(t, 1.0, st["success_rate"], 1e-9)
	// The rollup holds what the run tables hold.
	assert.Equal(t, 1, f.countRows(t, `SELECT sum(n)::int FROM run_rollup WHERE automation_id = $1`, aut))
	assert.Equal(t, 0, f.countRows(t, `SELECT coalesce(sum(n), 0)::int FROM run_rollup_failures WHERE automation_id = $1`, aut))
}

// checkStatsTotal compares runs, every status count and the failures by
// step of an answered RunStats.
func checkStatsTotal(t *testing.T, name string, got map[string]any, runs int, byStatus, failures map[string]int) {
	t.Helper()
	require.EqualValues(t, runs, got["runs"], "%s: runs", name)
	by := got["by_status"].(map[string]any)
	for _, s := range []string{"queued", "running", "waiting", "succeeded", "failed", "skipped", "cancelled"} {
		assert.EqualValues(t, byStatus[s], by[s], "%s: %s", name, s)
	}
	fails := map[string]int{}
	for _, x := range got["failures_by_step"].([]any) {
		m := x.(map[string]any)
		fails[m["step_id"].(string)] = int(m["failures"].(float64))
	}
	assert.Equal(t, failures, fails, "%s: failures by step", name)
}

// TestRetentionKeepsStats: the retention sweep deletes the runs past their
// retention, and the stats over their hours still answer what they were —
// counts, percentiles and failures equal to those computed from the runs
// the test inserted — while the kept runs count as before.
func TestRetentionKeepsStats(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *app.Config) {
		c.RetentionInterval = 20 * time.Millisecond
		c.RunRetention = 720 * time.Hour
		c.RunRetentionFailed = 720 * time.Hour
	})
	aut := f.automation(t, map[string]any{"name": "old", "trigger": f.trigger("record_created", nil), "steps": []any{}})
	base := time.Now().UTC().Truncate(time.Hour).Add(-1000 * time.Hour)
	var seeded []seededRun
	for i := 0; i < 40; i++ {
		r := seededRun{automation: aut, status: "succeeded", created: base.Add(time.Duration(i) * 7 * time.Minute),
			latency: time.Duration(10+i) * 10 * time.Millisecond, duration: time.Duration(1+i) * time.Second}
		switch i % 8 {
		case 3:
			r.status, r.failedStep = "failed", "call"
		case 5:
			r.status, r.latency = "cancelled", 0
		}
		seeded = append(seeded, r)
	}
	// Kept: recent, and unfinished however old.
	seeded = append(seeded,
		seededRun{automation: aut, status: "succeeded", created: time.Now().Add(-2 * time.Hour), latency: time.Second, duration: 2 * time.Second},
		seededRun{automation: aut, status: "waiting", created: base.Add(time.Minute), latency: 3 * time.Second, duration: -1},
	)
	f.insertRuns(t, f.baseID, seeded)
	require.Eventually(t, func() bool {
		return f.countRows(t, `SELECT count(*) FROM runs WHERE automation_id = $1`, aut) == 2
	}, 30*time.Second, 20*time.Millisecond, "waiting for the sweep to delete the due runs")

	from, to := base, time.Now().Add(time.Hour)
	q := url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}, "bucket": {"hour"}}
	st := f.env.JSON("GET", "/api/v1/automations/"+aut+"/stats?"+q.Encode(), nil, 200)
	checkStats(t, "total after retention", st["total"].(map[string]any), expect(seeded, func(seededRun) bool { return true }))
	hours := bucketsOf(t, st)
	for h, b := range hours {
		start, err := time.Parse(time.RFC3339, h)
		require.NoError(t, err)
		checkStats(t, "hour "+h, b, expect(seeded, func(r seededRun) bool {
			return !r.created.Before(start) && r.created.Before(start.Add(time.Hour))
		}))
	}
	require.Len(t, hours, 6, "the 5 hours of the deleted runs and the recent one's")
	bs := f.env.JSON("GET", "/api/v1/bases/"+f.baseID+"/stats?"+q.Encode(), nil, 200)["total"].(map[string]any)
	require.EqualValues(t, 42, bs["runs"])
}

// TestRollupBackfill: migration 00150 back-fills the rollup from the runs
// already stored, and builds exactly the rows the triggers built run by
// run — real runs (inline first step, then River), and seeded ones of
// every status, failed steps and test runs included.
func TestRollupBackfill(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t, 200, 500)
	aut := f.automation(t, map[string]any{"name": "m", "trigger": f.trigger("record_created", nil),
		"steps": []any{webhookStep("notify", rcv.URL, map[string]any{"retry": map[string]any{"max_attempts": 1}})}})
	for _, n := range []string{"a", "b", "c"} {
		f.create(t, map[string]any{"Name": n})
	}
	f.waitRuns(t, aut, 3)
	f.drain(t)
	t0 := time.Now().UTC().Add(-50 * time.Hour)
	var seeded []seededRun
	for i, st := range []string{"succeeded", "failed", "cancelled", "skipped", "succeeded", "failed", "waiting"} {
		r := seededRun{automation: aut, status: st, created: t0.Add(time.Duration(i) * 37 * time.Minute), latency: time.Duration(i+1) * 70 * time.Millisecond,
			duration: time.Duration(i+1) * 3 * time.Second, isTest: i == 4}
		if st == "failed" {
			r.failedStep = "notify"
		}
		if st == "waiting" {
			r.duration = -1
		}
		seeded = append(seeded, r)
	}
	f.insertRuns(t, f.baseID, seeded)

	ctx := context.Background()
	dbURL := f.env.App.Config.DatabaseURL
	require.NoError(t, f.env.App.Close(ctx))
	pool, err := pgxpool.New(ctx, dbURL)
	require.NoError(t, err)
	defer pool.Close()
	snapshot := func() []string {
		// Shard-independent: n and every histogram index's count per
		// (automation, hour, status), and the failures.
		rows, err := pool.Query(ctx, `SELECT concat_ws(' ', automation_id, min(base_id), hour, status, sum(n)) FROM run_rollup GROUP BY automation_id, hour, status
			UNION ALL SELECT concat_ws(' ', r.automation_id, r.hour, r.status, 'latency', array_lower(r.latency, 1) + u.o - 1, sum(u.v)) FROM run_rollup r, unnest(r.latency) WITH ORDINALITY u(v, o)
			WHERE coalesce(u.v, 0) <> 0 GROUP BY r.automation_id, r.hour, r.status, array_lower(r.latency, 1) + u.o - 1
			UNION ALL SELECT concat_ws(' ', r.automation_id, r.hour, r.status, 'duration', array_lower(r.duration, 1) + u.o - 1, sum(u.v)) FROM run_rollup r, unnest(r.duration) WITH ORDINALITY u(v, o)
			WHERE coalesce(u.v, 0) <> 0 GROUP BY r.automation_id, r.hour, r.status, array_lower(r.duration, 1) + u.o - 1
			UNION ALL SELECT concat_ws(' ', automation_id, base_id, hour, step_id, error_class, n) FROM run_rollup_failures ORDER BY 1`)
		require.NoError(t, err)
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		return out
	}
	byTriggers := snapshot()
	require.GreaterOrEqual(t, len(byTriggers), 22, "10 (hour, status) or failure rows (the real runs: succeeded, failed and its failed step; the seeded real ended runs: 5 and 2 failed steps), and a latency and a duration count at least for each of the 6 (hour, status)")
	log := slog.New(slog.DiscardHandler)
	var version int
	require.NoError(t, pool.QueryRow(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&version))
	for version >= 150 {
		require.NoError(t, migrations.Down(ctx, pool, false, log))
		require.NoError(t, pool.QueryRow(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&version))
	}
	require.NoError(t, migrations.Up(ctx, pool, log))
	require.Equal(t, byTriggers, snapshot())
}

// TestRollupNeverWaitsForAnotherTransaction: five transactions each end a
// run of one automation in one hour and stay open; none waits for another's
// rollup row (each runs under a lock_timeout, which a wait would exceed:
// with 4 fixed shard rows two of five must have shared one). Once all
// commit, the rollup counts the five; runs then ended one at a time add
// no row (migration 00170).
func TestRollupNeverWaitsForAnotherTransaction(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	aut := f.automation(t, map[string]any{"name": "busy", "trigger": f.trigger("record_created", nil), "steps": []any{}})
	at := time.Now().UTC().Truncate(time.Hour).Add(-2 * time.Hour)
	var seeded []seededRun
	for i := 0; i < 8; i++ {
		seeded = append(seeded, seededRun{automation: aut, status: "running", created: at.Add(time.Duration(i) * time.Minute), duration: -1})
	}
	f.insertRuns(t, f.baseID, seeded)
	end := `UPDATE runs SET status = 'succeeded', finished_at = created_at + interval '1 second' WHERE id = $1`
	var open []pgx.Tx
	for i := 0; i < 5; i++ {
		tx, err := f.env.App.Pool.Begin(ctx)
		require.NoError(t, err)
		defer tx.Rollback(ctx) //nolint:errcheck // committed below
		_, err = tx.Exec(ctx, `SET LOCAL lock_timeout = '3s'`)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, end, seedID(i, aut))
		require.NoError(t, err, "transaction %d waited for another's rollup row", i)
		open = append(open, tx)
	}
	for _, tx := range open {
		require.NoError(t, tx.Commit(ctx))
	}
	rows := f.countRows(t, `SELECT count(*) FROM run_rollup WHERE automation_id = $1`, aut)
	require.LessOrEqual(t, rows, 5, "at most one row per transaction that held one")
	for i := 5; i < 8; i++ {
		_, err := f.env.App.Pool.Exec(ctx, end, seedID(i, aut))
		require.NoError(t, err)
	}
	assert.Equal(t, rows, f.countRows(t, `SELECT count(*) FROM run_rollup WHERE automation_id = $1`, aut), "a run ended alone adds no row")
	assert.Equal(t, 8, f.countRows(t, `SELECT sum(n)::int FROM run_rollup WHERE automation_id = $1`, aut))
	st := f.statsOf(t, aut, at, at.Add(time.Hour))
	checkStatsTotal(t, "ended concurrently", st, 8, map[string]int{"succeeded": 8}, map[string]int{})
}
