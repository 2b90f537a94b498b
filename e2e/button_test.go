package e2e_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
)

// TestButtonClicked: a click starts the button's automations with the
// record and the clicking user, for editors and owners only; unknown
// records and fields are 404, a disabled automation 409.
func TestButtonClicked(t *testing.T) {
	t.Parallel()
	f := setup(t)
	tbl := f.env.JSON("POST", "/api/v1/tables/"+f.tableID+"/fields", map[string]any{"name": "Ship", "type": "button"}, 201)
	button := tbl["id"].(string)
	nameField := ""
	for _, fl := range f.env.JSON("GET", "/api/v1/tables/"+f.tableID, nil, 200)["fields"].([]any) {
		if fl.(map[string]any)["name"] == "Name" {
			nameField = fl.(map[string]any)["id"].(string)
		}
	}
	rec := f.create(t, map[string]any{"Name": "Order 1", "Amount": 30})
	clickPath := func(recordID, fieldID string) string {
		return "/api/v1/tables/" + f.tableID + "/records/" + recordID + "/buttons/" + fieldID
	}

	// No automation yet: 409 saying so.
	status, p, _ := f.send(t, "POST", clickPath(rec, button), nil)
	require.Equal(t, 409, status)
	require.Contains(t, p.Detail, "no automation is attached")

	aut := f.automation(t, map[string]any{"name": "ship",
		"trigger":    map[string]any{"type": "button_clicked", "config": map[string]any{"table_id": f.tableID, "field_id": button}},
		"conditions": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Amount", "op": "gt", "value": 10}}},
		"steps": []any{map[string]any{"id": "mark", "type": "update_record",
			"config": map[string]any{"table_id": f.tableID, "record_id": "{{trigger.record.id}}", "fields": map[string]any{"Status": "Done", "Count": 1}}}}})

	_, owner := createTokenE2E(t, f, "owner")
	_, editor := createTokenE2E(t, f, "editor")
	_, viewer := createTokenE2E(t, f, "viewer")
	for _, tc := range []struct {
		who    string
		token  string
		status int
	}{
		{"admin", apptest.AdminToken, 202}, {"owner", owner, 202}, {"editor", editor, 202}, {"viewer", viewer, 403}, {"no token", "", 401},
	} {
		st, raw := f.env.Do("POST", clickPath(rec, button), tc.token, nil)
		require.Equal(t, tc.status, st, "%s: %s", tc.who, raw)
	}
	runs := f.waitExactly(t, aut, 3)
	run := f.getRun(t, runs[0]["id"].(string))
	data := run["trigger"].(map[string]any)["data"].(map[string]any)
	require.Equal(t, rec, data["record"].(map[string]any)["id"])
	require.Equal(t, "Order 1", data["record"].(map[string]any)["fields"].(map[string]any)["Name"])
	require.Equal(t, button, data["field_id"])
	require.NotEmpty(t, data["user"].(map[string]any)["role"])
	require.Equal(t, "Done", f.record(t, f.tableID, rec)["fields"].(map[string]any)["Status"])

	// The record's conditions: a small order starts no run.
	small := f.create(t, map[string]any{"Name": "Order 2", "Amount": 5})
	ans := f.env.JSON("POST", clickPath(small, button), nil, 202)
	require.Empty(t, ans["runs"])

	for _, tc := range []struct{ name, path string }{
		{"unknown record", clickPath("rec_00000000000000000000000000", button)},
		{"unknown field", clickPath(rec, "fld_00000000000000000000000000")},
		{"not a button", clickPath(rec, nameField)},
		{"unknown table", "/api/v1/tables/tbl_00000000000000000000000000/records/" + rec + "/buttons/" + button},
	} {
		status, _, raw := f.send(t, "POST", tc.path, nil)
		require.Equal(t, 404, status, "%s: %s", tc.name, raw)
	}

	// A field that is not a button cannot be a button trigger.
	status, p, _ = f.send(t, "POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{"name": "x",
		"trigger": map[string]any{"type": "button_clicked", "config": map[string]any{"table_id": f.tableID, "field_id": nameField}}, "steps": []any{}})
	require.Equal(t, 422, status)
	require.Equal(t, "trigger.config.field_id", p.Errors[0].Location)

	f.env.JSON("POST", "/api/v1/automations/"+aut+"/disable", nil, 200)
	status, p, _ = f.send(t, "POST", clickPath(rec, button), nil)
	require.Equal(t, 409, status)
	require.Contains(t, p.Detail, "disabled")
	require.Len(t, f.runs(t, aut), 3)
}

func createTokenE2E(t *testing.T, f *fixture, role string) (string, string) {
	t.Helper()
	tok := f.env.JSON("POST", "/api/v1/tokens", map[string]any{"name": role, "role": role}, 201)
	return tok["id"].(string), tok["token"].(string)
}

// TestButtonClickedByAUser: the run of a click with a user's token sees
// who clicked as {{trigger.user.email}} (and id, name).
func TestButtonClickedByAUser(t *testing.T) {
	t.Parallel()
	f := setup(t)
	button := f.env.JSON("POST", "/api/v1/tables/"+f.tableID+"/fields", map[string]any{"name": "Ship", "type": "button"}, 201)["id"].(string)
	rec := f.create(t, map[string]any{"Name": "Order 1"})
	rcv := newReceiver(t)
	f.automation(t, map[string]any{"name": "ship",
		"trigger": map[string]any{"type": "button_clicked", "config": map[string]any{"table_id": f.tableID, "field_id": button}},
		"steps": []any{map[string]any{"id": "tell", "type": "send_webhook", "config": map[string]any{"url": rcv.URL,
			"body": map[string]any{"who": "{{trigger.user.email}}", "name": "{{trigger.user.name}}"}}}}})
	user := f.env.JSON("POST", "/api/v1/users", map[string]any{"email": "ada@example.com", "name": "Ada"}, 201)["id"].(string)
	token := f.env.JSON("POST", "/api/v1/tokens", map[string]any{"name": "ada", "role": "editor", "user_id": user}, 201)["token"].(string)
	st, raw := f.env.Do("POST", "/api/v1/tables/"+f.tableID+"/records/"+rec+"/buttons/"+button, token, nil)
	require.Equal(t, 202, st, "%s", raw)
	d := rcv.wait(t)
	require.Equal(t, "ada@example.com", d.Body["who"])
	require.Equal(t, "Ada", d.Body["name"])
}
