package e2e_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
)

// TestAbandonedStepFailsItsRun: a step whose last attempt is cut off by
// the job timeout before its outcome is stored — here a receiver that
// never answers, a step timeout longer than the job's, one attempt — fails
// its run instead of leaving it running for good once River discards the
// job. (The many-process load found 857 runs stuck that way while the
// pool starved: TestRecordStepsDoNotStarveThePool.)
func TestAbandonedStepFailsItsRun(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *app.Config) { c.JobTimeout, c.InlineBackstop = time.Second, 0 })
	rcv := newReceiver(t)
	rcv.hold(t, 0) // never answered while the job runs
	aut := f.automation(t, map[string]any{"name": "cut off", "trigger": f.trigger("record_created", nil),
		"steps": []any{webhookStep("post", rcv.URL, map[string]any{
			"config": map[string]any{"url": rcv.URL, "timeout_ms": 10000}, "retry": map[string]any{"max_attempts": 1}})}})
	f.create(t, map[string]any{"Name": "a"})
	run := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "failed", run["status"], "%v", run)
	require.Contains(t, run["error"], "abandoned after 1 attempt")
	// The attempt was cut off before the step's row was first written: the
	// answer lists the step as not run, and the run's error says which
	// step was abandoned and why. A step with a row is marked failed.
	steps := stepsOf(run)
	require.Len(t, steps, 1)
	require.Contains(t, []any{"failed", "not_run"}, steps[0]["status"], "%v", steps[0])
	require.Equal(t, 1, rcv.count())
}
