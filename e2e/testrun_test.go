package e2e_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTestAutomation: POST /automations/{id}/test in mode live runs a
// disabled automation for a chosen record, ignoring its conditions, as a
// test run.
func TestTestAutomation(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	aut := f.automation(t, map[string]any{
		"name":       "post done",
		"enabled":    false,
		"trigger":    map[string]any{"type": "record_created", "config": map[string]any{"table_id": f.tableID}},
		"conditions": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Status", "op": "is", "value": "Done"}}},
		"steps":      []any{webhookStep("notify", rcv.URL, nil)},
	})
	f.env.JSON("POST", "/api/v1/automations/"+aut+"/test", map[string]any{"mode": "live"}, 422) // no record yet
	first := f.create(t, map[string]any{"Name": "first", "Status": "Todo"})
	second := f.create(t, map[string]any{"Name": "second", "Status": "Todo"})

	run := f.env.JSON("POST", "/api/v1/automations/"+aut+"/test", map[string]any{"mode": "live", "record_id": second}, 202)
	require.Equal(t, true, run["is_test"])
	require.Equal(t, false, run["condition_trace"].(map[string]any)["passed"], "the conditions are ignored, their trace kept")
	require.Equal(t, second, rcv.wait(t).Body["id"], "conditions do not stop a test run")
	run = f.env.JSON("POST", "/api/v1/automations/"+aut+"/test", map[string]any{"mode": "live"}, 202)
	require.Equal(t, first, rcv.wait(t).Body["id"], "without record_id: the table's first record")
	runs := f.waitRuns(t, aut, 2)
	require.Len(t, runs, 2, "the disabled automation fired for nothing else")
	for _, r := range runs {
		require.Equal(t, true, r["is_test"])
		require.Equal(t, "succeeded", r["status"])
	}
	f.env.JSON("POST", "/api/v1/automations/"+aut+"/test", map[string]any{"mode": "live", "record_id": "rec_nope"}, 422)
}
