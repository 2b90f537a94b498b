package automation

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/automation/action"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/dbtest"
	"github.com/rowflow/rowflow/record"
)

// TestFinishInlineGroup: completions written by one FinishInlineSteps
// statement each do what one alone does — a run's last step ends it and
// clears its automation's failure streak, a first step of two enqueues the
// next step's job and leaves the run running — and report written; a
// group with one completion PostgreSQL refuses is written completion by
// completion, so only that one fails and its run keeps its backstop; a
// completion whose backstop is gone (the sweep gave it to River) writes
// nothing and reports not written.
func TestFinishInlineGroup(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	recs := record.New(record.Opts{Pool: pool})
	rt := New(Opts{Pool: pool, Records: recs, InlineBackstop: time.Hour, Kinds: kind.NewRegistry([]kind.Trigger{pinged{}}, []kind.Action{action.SendWebhook{HTTP: loopbackClient()}})})
	t.Cleanup(func() { _ = rt.Drain(context.Background()) })
	ctx := context.Background()
	base, err := recs.CreateBase(ctx, "A")
	require.NoError(t, err)
	name := "two steps"
	cfg, _ := json.Marshal(map[string]any{"key": "k"})
	hook := json.RawMessage(`{"url": "http://127.0.0.1:9/"}`)
	steps := []StepSpec{{ID: "one", Type: "send_webhook", Config: hook}, {ID: "two", Type: "send_webhook", Config: hook}}
	aut, err := rt.CreateAutomation(ctx, base.ID, AutomationInput{Name: &name, Trigger: &TriggerSpec{Type: "pinged", Config: cfg}, Steps: &steps})
	require.NoError(t, err)
	var runs []string
	for _, key := range []string{"a", "b", "c", "d", "e"} {
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		s, err := rt.StartTriggered(ctx, tx, Occurrence{Type: "pinged", BaseID: base.ID, Config: map[string]any{"key": "k"}, Key: key, Data: map[string]any{}})
		require.NoError(t, err)
		require.NoError(t, tx.Commit(ctx))
		require.Len(t, s.Runs, 1)
		runs = append(runs, s.Runs[0]) // not dispatched: the test completes them
	}
	_, err = pool.Exec(ctx, `INSERT INTO automation_failures (automation_id, consecutive) VALUES ($1, 2)`, aut.ID)
	require.NoError(t, err)
	count := func(sql string, args ...any) int {
		var n int
		require.NoError(t, pool.QueryRow(ctx, sql, args...).Scan(&n))
		return n
	}
	done := func(run string) db.FinishStepParams {
		return db.FinishStepParams{RunID: run, StepIndex: 0, StepID: "one", Type: "send_webhook", Status: "succeeded", Attempts: 1,
			Output: json.RawMessage(`{"ok": true}`), StartedAt: time.Now(), RunStatus: RunSucceeded}
	}
	next := func(run string) db.FinishStepParams {
		p := done(run)
		p.RunStatus = ""
		p.NextArgs, _ = json.Marshal(StepArgs{RunID: run, Index: 1})
		p.NextMaxAttempts = 3
		return p
	}
	jobs := count(`SELECT count(*) FROM river_job`)

	// Together: one ends its run, one moves on to step two.
	res := rt.finishInlineGroup(ctx, []db.FinishStepParams{done(runs[0]), next(runs[1])})
	require.Len(t, res, 2)
	for i, r := range res {
		require.NoError(t, r.Err, "completion %d", i)
		assert.True(t, r.Val, "completion %d written", i)
	}
	assert.Equal(t, 1, count(`SELECT count(*) FROM runs WHERE id = $1 AND status = 'succeeded' AND finished_at IS NOT NULL AND backstop_at IS NULL`, runs[0]))
	assert.Equal(t, 1, count(`SELECT count(*) FROM runs WHERE id = $1 AND status = 'running' AND backstop_at IS NULL`, runs[1]))
	assert.Equal(t, 2, count(`SELECT count(*) FROM run_steps WHERE run_id = ANY($1) AND status = 'succeeded' AND output = '{"ok": true}'`, runs[:2]))
	assert.Equal(t, jobs+1, count(`SELECT count(*) FROM river_job`), "step two's job")
	assert.Equal(t, 1, count(`SELECT count(*) FROM river_job WHERE args ->> 'run_id' = $1`, runs[1]))
	assert.Zero(t, count(`SELECT count(*) FROM automation_failures WHERE automation_id = $1`, aut.ID), "a success clears the streak")

	// One refused (its input is not JSON): the others are still written.
	bad := done(runs[3])
	bad.Input = json.RawMessage(`{not json`)
	res = rt.finishInlineGroup(ctx, []db.FinishStepParams{done(runs[2]), bad, done(runs[4])})
	require.Len(t, res, 3)
	require.NoError(t, res[0].Err)
	require.Error(t, res[1].Err)
	require.NoError(t, res[2].Err)
	assert.True(t, res[0].Val)
	assert.True(t, res[2].Val)
	assert.Equal(t, 2, count(`SELECT count(*) FROM runs WHERE id = ANY($1) AND status = 'succeeded'`, []string{runs[2], runs[4]}))
	assert.Equal(t, 1, count(`SELECT count(*) FROM runs WHERE id = $1 AND status = 'running' AND backstop_at IS NOT NULL`, runs[3]), "the refused one keeps its backstop")
	assert.Zero(t, count(`SELECT count(*) FROM run_steps WHERE run_id = $1`, runs[3]))

	// Again for a run whose backstop is gone: nothing written.
	written, err := rt.finishInline(ctx, rt.q, done(runs[1]))
	require.NoError(t, err)
	assert.False(t, written)
	assert.Equal(t, 1, count(`SELECT count(*) FROM runs WHERE id = $1 AND status = 'running'`, runs[1]))
	assert.Equal(t, 3, count(`SELECT sum(n)::int FROM run_rollup WHERE automation_id = $1`, aut.ID), "the rollup counts the 3 ended runs")
}
