package e2e_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSelfUpdatingAutomationStopsAtTheDepthLimit: an automation that
// updates the record that triggered it triggers itself; each run is one
// write deeper than the run that caused it, and the run past the maximum
// depth (8) ends failed with loop_detected instead of executing.
func TestSelfUpdatingAutomationStopsAtTheDepthLimit(t *testing.T) {
	t.Parallel()
	f := setup(t)
	aut := f.automation(t, map[string]any{
		"name":    "self update",
		"trigger": f.trigger("record_updated", nil),
		"steps": []any{map[string]any{"id": "prefix", "type": "update_record", "config": map[string]any{
			"table_id": f.tableID, "record_id": "{{trigger.record.id}}",
			// Text around the token: every run really changes the record.
			"fields": map[string]any{"Name": "x{{trigger.record.fields.Name}}"},
		}}},
	})
	id := f.create(t, map[string]any{"Name": "A"})
	f.update(t, id, map[string]any{"Name": "a"})

	runs := f.waitRuns(t, aut, 10)
	sort.Slice(runs, func(i, j int) bool { return runs[i]["depth"].(float64) < runs[j]["depth"].(float64) })
	var failed int
	for d, r := range runs {
		require.EqualValues(t, d, r["depth"], "one run per depth")
		if d > 0 {
			require.Equal(t, runs[d-1]["id"], r["origin_run_id"], "depth %d was caused by depth %d", d, d-1)
		}
		if d <= 8 {
			require.Equal(t, "succeeded", r["status"], "depth %d: %v", d, r["error"])
			continue
		}
		failed++
		require.Equal(t, "failed", r["status"])
		require.True(t, strings.HasPrefix(r["error"].(string), "loop_detected"), "error: %v", r["error"])
		for _, s := range stepsOf(r) {
			require.Equal(t, "not_run", s["status"], "a stopped run executes no step")
		}
	}
	require.Equal(t, 1, failed)

	// Drain: a later, unrelated firing (another automation) has run; the
	// loop has not gone on meanwhile.
	sentinel := f.automation(t, map[string]any{"name": "sentinel", "trigger": f.trigger("record_created", nil), "steps": []any{}})
	f.create(t, map[string]any{"Name": "unrelated"})
	f.waitExactly(t, sentinel, 1)
	f.waitExactly(t, aut, 10)
	require.Equal(t, strings.Repeat("x", 9)+"a", f.record(t, f.tableID, id)["fields"].(map[string]any)["Name"],
		"runs of depth 0..8 each wrote once")
}

// TestDepthCountsAcrossAutomations: two automations that update each
// other's table form a loop too; the depth is the causation chain, not a
// per-automation count.
func TestDepthCountsAcrossAutomations(t *testing.T) {
	t.Parallel()
	f := setup(t)
	notes := f.table(t, "Notes", map[string]any{"name": "Text", "type": "text"})["id"].(string)
	note := f.env.JSON("POST", "/api/v1/tables/"+notes+"/records", map[string]any{"fields": map[string]any{"Text": "n"}}, 201)["id"].(string)
	order := f.create(t, map[string]any{"Name": "o"})
	ping := f.automation(t, map[string]any{"name": "ping", "trigger": f.trigger("record_updated", nil), "steps": []any{
		map[string]any{"id": "to_note", "type": "update_record", "config": map[string]any{
			"table_id": notes, "record_id": note, "fields": map[string]any{"Text": "{{trigger.record.fields.Name}}"},
		}},
	}})
	pong := f.automation(t, map[string]any{"name": "pong",
		"trigger": map[string]any{"type": "record_updated", "config": map[string]any{"table_id": notes}},
		"steps": []any{map[string]any{"id": "to_order", "type": "update_record", "config": map[string]any{
			"table_id": f.tableID, "record_id": order, "fields": map[string]any{"Name": "x{{trigger.record.fields.Text}}"},
		}}},
	})
	f.update(t, order, map[string]any{"Name": "start"})

	// Depths alternate: ping runs at 0, 2, 4, 6, 8; pong at 1, 3, 5, 7, and
	// pong's run at depth 9 is stopped.
	f.waitRuns(t, ping, 5)
	f.waitRuns(t, pong, 5)
	f.drain(t)
	pings, pongs := f.runs(t, ping), f.runs(t, pong)
	require.Len(t, pings, 5)
	require.Len(t, pongs, 5)
	depths := map[float64]string{}
	for _, r := range append(pings, pongs...) {
		d := r["depth"].(float64)
		require.NotContains(t, depths, d, "one run per depth")
		depths[d] = r["status"].(string)
		if d <= 8 {
			require.Equal(t, "succeeded", r["status"])
		} else {
			require.Equal(t, "failed", r["status"])
			require.True(t, strings.HasPrefix(r["error"].(string), "loop_detected"))
		}
	}
	require.Len(t, depths, 10)
}
