package e2e_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTypecastThroughTheAPI: "typecast": true converts strings to each
// field's type (Airtable's flag); without it the same request is refused
// and writes nothing; a value that cannot be converted names the field,
// the value and the reason.
func TestTypecastThroughTheAPI(t *testing.T) {
	t.Parallel()
	f := setup(t)
	path := "/api/v1/tables/" + f.tableID + "/records"
	status, p, _ := f.send(t, "POST", path, map[string]any{"fields": map[string]any{"Count": "21", "Status": "done"}})
	require.Equal(t, 422, status)
	require.Empty(t, f.records(t, f.tableID), "a refused write wrote nothing")
	require.NotEmpty(t, p.Errors)

	r := f.env.JSON("POST", path, map[string]any{"typecast": true, "fields": map[string]any{"Count": "21", "Status": "done", "Amount": " 3.14159 "}}, 201)
	fields := r["fields"].(map[string]any)
	require.Equal(t, 21.0, fields["Count"])
	require.Equal(t, "Done", fields["Status"])
	require.Equal(t, 3.14, fields["Amount"])

	id := r["id"].(string)
	got := f.env.JSON("PATCH", path+"/"+id, map[string]any{"typecast": true, "fields": map[string]any{"Count": "7"}}, 200)
	require.Equal(t, 7.0, got["fields"].(map[string]any)["Count"])
	batch := f.env.JSON("POST", path, map[string]any{"typecast": true, "records": []any{
		map[string]any{"fields": map[string]any{"Count": "1"}}, map[string]any{"fields": map[string]any{"Count": "2"}}}}, 201)
	require.Len(t, items(batch), 2)
	f.env.JSON("PATCH", path, map[string]any{"typecast": true, "records": []any{map[string]any{"id": id, "fields": map[string]any{"Count": "8"}}}}, 200)
	require.Equal(t, 8.0, f.record(t, f.tableID, id)["fields"].(map[string]any)["Count"])

	status, p, _ = f.send(t, "POST", path, map[string]any{"typecast": true, "fields": map[string]any{"Count": "21abc"}})
	require.Equal(t, 422, status)
	require.Len(t, p.Errors, 1)
	require.Equal(t, "fields.Count", p.Errors[0].Location)
	require.Contains(t, p.Errors[0].Message, `cannot convert "21abc" to a number`)
	status, p, _ = f.send(t, "POST", path, map[string]any{"typecast": true, "fields": map[string]any{"Status": "Shipped"}})
	require.Equal(t, 422, status)
	require.Contains(t, p.Errors[0].Message, "not one of the choices")
	require.Len(t, f.records(t, f.tableID), 3)
}

// TestRecordStepsTypecast: a record step's rendered value is converted to
// the target field's type — "{{trigger.record.fields.Count}}1" on a
// number field is 21, not the error "expected a number, got string" — and
// a value that cannot be converted fails the step naming field, value
// and reason.
func TestRecordStepsTypecast(t *testing.T) {
	t.Parallel()
	f := setup(t)
	aut := f.automation(t, map[string]any{"name": "append a digit", "trigger": f.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "bump", "type": "update_record", "config": map[string]any{
			"table_id": f.tableID, "record_id": "{{trigger.record.id}}",
			"fields": map[string]any{"Count": "{{trigger.record.fields.Count}}1", "Status": "{{trigger.record.fields.Name}}"},
		}},
	}})
	id := f.create(t, map[string]any{"Name": "doing", "Count": 2})
	run := f.waitRuns(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"], "run: %v", run)
	cells := f.record(t, f.tableID, id)["fields"].(map[string]any)
	require.Equal(t, 21.0, cells["Count"])
	require.Equal(t, "Doing", cells["Status"])

	// A literal that typecasts is accepted at save time too; one that
	// cannot is refused there.
	f.automation(t, map[string]any{"name": "literal", "enabled": false, "trigger": f.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "set", "type": "update_record", "config": map[string]any{
			"table_id": f.tableID, "record_id": "{{trigger.record.id}}", "fields": map[string]any{"Count": "5"}}},
	}})
	status, p, _ := f.send(t, "POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{"name": "bad literal", "trigger": f.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "set", "type": "update_record", "config": map[string]any{
			"table_id": f.tableID, "record_id": "{{trigger.record.id}}", "fields": map[string]any{"Count": "five"}}},
	}})
	require.Equal(t, 422, status)
	require.Equal(t, "steps[0].config.fields.Count", p.Errors[0].Location)

	id = f.create(t, map[string]any{"Name": "abc", "Count": 3})
	runs := f.waitRuns(t, aut, 2)
	var failed map[string]any
	for _, r := range runs {
		if triggerRecordID(r) == id {
			failed = r
		}
	}
	require.NotNil(t, failed)
	require.Equal(t, "failed", failed["status"])
	msg := stepsOf(failed)[0]["error"].(string)
	require.Contains(t, msg, "fields.Status")
	require.Contains(t, msg, `"abc" is not one of the choices`)
}
