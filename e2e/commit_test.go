package e2e_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
)

// TestRolledBackWriteStartsNoRun: the trigger event is enqueued in the
// write's transaction, so a write that is refused (rolled back) leaves
// neither a record nor a run; a committed one leaves exactly one run.
func TestRolledBackWriteStartsNoRun(t *testing.T) {
	t.Parallel()
	f := setup(t)
	created := f.automation(t, map[string]any{"name": "created", "trigger": f.trigger("record_created", nil), "steps": []any{}})

	status, raw := f.env.Do("POST", "/api/v1/tables/"+f.tableID+"/records", apptest.AdminToken, map[string]any{"records": []any{
		map[string]any{"fields": map[string]any{"Name": "valid"}},
		map[string]any{"fields": map[string]any{"Name": "invalid", "Status": "No such choice"}},
	}})
	require.Equal(t, 422, status, "%s", raw)
	var problem struct {
		Errors []struct{ Location string } `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(raw, &problem))
	require.NotEmpty(t, problem.Errors)
	require.Equal(t, "records[1].fields.Status", problem.Errors[0].Location)
	require.Empty(t, f.records(t, f.tableID), "all or nothing")

	later := f.create(t, map[string]any{"Name": "later"})
	runs := f.waitExactly(t, created, 1)
	require.Equal(t, later, triggerRecordID(runs[0]), "only the committed write fired")
	require.Len(t, f.records(t, f.tableID), 1)
}

func TestRolledBackUpdateStartsNoRun(t *testing.T) {
	t.Parallel()
	f := setup(t)
	a := f.create(t, map[string]any{"Name": "a"})
	updated := f.automation(t, map[string]any{"name": "updated", "trigger": f.trigger("record_updated", nil), "steps": []any{}})

	// The first update is fine, the second names a record that does not
	// exist: the whole batch is refused.
	f.env.JSON("PATCH", "/api/v1/tables/"+f.tableID+"/records", map[string]any{"records": []any{
		map[string]any{"id": a, "fields": map[string]any{"Name": "changed"}},
		map[string]any{"id": "rec_00000000000000000000000000", "fields": map[string]any{"Name": "x"}},
	}}, 404)
	require.Equal(t, "a", f.record(t, f.tableID, a)["fields"].(map[string]any)["Name"])

	f.update(t, a, map[string]any{"Name": "committed"})
	runs := f.waitExactly(t, updated, 1)
	require.Equal(t, "committed", triggerRecord(runs[0])["fields"].(map[string]any)["Name"])
}
