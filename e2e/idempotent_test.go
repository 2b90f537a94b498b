package e2e_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/automation"
)

// TestStepJobRunAgainDoesNothing plays the crash window between a step's
// completion commit and River marking its job completed: the same step's
// job runs again. It must find the step final and repeat nothing — no
// second record, no second webhook, no second next step.
func TestStepJobRunAgainDoesNothing(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	logs := f.table(t, "Log", map[string]any{"name": "Order", "type": "text"})["id"].(string)
	aut := f.automation(t, map[string]any{
		"name":    "log then post",
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": f.tableID}},
		"steps": []any{
			map[string]any{"id": "log", "type": "create_record", "config": map[string]any{"table_id": logs, "fields": map[string]any{"Order": "{{trigger.record.id}}"}}},
			webhookStep("post", rcv.URL, nil),
		},
	})
	f.create(t, map[string]any{"Name": "A"})
	rcv.wait(t)
	run := f.waitRuns(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"])
	f.drain(t)

	ctx := context.Background()
	var before int
	require.NoError(t, f.env.App.Pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE kind = 'run_step'").Scan(&before))
	for idx := range 2 {
		_, err := f.env.App.River.Insert(ctx, automation.StepArgs{RunID: run["id"].(string), Index: idx}, nil)
		require.NoError(t, err)
	}
	f.drain(t)

	require.Len(t, f.records(t, logs), 1, "create_record was not repeated")
	require.Equal(t, 1, rcv.count(), "the webhook was not sent again")
	again := f.getRun(t, run["id"].(string))
	require.Equal(t, "succeeded", again["status"])
	require.Len(t, stepsOf(again), 2)
	var jobs int
	require.NoError(t, f.env.App.Pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE kind = 'run_step'").Scan(&jobs))
	require.Equal(t, before+2, jobs, "the two re-run jobs, and no further step enqueued")
}
