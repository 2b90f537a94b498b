package automation

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSweepGivesDeadInlineStepsToRiver: a run started for inline execution
// whose process died (its first step never ran) is found by the sweep once
// past its backstop, and its first step's job goes to River — once. The
// late inline execution, should it still come, then writes nothing.
func TestSweepGivesDeadInlineStepsToRiver(t *testing.T) {
	t.Parallel()
	env := setupInline(t)
	ctx := context.Background()
	rt := env.rt
	a, err := rt.q.GetAutomation(ctx, env.automationID)
	require.NoError(t, err)
	tt := env.items
	start := runStart{automation: a, triggerData: map[string]any{"table_id": tt.ID, "record": map[string]any{"id": "rec_dead", "fields": map[string]any{"Name": "dead"}}},
		eventKey: "evt:dead:0", inline: true}
	created, steps, err := rt.startRuns(ctx, rt.q, []runStart{start}, 0)
	require.NoError(t, err)
	require.Len(t, steps, 1, "started for inline execution")
	runID := created[0]
	require.Zero(t, env.count(t, `SELECT count(*) FROM river_job WHERE kind = 'run_step'`), "an inline run has no job")

	n, err := rt.SweepBackstops(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "not yet past its backstop")

	_, err = env.pool.Exec(ctx, `UPDATE runs SET backstop_at = now() - interval '1 second' WHERE id = $1`, runID)
	require.NoError(t, err)
	n, err = rt.SweepBackstops(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, 1, env.count(t, `SELECT count(*) FROM river_job WHERE kind = 'run_step' AND state = 'available' AND args->>'run_id' = $1`, runID))
	require.Equal(t, 0, env.count(t, `SELECT count(*) FROM runs WHERE id = $1 AND backstop_at IS NOT NULL`, runID))
	n, err = rt.SweepBackstops(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "swept once")

	// The inline execution arriving late loses: River owns the step.
	rt.runInline(ctx, steps[0])
	require.Zero(t, env.count(t, `SELECT count(*) FROM run_steps WHERE run_id = $1`, runID))
	require.Equal(t, "running", func() string {
		var s string
		require.NoError(t, env.pool.QueryRow(ctx, `SELECT status FROM runs WHERE id = $1`, runID).Scan(&s))
		return s
	}())
	require.Equal(t, time.Second, SweepInterval(2*time.Second))
	require.Equal(t, 10*time.Second, SweepInterval(time.Hour))
	require.Equal(t, 10*time.Second, SweepInterval(0), "swept even with inline execution off")
}
