package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
)

// TestOperationExamples is the honesty test of the OpenAPI document: every
// operation has a description and a response example, and every request
// example — with its path and query examples — is sent to a fresh server,
// which must answer 2xx. The example ids (…_01jd000…) are mapped to live
// resources. With -update it records the live answers as the response
// examples (testdata/response_examples.json, embedded in the binary).
func TestOperationExamples(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	api := env.App.Server.API

	// Live resources for the example ids.
	base := doJSON(t, env, "POST", "/api/v1/bases", map[string]any{"name": "Shop"}, 201)["id"].(string)
	tbl := doJSON(t, env, "POST", "/api/v1/bases/"+base+"/tables", map[string]any{"name": "Orders 2025", "fields": []any{
		map[string]any{"name": "Name", "type": "text"},
		map[string]any{"name": "Status", "type": "single_select", "options": map[string]any{"choices": []any{map[string]any{"name": "Todo"}, map[string]any{"name": "Done"}}}},
		map[string]any{"name": "Amount", "type": "number", "options": map[string]any{"precision": 2}},
		map[string]any{"name": "Email", "type": "email"},
	}}, 201)
	table := tbl["id"].(string)
	_ = tbl["fields"] // the example field id is the button (below): the only route with a field id
	rec := createRecord(t, env, table, map[string]any{"Name": "Order 1", "Status": "Done", "Amount": 120})
	rec2 := createRecord(t, env, table, map[string]any{"Name": "Order 0"})
	view := doJSON(t, env, "POST", "/api/v1/tables/"+table+"/views", map[string]any{"name": "All"}, 201)["id"].(string)
	form := doJSON(t, env, "POST", "/api/v1/tables/"+table+"/forms", map[string]any{"name": "F", "public": true,
		"fields": []any{map[string]any{"field": "Name"}, map[string]any{"field": "Amount"}, map[string]any{"field": "Email"}}}, 201)["id"].(string)
	tok, _ := createToken(t, env, "viewer")
	aut := doJSON(t, env, "POST", "/api/v1/bases/"+base+"/automations", map[string]any{"name": "a",
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": table}}, "steps": []any{}}, 201)["id"].(string)
	run := doJSON(t, env, "POST", "/api/v1/automations/"+aut+"/test", map[string]any{"mode": "live", "record_id": rec}, 202)["id"].(string)
	// The newer resources: a user with a token of theirs (notifications
	// and /me answer for a token's user) and a notification, an incoming
	// webhook with a stored request, a connection, and a button field.
	user := doJSON(t, env, "POST", "/api/v1/users", map[string]any{"email": "ada@example.com", "name": "Ada"}, 201)["id"].(string)
	userToken := doJSON(t, env, "POST", "/api/v1/tokens", map[string]any{"name": "ada", "role": "owner", "user_id": user}, 201)["token"].(string)
	note := "ntf_01m8examplenotification00"
	_, err := env.App.Pool.Exec(context.Background(), `INSERT INTO notifications (id, user_id, title, base_id) VALUES ($1, $2, 'New order', $3)`, note, user, base)
	require.NoError(t, err)
	hook := doJSON(t, env, "POST", "/api/v1/webhooks", map[string]any{"base_id": base, "name": "in", "auth": map[string]any{"mode": "none"}}, 201)["id"].(string)
	hookReq := doJSON(t, env, "POST", "/api/v1/webhooks/"+hook+"/trigger", map[string]any{"n": 1}, 202)["request_id"].(string)
	conn := doJSON(t, env, "POST", "/api/v1/bases/"+base+"/connections", map[string]any{"name": "Team chat", "type": "teams",
		"config": map[string]any{"webhook_url": "https://example.com/workflows/hook"}}, 201)["id"].(string)
	button := doJSON(t, env, "POST", "/api/v1/tables/"+table+"/fields", map[string]any{"name": "Ship", "type": "button"}, 201)["id"].(string)
	doJSON(t, env, "POST", "/api/v1/bases/"+base+"/automations", map[string]any{"name": "ship",
		"trigger": map[string]any{"type": "button_clicked", "config": map[string]any{"table_id": table, "field_id": button}}, "steps": []any{}}, 201)
	// A run to cancel (queued, no job yet) and a failed run to retry (its
	// one step, a read-only find_records, failed), inserted as the runtime
	// leaves them.
	steered := doJSON(t, env, "POST", "/api/v1/bases/"+base+"/automations", map[string]any{"name": "steered",
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": table}},
		"steps":   []any{map[string]any{"id": "find", "type": "find_records", "config": map[string]any{"table_id": table, "limit": 1}}}}, 201)["id"].(string)
	queuedRun, failedRun := "run_01m8examplequeuedrun000000", "run_01m8examplefailedrun000000"
	_, err = env.App.Pool.Exec(context.Background(), `INSERT INTO runs (id, automation_id, version, base_id, trigger_type, trigger_data, status, error, event_key)
		VALUES ($1, $3, 1, $4, 'record_created', '{}', 'queued', NULL, 'example:queued'),
		       ($2, $3, 1, $4, 'record_created', '{}', 'failed', 'step find (find_records) failed: example', 'example:failed')`, queuedRun, failedRun, steered, base)
	require.NoError(t, err)
	_, err = env.App.Pool.Exec(context.Background(), `INSERT INTO run_steps (run_id, step_index, step_id, type, status, attempts, error, started_at, finished_at)
		VALUES ($1, 0, 'find', 'find_records', 'failed', 3, 'example', now(), now())`, failedRun)
	require.NoError(t, err)
	live := map[string]string{
		"run_01jd0000000000000000000001": queuedRun, "run_01jd0000000000000000000002": failedRun,
		"usr_01jd0000000000000000000000": user, "ntf_01jd0000000000000000000000": note,
		"whk_01jd0000000000000000000000": hook, "whr_01jd0000000000000000000000": hookReq,
		"con_01jd0000000000000000000000": conn,
		"bas_01jd0000000000000000000000": base, "tbl_01jd0000000000000000000000": table,
		"fld_01jd0000000000000000000000": button, "rec_01jd0000000000000000000000": rec,
		"rec_01jd0000000000000000000001": rec2, "viw_01jd0000000000000000000000": view,
		"frm_01jd0000000000000000000000": form, "tok_01jd0000000000000000000000": tok,
		"aut_01jd0000000000000000000000": aut, "run_01jd0000000000000000000000": run,
		// The bulk delete's ids: the second record (the first is deleted
		// by its own operation).
		"rec_a,rec_b": rec2,
	}
	toLive := func(s string) string {
		for ex, id := range live {
			s = strings.ReplaceAll(s, ex, id)
		}
		return s
	}

	responses := map[string]json.RawMessage{}
	var missingDoc, missingRequest, missingResponse []string
	var recorded map[string]json.RawMessage
	raw, err := os.ReadFile(filepath.Join("testdata", "response_examples.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &recorded))

	sent := 0
	for _, op := range operations(api.OpenAPI()) {
		key := op.Method + " " + op.Path
		if op.Description == "" {
			missingDoc = append(missingDoc, op.OperationID)
		}
		path := op.Path
		for _, p := range op.Parameters {
			ex := paramExample(p)
			switch p.In {
			case "path":
				path = strings.ReplaceAll(path, "{"+p.Name+"}", ex)
			}
		}
		var qs []string
		for _, p := range op.Parameters {
			if p.In == "query" && (p.Required || sendOptionalQuery[op.OperationID]) {
				qs = append(qs, p.Name+"="+url.QueryEscape(toLive(paramExample(p))))
			}
		}
		path = toLive(path)
		if len(qs) > 0 {
			path += "?" + strings.Join(qs, "&")
		}
		var body any
		if op.RequestBody != nil {
			mt := op.RequestBody.Content["application/json"]
			if mt == nil || mt.Example == nil {
				missingRequest = append(missingRequest, op.OperationID)
				continue
			}
			b, err := json.Marshal(mt.Example)
			require.NoError(t, err)
			body = toLive(string(b))
		}
		sent++
		token := admin
		if strings.HasPrefix(op.Path, "/api/v1/notifications") || op.Path == "/api/v1/me" {
			token = userToken
		}
		if op.OperationID == "stream-notifications" {
			// An event stream never ends: its headers are the answer.
			require.Equal(t, http.StatusOK, sendHead(t, env, op.Method, path, token).Status)
			continue
		}
		r := send(t, env, op.Method, path, token, body)
		if !assert.True(t, r.Status >= 200 && r.Status < 300, "%s (%s %s): the request example answered %d: %s", op.OperationID, key, path, r.Status, r.Body) {
			continue
		}
		if len(r.Body) > 0 {
			responses[op.OperationID] = normalizeAnswer(r.Body, live)
		}
		if _, ok := recorded[op.OperationID]; !ok && len(r.Body) > 0 {
			missingResponse = append(missingResponse, op.OperationID)
		}
	}
	if *update {
		b, err := json.MarshalIndent(responses, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join("testdata", "response_examples.json"), append(b, '\n'), 0o644))
		return
	}
	t.Logf("sent %d operations' examples, all 2xx; %d answers with a body", sent, len(responses))
	sort.Strings(missingRequest)
	if len(missingRequest) > 0 {
		t.Logf("operations without a request example (not sent): %s", strings.Join(missingRequest, ", "))
	}
	assert.Empty(t, missingDoc, "operations without a description")
	assert.Empty(t, missingResponse, "operations without a response example: run with -update")
}

// sendOptionalQuery names the operations whose optional query parameters
// are sent with their examples too (a parameter required only for some
// resources, such as explain's record_id for a record trigger).
var sendOptionalQuery = map[string]bool{"explain-automation": true}

// paramExample is a parameter's example value ("" when it has none).
func paramExample(p *huma.Param) string {
	if p.Example != nil {
		return toString(p.Example)
	}
	if p.Schema != nil && len(p.Schema.Examples) > 0 {
		return toString(p.Schema.Examples[0])
	}
	return ""
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

var (
	liveID    = regexp.MustCompile(`\b(bas|tbl|fld|rec|viw|frm|tok|aut|run)_[0-9a-z]{26}\b`)
	timestamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
	secret    = regexp.MustCompile(`\brf_[A-Za-z0-9_-]{20,}`)
)

// normalizeAnswer turns a live answer into a stable example: live ids back
// to the example ids (others to an example id of their kind), times and
// token secrets fixed.
func normalizeAnswer(body []byte, live map[string]string) json.RawMessage {
	back := map[string]string{}
	for ex, id := range live {
		if liveID.MatchString(ex) {
			back[id] = ex
		}
	}
	s := liveID.ReplaceAllStringFunc(string(body), func(id string) string {
		if ex, ok := back[id]; ok {
			return ex
		}
		return id[:4] + "01jd00000000000000000000ff"
	})
	s = timestamp.ReplaceAllString(s, "2026-01-01T12:00:00Z")
	s = secret.ReplaceAllString(s, "rf_example_secret_shown_once")
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return json.RawMessage(`null`)
	}
	b, _ := json.Marshal(v)
	return b
}
