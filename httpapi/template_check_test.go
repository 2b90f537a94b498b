package httpapi_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
)

// TestTemplateTyposRefusedAtSave: tokens naming what the trigger, the
// watched table or an earlier step does not provide are refused with 422 at
// their place, with a "did you mean"; correct tokens save.
func TestTemplateTyposRefusedAtSave(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := createSchema(t, env)
	autos := "/api/v1/bases/" + s.BaseID + "/automations"
	save := func(trigger string, steps ...any) response {
		return send(t, env, "POST", autos, admin, map[string]any{"name": "a",
			"trigger": map[string]any{"type": trigger, "config": map[string]any{"table_id": s.ItemsID}}, "steps": steps})
	}
	hook := func(id string, body map[string]any) map[string]any {
		return map[string]any{"id": id, "type": "send_webhook", "config": map[string]any{"url": "https://example.com/h", "body": body}}
	}

	r := save("record_created", hook("notify", map[string]any{
		"n": "{{trigger.record.fields.Nam}}",
		"t": "{{trigger.recrd.id}}",
		"p": "{{trigger.previous.id}}",
		"x": "{{trigger.record.idd}}",
		"r": "{{run.idd}}",
	}))
	require.Equal(t, 422, r.Status, "%s", r.Body)
	d := problemDetails(t, r.Body)
	assert.Contains(t, d["steps[0].config.body.n"], `{{trigger.record.fields.Nam}}: table "Items" has no "Nam"; did you mean "Name"?`)
	assert.Contains(t, d["steps[0].config.body.t"], `the trigger data has no "recrd"; did you mean "record"?`)
	assert.Contains(t, d["steps[0].config.body.p"], `the trigger data has no "previous"`, "record_created has no previous")
	assert.Contains(t, d["steps[0].config.body.x"], `did you mean "id"?`)
	assert.Contains(t, d["steps[0].config.body.r"], `run has no "idd"; did you mean "id"?`)

	// Outputs of earlier steps.
	r = save("record_created",
		map[string]any{"id": "make", "type": "create_record", "config": map[string]any{"table_id": s.ItemsID, "fields": map[string]any{"Name": "x"}}},
		hook("notify", map[string]any{"a": "{{steps.make.output.recrod.id}}", "b": "{{steps.make.output.record.fields.Amout}}", "c": "{{steps.make.outptu}}"}))
	require.Equal(t, 422, r.Status, "%s", r.Body)
	d = problemDetails(t, r.Body)
	assert.Contains(t, d["steps[1].config.body.a"], `did you mean "record"?`)
	assert.Contains(t, d["steps[1].config.body.b"], `did you mean "Amount"?`)
	assert.Contains(t, d["steps[1].config.body.c"], `did you mean "output"?`)

	// What exists saves: fields by name (any case of a key that is not an
	// identifier), previous on updates, free-form bodies below a webhook's
	// output, earlier outputs.
	r = save("record_updated",
		hook("first", map[string]any{"n": "{{trigger.record.fields.Name}}", "p": "{{trigger.previous.fields.Status}}", "i": "{{trigger.record.id}}", "r": "{{run.id}} {{now}}"}),
		hook("second", map[string]any{"s": "{{steps.first.output.status}}", "b": "{{steps.first.output.body.anything.deep}}", "st": "{{steps.first.status}}"}))
	require.Equal(t, 201, r.Status, "%s", r.Body)
}

// TestAutomationWarnings: a field renamed after the automation was saved
// shows as a warning on the automation, at the token's place.
func TestAutomationWarnings(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := createSchema(t, env)
	a := doJSON(t, env, "POST", "/api/v1/bases/"+s.BaseID+"/automations", map[string]any{"name": "a",
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": s.ItemsID}},
		"steps": []any{map[string]any{"id": "notify", "type": "send_webhook",
			"config": map[string]any{"url": "https://example.com/h", "body": map[string]any{"n": "{{trigger.record.fields.Notes}}"}}}}}, 201)
	assert.Nil(t, a["warnings"])
	id := a["id"].(string)
	got := doJSON(t, env, "GET", "/api/v1/automations/"+id, nil, 200)
	assert.Nil(t, got["warnings"], "no warnings while valid")

	// A rename (no API operation renames fields yet: the database directly,
	// bumping the table's schema version as a rename would).
	_, err := env.App.Pool.Exec(t.Context(), `UPDATE fields SET name = 'Remarks' WHERE table_id = $1 AND name = 'Notes'`, s.ItemsID)
	require.NoError(t, err)
	_, err = env.App.Pool.Exec(t.Context(), `UPDATE tables SET schema_version = schema_version + 1 WHERE id = $1`, s.ItemsID)
	require.NoError(t, err)

	got = doJSON(t, env, "GET", "/api/v1/automations/"+id, nil, 200)
	ws, _ := got["warnings"].([]any)
	require.Len(t, ws, 1, "%v", got)
	w := ws[0].(map[string]any)
	assert.Equal(t, "steps[0].config.body.n", w["location"])
	assert.Contains(t, w["message"], `table "Items" has no "Notes"`)
	list := doJSON(t, env, "GET", "/api/v1/bases/"+s.BaseID+"/automations", nil, 200)["items"].([]any)
	assert.Len(t, list[0].(map[string]any)["warnings"], 1)
}
