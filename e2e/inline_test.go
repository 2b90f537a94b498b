package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
)

// TestInlineFirstStepHandedBackOnTimeout: the matching worker runs a first
// step inline; when that attempt is cut off (here by the job timeout while
// the receiver stalls), the step's job is handed back to River, which
// retries it as attempt 2 with the same webhook-id — long before the
// backstop.
func TestInlineFirstStepHandedBackOnTimeout(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *app.Config) {
		c.JobTimeout = time.Second
		c.InlineBackstop = time.Hour
	})
	rcv := newReceiver(t)
	release := rcv.hold(t, 0)
	aut := f.automation(t, map[string]any{
		"name":    "stalls once",
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": f.tableID}},
		"steps": []any{webhookStep("post", rcv.URL, map[string]any{
			"retry": map[string]any{"max_attempts": 3, "backoff": map[string]any{"type": "fixed", "delay_ms": 10}},
		})},
	})
	f.create(t, map[string]any{"Name": "A"})
	first := rcv.wait(t) // the inline attempt, held until the job timeout cuts it off
	second := rcv.wait(t)
	release()
	require.Equal(t, first.Header.Get("webhook-id"), second.Header.Get("webhook-id"))
	run := f.waitRuns(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"])
	require.EqualValues(t, 2, stepsOf(run)[0]["attempts"], "the inline attempt counted as the first")
}

// TestInlineOffUsesRiverForEveryStep: with ROWFLOW_INLINE_BACKSTOP=0 the
// first step goes through River like the others, with the same result:
// the write's event is a River job (not matched by the writer), and River
// made both attempts of the first step (its job was attempted twice by
// River's client; an inline first attempt leaves no trace in
// attempted_by). TestConfigFromEnv checks that the variable reaches the
// config.
func TestInlineOffUsesRiverForEveryStep(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *app.Config) { c.InlineBackstop = 0 })
	rcv := newReceiver(t, 500)
	aut := f.automation(t, map[string]any{
		"name":    "river only",
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": f.tableID}},
		"steps": []any{webhookStep("post", rcv.URL, map[string]any{
			"retry": map[string]any{"max_attempts": 3, "backoff": map[string]any{"type": "fixed", "delay_ms": 10}},
		})},
	})
	f.create(t, map[string]any{"Name": "A"})
	rcv.wait(t)
	rcv.wait(t)
	run := f.waitRuns(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"])
	require.EqualValues(t, 2, stepsOf(run)[0]["attempts"])

	ctx := context.Background()
	var events int
	require.NoError(t, f.env.App.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'record_event'`).Scan(&events))
	require.Equal(t, 1, events, "the write's event went to River, not to the writer's own matching")
	var attemptedBy []string
	require.NoError(t, f.env.App.Pool.QueryRow(ctx, `SELECT coalesce(attempted_by, '{}') FROM river_job WHERE kind = 'run_step' AND args->>'run_id' = $1`,
		run["id"]).Scan(&attemptedBy))
	require.Equal(t, []string{f.env.App.River.ID(), f.env.App.River.ID()}, attemptedBy, "River made both attempts of the first step")
}
