package e2e_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFindRecordsFeedsLaterSteps: find_records reads the records that
// match a templated filter, sorted and limited, and a later step sees
// them as {{steps.find.output.records}} and {{steps.find.output.count}}.
func TestFindRecordsFeedsLaterSteps(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	for _, r := range []map[string]any{{"Name": "a", "Status": "Done", "Amount": 10}, {"Name": "b", "Status": "Todo", "Amount": 20}, {"Name": "c", "Status": "Done", "Amount": 30}} {
		f.create(t, r)
	}
	aut := f.automation(t, map[string]any{"name": "find", "trigger": f.trigger("record_created", nil),
		"conditions": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Name", "op": "is", "value": "go"}}},
		"steps": []any{
			map[string]any{"id": "find", "type": "find_records", "config": map[string]any{"table_id": f.tableID,
				"filter": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Status", "op": "is", "value": "{{trigger.record.fields.Status}}"}}},
				"sort":   []any{map[string]any{"field": "Amount", "direction": "desc"}}, "limit": 5}},
			map[string]any{"id": "post", "type": "send_webhook", "config": map[string]any{"url": rcv.URL,
				"body": map[string]any{"count": "{{steps.find.output.count}}", "records": "{{steps.find.output.records}}"}}},
		}})
	f.create(t, map[string]any{"Name": "go", "Status": "Done"})
	d := rcv.wait(t)
	// The trigger record itself matches too: go (no amount, sorted last), c, a.
	require.Equal(t, 3.0, d.Body["count"])
	var names []any
	for _, r := range d.Body["records"].([]any) {
		rec := r.(map[string]any)
		require.NotEmpty(t, rec["id"])
		names = append(names, rec["fields"].(map[string]any)["Name"])
	}
	require.Equal(t, []any{"c", "a", "go"}, names)
	require.Equal(t, "succeeded", f.waitRuns(t, aut, 1)[0]["status"])

	status, p, _ := f.send(t, "POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{"name": "bad", "trigger": f.trigger("record_created", nil),
		"steps": []any{map[string]any{"id": "find", "type": "find_records", "config": map[string]any{"table_id": f.tableID, "limit": 5000,
			"filter": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Nope", "op": "is", "value": 1}}},
			"sort":   []any{map[string]any{"field": "Missing"}}}}}})
	require.Equal(t, 422, status)
	var locs []string
	for _, e := range p.Errors {
		locs = append(locs, e.Location)
	}
	require.ElementsMatch(t, []string{"steps[0].config.limit", "steps[0].config.filter.rules[0].field", "steps[0].config.sort[0].field"}, locs)
}
