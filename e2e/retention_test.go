package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
)

// TestRunRetention: the retention sweep of the worker (every 20 ms here,
// retention 720h, failed runs 2160h) deletes exactly the runs past their
// retention, with their steps — old succeeded, skipped and cancelled runs
// and failed ones past the failed retention, 2,500 of them over several
// 1,000-run statements — and keeps recent runs, failed runs within the
// failed retention and unfinished runs however old.
func TestRunRetention(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *app.Config) {
		c.RetentionInterval = 20 * time.Millisecond
		c.RunRetention = 720 * time.Hour
		c.RunRetentionFailed = 2160 * time.Hour
	})
	aut := f.automation(t, map[string]any{"name": "kept", "trigger": f.trigger("record_created", nil), "steps": []any{}})
	now := time.Now()
	ago := func(h int) time.Duration { return -time.Duration(h) * time.Hour }
	due := []seededRun{
		{automation: aut, status: "succeeded", created: now.Add(ago(801)), latency: time.Second, duration: time.Hour},
		{automation: aut, status: "skipped", created: now.Add(ago(730)), duration: 0},
		{automation: aut, status: "cancelled", created: now.Add(ago(900)), latency: time.Second, duration: time.Second},
		{automation: aut, status: "failed", created: now.Add(ago(2200)), latency: time.Second, duration: time.Second, failedStep: "call"},
	}
	kept := []seededRun{
		{automation: aut, status: "succeeded", created: now.Add(ago(1)), latency: time.Second, duration: time.Second},
		{automation: aut, status: "succeeded", created: now.Add(ago(715)), latency: time.Second, duration: time.Second},
		{automation: aut, status: "failed", created: now.Add(ago(800)), latency: time.Second, duration: time.Second, failedStep: "call"},
		{automation: aut, status: "failed", created: now.Add(ago(2100)), latency: time.Second, duration: time.Second, failedStep: "call"},
		{automation: aut, status: "queued", created: now.Add(ago(3000)), duration: -1},
		{automation: aut, status: "waiting", created: now.Add(ago(3000)), latency: time.Second, duration: -1},
	}
	// Stop the sweep from seeing half the rows: insert in one transaction.
	ctx := context.Background()
	tx, err := f.env.App.Pool.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `INSERT INTO runs (id, automation_id, version, base_id, trigger_type, trigger_data, status, event_key, created_at, finished_at)
		SELECT 'run_bulk' || n, $1, 1, $2, 'record_created', '{}', 'succeeded', 'bulk' || n, now() - interval '1000 hours', now() - interval '999 hours'
		FROM generate_series(1, 2500) n`, aut, f.baseID)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `INSERT INTO run_steps (run_id, step_index, step_id, type, status, started_at, finished_at)
		SELECT 'run_bulk' || n, 0, 'call', 'send_webhook', 'succeeded', now() - interval '1000 hours', now() - interval '999 hours'
		FROM generate_series(1, 2500) n`)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	f.insertRuns(t, f.baseID, append(append([]seededRun{}, due...), kept...))

	keptIDs := []string{}
	for i := range kept {
		keptIDs = append(keptIDs, seedID(len(due)+i, aut))
	}
	require.Eventually(t, func() bool {
		return f.countRows(t, `SELECT count(*) FROM runs`) == len(kept)
	}, 30*time.Second, 20*time.Millisecond, "waiting for the sweep to delete the due runs")
	assert.Equal(t, len(kept), f.countRows(t, `SELECT count(*) FROM runs WHERE id = ANY($1)`, keptIDs), "the kept runs are the ones that remain")
	// Steps went with their runs; the kept runs' steps stay.
	assert.Zero(t, f.countRows(t, `SELECT count(*) FROM run_steps WHERE NOT run_id = ANY($1)`, keptIDs))
	assert.Equal(t, 5, f.countRows(t, `SELECT count(*) FROM run_steps WHERE run_id = ANY($1)`, keptIDs))
}
