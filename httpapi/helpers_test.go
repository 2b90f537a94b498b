package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
)

// admin is the admin token of every test app.
const admin = apptest.AdminToken

// response is one answer: status, headers and raw body.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a map.
func (r response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var out map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &out), "body: %s", r.Body)
	return out
}

// send is apptest.Env.Do with the answer's headers: body may be nil, a
// string (sent as is) or a value (sent as JSON).
func send(t testing.TB, env *apptest.Env, method, path, token string, body any) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		if raw, ok := body.(string); ok {
			rd = strings.NewReader(raw)
		} else {
			b, err := json.Marshal(body)
			require.NoError(t, err)
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, env.URL+path, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// problemDetails are the field-level details of a problem answer, as
// location → message.
func problemDetails(t testing.TB, raw []byte) map[string]string {
	t.Helper()
	var p struct {
		Errors []struct {
			Location string `json:"location"`
			Message  string `json:"message"`
		} `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(raw, &p), "body: %s", raw)
	out := map[string]string{}
	for _, e := range p.Errors {
		out[e.Location] = e.Message
	}
	return out
}

// requireProblemAt requires a 422 whose details name location (and, when
// reason is not empty, a message containing it).
func requireProblemAt(t testing.TB, status int, raw []byte, location, reason string) {
	t.Helper()
	require.Equal(t, http.StatusUnprocessableEntity, status, "body: %s", raw)
	d := problemDetails(t, raw)
	msg, ok := d[location]
	require.True(t, ok, "no error at %q in %s", location, raw)
	if reason != "" {
		require.Contains(t, strings.ToLower(msg), strings.ToLower(reason), "body: %s", raw)
	}
}

// schema is a base with two tables: Items, with one field of every type
// (its link field Target points at Targets), and Targets, whose inverse
// link field is "Items".
type schema struct {
	BaseID    string
	ItemsID   string
	TargetsID string
	// Fields maps a field name of Items to its id.
	Fields map[string]string
	// InverseID is the id of the inverse link field Targets.Items.
	InverseID string
}

// itemFields are the fields of the Items table, one of every type.
func itemFields(targetsID string) []map[string]any {
	return []map[string]any{
		{"name": "Name", "type": "text"},
		{"name": "Notes", "type": "long_text"},
		{"name": "Amount", "type": "number", "options": map[string]any{"precision": 2}},
		{"name": "Count", "type": "number"},
		{"name": "Done", "type": "checkbox"},
		{"name": "Status", "type": "single_select", "options": map[string]any{"choices": []any{
			map[string]any{"name": "Todo"}, map[string]any{"name": "Doing"}, map[string]any{"name": "Done", "color": "green"}}}},
		{"name": "Tags", "type": "multi_select", "options": map[string]any{"choices": []any{
			map[string]any{"name": "red"}, map[string]any{"name": "green"}, map[string]any{"name": "blue"}}}},
		{"name": "Due", "type": "date"},
		{"name": "At", "type": "datetime", "options": map[string]any{"time_zone": "Europe/Paris"}},
		{"name": "Email", "type": "email"},
		{"name": "Site", "type": "url"},
		{"name": "Phone", "type": "phone"},
		{"name": "Target", "type": "link_to_record", "options": map[string]any{"table_id": targetsID}},
		{"name": "Go", "type": "button", "options": map[string]any{"label": "Ship"}},
	}
}

// createSchema creates the schema of the tests (as the admin) in a new base.
func createSchema(t testing.TB, env *apptest.Env) schema {
	t.Helper()
	s := schema{Fields: map[string]string{}}
	s.BaseID = doJSON(t, env, "POST", "/api/v1/bases", map[string]any{"name": "Shop"}, 201)["id"].(string)
	s.TargetsID = doJSON(t, env, "POST", "/api/v1/bases/"+s.BaseID+"/tables", map[string]any{
		"name": "Targets", "fields": []any{map[string]any{"name": "Label", "type": "text"}},
	}, 201)["id"].(string)
	tbl := doJSON(t, env, "POST", "/api/v1/bases/"+s.BaseID+"/tables", map[string]any{
		"name": "Items", "fields": itemFields(s.TargetsID),
	}, 201)
	s.ItemsID = tbl["id"].(string)
	for _, f := range tbl["fields"].([]any) {
		f := f.(map[string]any)
		s.Fields[f["name"].(string)] = f["id"].(string)
	}
	targets := doJSON(t, env, "GET", "/api/v1/tables/"+s.TargetsID, nil, 200)
	for _, f := range targets["fields"].([]any) {
		f := f.(map[string]any)
		if f["name"] == "Items" {
			s.InverseID = f["id"].(string)
		}
	}
	require.NotEmpty(t, s.InverseID, "Targets has no inverse link field: %v", targets)
	return s
}

// createRecord creates one record as the admin and returns its id.
func createRecord(t testing.TB, env *apptest.Env, tableID string, fields map[string]any) string {
	t.Helper()
	return doJSON(t, env, "POST", "/api/v1/tables/"+tableID+"/records", map[string]any{"fields": fields}, 201)["id"].(string)
}

// getFields returns the fields of a record (by name) as the admin.
func getFields(t testing.TB, env *apptest.Env, tableID, recordID string) map[string]any {
	t.Helper()
	return doJSON(t, env, "GET", "/api/v1/tables/"+tableID+"/records/"+recordID, nil, 200)["fields"].(map[string]any)
}

// listAll lists every record of a table (one page of up to 1000) with an
// optional raw query string.
func listAll(t testing.TB, env *apptest.Env, tableID, query string) []map[string]any {
	t.Helper()
	path := "/api/v1/tables/" + tableID + "/records?limit=1000"
	if query != "" {
		path += "&" + query
	}
	body := doJSON(t, env, "GET", path, nil, 200)
	items := body["items"].([]any)
	out := make([]map[string]any, len(items))
	for i, it := range items {
		out[i] = it.(map[string]any)
	}
	return out
}

// q escapes a query parameter value.
func q(s string) string { return url.QueryEscape(s) }

// createToken creates a token as the admin and returns its id and secret.
func createToken(t testing.TB, env *apptest.Env, role string, baseIDs ...string) (id, secret string) {
	t.Helper()
	body := map[string]any{"name": role + " token", "role": role}
	if baseIDs != nil {
		body["base_ids"] = baseIDs
	}
	out := doJSON(t, env, "POST", "/api/v1/tokens", body, 201)
	return out["id"].(string), out["token"].(string)
}

// do sends a request and returns its status and body; failures are
// reported on t (safe in subtests, unlike apptest.Env.Do).
func do(t testing.TB, env *apptest.Env, method, path, token string, body any) (int, []byte) {
	t.Helper()
	r := send(t, env, method, path, token, body)
	return r.Status, r.Body
}

// doJSON sends a request as the admin, requires status want and decodes
// the answer (nil for an empty body).
func doJSON(t testing.TB, env *apptest.Env, method, path string, body any, want int) map[string]any {
	t.Helper()
	return doJSONAs(t, env, admin, method, path, body, want)
}

// doJSONAs is doJSON with a given token.
func doJSONAs(t testing.TB, env *apptest.Env, token, method, path string, body any, want int) map[string]any {
	t.Helper()
	r := send(t, env, method, path, token, body)
	require.Equal(t, want, r.Status, "%s %s answered %s", method, path, r.Body)
	if len(r.Body) == 0 {
		return nil
	}
	return r.JSON(t)
}
