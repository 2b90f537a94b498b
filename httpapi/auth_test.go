package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
	"github.com/rowflow/rowflow/auth"
	"github.com/rowflow/rowflow/automation"
	"github.com/rowflow/rowflow/notify"
)

// TestTokenLifecycle: the secret is answered once, only its hash is
// stored, GET never shows it, and a deleted token is refused.
func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)

	created := doJSON(t, env, "POST", "/api/v1/tokens", map[string]any{"name": "ci", "role": "editor"}, http.StatusCreated)
	id, secret := created["id"].(string), created["token"].(string)
	require.True(t, strings.HasPrefix(id, "tok_"), id)
	require.True(t, strings.HasPrefix(secret, "rf_"), secret)
	require.Equal(t, "ci", created["name"])
	require.Equal(t, "editor", created["role"])

	// Only the hash is stored: the secret appears in no column.
	var rows int
	require.NoError(t, env.App.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM api_tokens WHERE id = $1 AND token_hash = $2 AND position($3 in row_to_json(api_tokens)::text) = 0`,
		id, auth.HashToken(secret), secret).Scan(&rows))
	require.Equal(t, 1, rows)

	status, raw := do(t, env, "GET", "/api/v1/tokens", admin, nil)
	require.Equal(t, http.StatusOK, status, "%s", raw)
	require.NotContains(t, string(raw), secret)
	require.NotContains(t, string(raw), `"token"`)
	var list struct {
		Items []map[string]any `json:"items"`
	}
	require.NoError(t, json.Unmarshal(raw, &list))
	require.True(t, slices.ContainsFunc(list.Items, func(m map[string]any) bool { return m["id"] == id && m["role"] == "editor" }), "%s", raw)

	doJSONAs(t, env, secret, "GET", "/api/v1/bases", nil, http.StatusOK)
	// The token's use is recorded.
	listed := doJSON(t, env, "GET", "/api/v1/tokens", nil, http.StatusOK)["items"].([]any)
	for _, it := range listed {
		if it.(map[string]any)["id"] == id {
			require.NotEmpty(t, it.(map[string]any)["last_used_at"])
		}
	}

	status, raw = do(t, env, "DELETE", "/api/v1/tokens/"+id, admin, nil)
	require.Equal(t, http.StatusNoContent, status, "%s", raw)
	r := send(t, env, "GET", "/api/v1/bases", secret, nil)
	require.Equal(t, http.StatusUnauthorized, r.Status, "%s", r.Body)
	require.Contains(t, r.Header.Get("WWW-Authenticate"), "Bearer")
	status, raw = do(t, env, "DELETE", "/api/v1/tokens/"+id, admin, nil)
	require.Equal(t, http.StatusNotFound, status, "%s", raw)

	for _, tc := range []struct {
		name string
		body any
	}{
		{"bad role", map[string]any{"name": "x", "role": "god"}},
		{"no name", map[string]any{"role": "viewer"}},
		{"unknown base", map[string]any{"name": "x", "role": "viewer", "base_ids": []any{"bas_missing"}}},
		{"unknown property", map[string]any{"name": "x", "role": "viewer", "secret": "mine"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := do(t, env, "POST", "/api/v1/tokens", admin, tc.body)
			require.Equal(t, http.StatusUnprocessableEntity, status, "%s", raw)
		})
	}
}

// TestRoles: what each kind of caller may do.
func TestRoles(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := createSchema(t, env)
	rec := createRecord(t, env, s.ItemsID, map[string]any{"Name": "x"})
	_, owner := createToken(t, env, "owner")
	_, editor := createToken(t, env, "editor")
	_, viewer := createToken(t, env, "viewer")
	deletable := func(t *testing.T) string {
		return doJSON(t, env, "POST", "/api/v1/bases", map[string]any{"name": "tmp"}, 201)["id"].(string)
	}
	recs := "/api/v1/tables/" + s.ItemsID + "/records"

	type call struct {
		method, path string
		body         any
	}
	calls := map[string]func(t *testing.T) call{
		"read base":    func(*testing.T) call { return call{"GET", "/api/v1/bases/" + s.BaseID, nil} },
		"list records": func(*testing.T) call { return call{"GET", recs, nil} },
		"get record":   func(*testing.T) call { return call{"GET", recs + "/" + rec, nil} },
		"list tables":  func(*testing.T) call { return call{"GET", "/api/v1/bases/" + s.BaseID + "/tables", nil} },
		"create record": func(*testing.T) call {
			return call{"POST", recs, map[string]any{"fields": map[string]any{"Name": "y"}}}
		},
		"patch record": func(*testing.T) call {
			return call{"PATCH", recs + "/" + rec, map[string]any{"fields": map[string]any{"Amount": 1}}}
		},
		"delete record": func(t *testing.T) call {
			return call{"DELETE", recs + "/" + createRecord(t, env, s.ItemsID, map[string]any{}), nil}
		},
		"create table": func(*testing.T) call {
			return call{"POST", "/api/v1/bases/" + s.BaseID + "/tables", map[string]any{"name": fmt.Sprintf("T%d", time.Now().UnixNano())}}
		},
		"create view": func(*testing.T) call {
			return call{"POST", "/api/v1/tables/" + s.ItemsID + "/views", map[string]any{"name": fmt.Sprintf("V%d", time.Now().UnixNano())}}
		},
		"create base": func(*testing.T) call { return call{"POST", "/api/v1/bases", map[string]any{"name": "new"}} },
		"delete base": func(t *testing.T) call { return call{"DELETE", "/api/v1/bases/" + deletable(t), nil} },
		"create token": func(*testing.T) call {
			return call{"POST", "/api/v1/tokens", map[string]any{"name": "t", "role": "viewer"}}
		},
		"list tokens":   func(*testing.T) call { return call{"GET", "/api/v1/tokens", nil} },
		"list bases":    func(*testing.T) call { return call{"GET", "/api/v1/bases", nil} },
		"openapi anon.": func(*testing.T) call { return call{"GET", "/openapi.json", nil} },
	}
	for _, tc := range []struct {
		who   string
		token string
		want  map[string]int
	}{
		{"admin", admin, map[string]int{
			"read base": 200, "list records": 200, "get record": 200, "list tables": 200, "create record": 201, "patch record": 200,
			"delete record": 204, "create table": 201, "create view": 201, "create base": 201, "delete base": 204,
			"create token": 201, "list tokens": 200, "list bases": 200, "openapi anon.": 200,
		}},
		{"owner", owner, map[string]int{
			"read base": 200, "list records": 200, "get record": 200, "list tables": 200, "create record": 201, "patch record": 200,
			"delete record": 204, "create table": 201, "create view": 201, "create base": 201, "delete base": 204,
			"create token": 201, "list tokens": 200, "list bases": 200, "openapi anon.": 200,
		}},
		{"editor", editor, map[string]int{
			"read base": 200, "list records": 200, "get record": 200, "list tables": 200, "create record": 201, "patch record": 200,
			"delete record": 204, "create table": 201, "create view": 201, "create base": 201, "delete base": 403,
			"create token": 403, "list tokens": 403, "list bases": 200, "openapi anon.": 200,
		}},
		{"viewer", viewer, map[string]int{
			"read base": 200, "list records": 200, "get record": 200, "list tables": 200, "create record": 403, "patch record": 403,
			"delete record": 403, "create table": 403, "create view": 403, "create base": 403, "delete base": 403,
			"create token": 403, "list tokens": 403, "list bases": 200, "openapi anon.": 200,
		}},
		{"no token", "", map[string]int{
			"read base": 401, "list records": 401, "get record": 401, "list tables": 401, "create record": 401, "patch record": 401,
			"delete record": 401, "create table": 401, "create view": 401, "create base": 401, "delete base": 401,
			"create token": 401, "list tokens": 401, "list bases": 401, "openapi anon.": 200,
		}},
		{"bad token", "rf_not-a-token", map[string]int{
			"read base": 401, "list records": 401, "get record": 401, "list tables": 401, "create record": 401, "patch record": 401,
			"delete record": 401, "create table": 401, "create view": 401, "create base": 401, "delete base": 401,
			"create token": 401, "list tokens": 401, "list bases": 401, "openapi anon.": 200,
		}},
	} {
		t.Run(tc.who, func(t *testing.T) {
			require.Len(t, tc.want, len(calls))
			for name, mk := range calls {
				c := mk(t)
				r := send(t, env, c.method, c.path, tc.token, c.body)
				require.Equal(t, tc.want[name], r.Status, "%s: %s %s answered %s", name, c.method, c.path, r.Body)
				if r.Status == http.StatusUnauthorized {
					require.Contains(t, r.Header.Get("WWW-Authenticate"), "Bearer", name)
					require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), name)
				}
			}
		})
	}
	// The refused writes wrote nothing: the record is as created.
	require.Equal(t, map[string]any{"Name": "x"}, pick(getFields(t, env, s.ItemsID, rec), "Name"))

	// Other spellings of the credentials.
	for _, h := range []string{"bearer " + admin, "Bearer  " + admin + " "} {
		req, err := http.NewRequest("GET", env.URL+"/api/v1/bases", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", h)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "Authorization: %q", h)
	}
	for _, h := range []string{"Basic " + admin, admin, "Bearer"} {
		req, err := http.NewRequest("GET", env.URL+"/api/v1/bases", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", h)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "Authorization: %q", h)
	}
}

// pick keeps the named keys of m.
func pick(m map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

// TestScopedTokenListsItsBases: GET /bases with a scoped token lists only
// its bases; it cannot create bases nor mint wider tokens.
func TestScopedTokenListsItsBases(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	var bases []string
	for i := range 4 {
		bases = append(bases, doJSON(t, env, "POST", "/api/v1/bases", map[string]any{"name": fmt.Sprintf("b%d", i)}, 201)["id"].(string))
	}
	sort.Strings(bases) // ids sort by creation time only to the millisecond
	_, scoped := createToken(t, env, "owner", bases[1], bases[3])
	ids := func(t *testing.T, token, query string) []string {
		var out []string
		for _, it := range doJSONAs(t, env, token, "GET", "/api/v1/bases"+query, nil, 200)["items"].([]any) {
			out = append(out, it.(map[string]any)["id"].(string))
		}
		return out
	}
	require.Equal(t, []string{bases[1], bases[3]}, ids(t, scoped, ""))
	require.Equal(t, bases, ids(t, admin, ""))
	// Pagination keeps the scope.
	page := doJSONAs(t, env, scoped, "GET", "/api/v1/bases?limit=1", nil, 200)
	require.Len(t, page["items"], 1)
	require.Equal(t, []string{bases[3]}, ids(t, scoped, "?limit=1&cursor="+page["next_cursor"].(string)))

	status, raw := do(t, env, "POST", "/api/v1/bases", scoped, map[string]any{"name": "mine"})
	require.Equal(t, http.StatusForbidden, status, "%s", raw)
	// A token it mints is no wider than itself.
	minted := doJSONAs(t, env, scoped, "POST", "/api/v1/tokens", map[string]any{"name": "child", "role": "viewer"}, 201)
	require.ElementsMatch(t, []any{bases[1], bases[3]}, minted["base_ids"])
	require.Equal(t, []string{bases[1], bases[3]}, ids(t, minted["token"].(string), ""))
	for _, wider := range [][]any{{bases[0]}, {bases[1], bases[0]}, {}} {
		status, raw = do(t, env, "POST", "/api/v1/tokens", scoped, map[string]any{"name": "wider", "role": "owner", "base_ids": wider})
		requireProblemAt(t, status, raw, map[bool]string{true: "base_ids", false: fmt.Sprintf("base_ids[%d]", len(wider)-1)}[len(wider) == 0], "")
	}
	// An empty list is no way to an unscoped token, for anyone.
	status, raw = do(t, env, "POST", "/api/v1/tokens", admin, map[string]any{"name": "none", "role": "owner", "base_ids": []any{}})
	requireProblemAt(t, status, raw, "base_ids", "at least one base")
	// It lists and deletes only tokens within its scope.
	otherID, _ := createToken(t, env, "viewer", bases[0])
	tokens := doJSONAs(t, env, scoped, "GET", "/api/v1/tokens", nil, 200)["items"].([]any)
	for _, tok := range tokens {
		require.NotEqual(t, otherID, tok.(map[string]any)["id"])
	}
	status, raw = do(t, env, "DELETE", "/api/v1/tokens/"+otherID, scoped, nil)
	require.Equal(t, http.StatusNotFound, status, "%s", raw)
}

// TestTokenScopingOnEveryRoute walks every operation of the API with a
// token scoped to base A, pointing it at resources of base B: everything
// inside B must answer 404. Operations that are not bound to a base are
// listed in notBaseBound with their expected status; an operation that is
// neither fails the test, so a new route cannot escape the check.
func TestTokenScopingOnEveryRoute(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	ctx := context.Background()
	api := env.App.Server.API
	oapi := api.OpenAPI()
	hasOp := func(method, path string) bool {
		for _, op := range operations(oapi) {
			if op.Method == method && op.Path == path {
				return true
			}
		}
		return false
	}

	a := createSchema(t, env)
	b := createSchema(t, env)
	recB := createRecord(t, env, b.ItemsID, map[string]any{"Name": "secret"})
	viewB := doJSON(t, env, "POST", "/api/v1/tables/"+b.ItemsID+"/views", map[string]any{"name": "V"}, 201)["id"].(string)
	formB := doJSON(t, env, "POST", "/api/v1/tables/"+b.ItemsID+"/forms", map[string]any{"name": "F", "fields": []any{map[string]any{"field": "Name"}}}, 201)["id"].(string)
	tokenB, _ := createToken(t, env, "owner", b.BaseID)
	automationB := "aut_00000000000000000000000000"
	automationBody := map[string]any{"name": "a", "trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": b.ItemsID}}, "steps": []any{}}
	runB := "run_00000000000000000000000000"
	if hasOp("POST", "/api/v1/bases/{base_id}/automations") {
		automationB = doJSON(t, env, "POST", "/api/v1/bases/"+b.BaseID+"/automations", automationBody, 201)["id"].(string)
		if id := findRun(t, env, automationB, b.ItemsID, hasOp); id != "" {
			runB = id
		}
	}
	connectionB := doJSON(t, env, "POST", "/api/v1/bases/"+b.BaseID+"/connections", map[string]any{"name": "c", "type": "teams",
		"config": map[string]any{"webhook_url": "https://example.com/workflows/secret"}}, 201)["id"].(string)
	// An incoming webhook of B (hmac: the walk's bearer token is no
	// signature) with one stored request, sent while its auth was none.
	webhookB := doJSON(t, env, "POST", "/api/v1/webhooks", map[string]any{"base_id": b.BaseID, "name": "in", "auth": map[string]any{"mode": "hmac"}}, 201)["id"].(string)
	openB := doJSON(t, env, "POST", "/api/v1/webhooks", map[string]any{"base_id": b.BaseID, "name": "open", "auth": map[string]any{"mode": "none"}}, 201)["id"].(string)
	sent := send(t, env, "POST", "/api/v1/webhooks/"+openB+"/trigger", "", map[string]any{"n": 1})
	require.Equal(t, http.StatusAccepted, sent.Status, "%s", sent.Body)
	requestB := sent.JSON(t)["request_id"].(string)
	var requestsOfB int
	require.NoError(t, env.App.Pool.QueryRow(ctx, `SELECT count(*) FROM webhook_requests`).Scan(&requestsOfB))
	t.Logf("base B %s: automation %s, run %s, connection %s", b.BaseID, automationB, runB, connectionB)
	ids := map[string]string{
		"base_id": b.BaseID, "table_id": b.ItemsID, "field_id": b.Fields["Go"], "record_id": recB,
		"view_id": viewB, "form_id": formB, "token_id": tokenB, "automation_id": automationB, "run_id": runB, "n": "1",
		"connection_id": connectionB,
		"webhook_id":    webhookB, "request_id": requestB,
	}
	// {id} and other names resolve by the collection before them.
	byCollection := map[string]string{
		"bases": "base_id", "tables": "table_id", "fields": "field_id", "records": "record_id", "views": "view_id",
		"forms": "form_id", "tokens": "token_id", "automations": "automation_id", "runs": "run_id",
		"connections": "connection_id",
		"webhooks":    "webhook_id", "requests": "request_id", "buttons": "field_id",
	}

	// The scoped token belongs to a user, who has a notification from an
	// automation of base B: the user's own calls answer, B's notification
	// does not exist for a token of A.
	walker := doJSON(t, env, "POST", "/api/v1/users", map[string]any{"email": "walker@example.com"}, 201)["id"].(string)
	other := doJSON(t, env, "POST", "/api/v1/users", map[string]any{"email": "other@example.com"}, 201)["id"].(string)
	scoped := doJSON(t, env, "POST", "/api/v1/tokens", map[string]any{"name": "walker", "role": "owner", "base_ids": []any{a.BaseID}, "user_id": walker}, 201)["token"].(string)
	tx, err := env.App.Pool.Begin(ctx)
	require.NoError(t, err)
	noteB, err := env.App.Notifications.Insert(ctx, tx, notify.Message{User: walker, Title: "from B", BaseID: b.BaseID})
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	ids["user_id"], ids["notification_id"] = other, noteB.ID
	doJSONAs(t, env, scoped, "GET", "/api/v1/tables/"+a.ItemsID+"/records", nil, 200) // the token works in A
	recordsOfB := len(listAll(t, env, b.ItemsID, ""))

	// Operations not bound to a base, with the status the A-scoped token
	// gets (bodies and ids as below).
	notBaseBound := map[string]int{
		"GET /healthz":                     200,
		"GET /readyz":                      200,
		"GET /api/v1/bases":                200,
		"POST /api/v1/bases":               403, // a scoped token cannot create bases
		"GET /api/v1/tokens":               200,
		"POST /api/v1/tokens":              422, // base_ids names B: "no base"
		"DELETE /api/v1/tokens/{token_id}": 404, // a token scoped to B
		// Users span bases: a base-scoped owner may not manage them.
		"GET /api/v1/users":                   403,
		"POST /api/v1/users":                  403,
		"GET /api/v1/users/{user_id}":         403,
		"PATCH /api/v1/users/{user_id}":       403,
		"DELETE /api/v1/users/{user_id}":      403,
		"GET /api/v1/me":                      200,
		"GET /api/v1/notifications":           200, // without B's (checked below)
		"POST /api/v1/notifications/read-all": 200, // leaves B's unread (checked below)
		"GET /api/v1/notifications/stream":    200, // without B's (the stream filters by the same scope)
		// token-less by design: the webhook's own auth refuses the bearer
		// token (its auth modes are tested in e2e/incoming_webhook_test.go)
		"POST /api/v1/webhooks/{webhook_id}/trigger": 401,
	}
	// Request bodies that pass validation, so only scoping can refuse them.
	bodies := map[string]any{
		"POST /api/v1/bases":                                    map[string]any{"name": "x"},
		"POST /api/v1/tokens":                                   map[string]any{"name": "x", "role": "viewer", "base_ids": []any{b.BaseID}},
		"POST /api/v1/bases/{base_id}/tables":                   map[string]any{"name": "x"},
		"POST /api/v1/tables/{table_id}/fields":                 map[string]any{"name": "x", "type": "text"},
		"POST /api/v1/tables/{table_id}/records":                map[string]any{"fields": map[string]any{"Name": "x"}},
		"PATCH /api/v1/tables/{table_id}/records":               map[string]any{"records": []any{map[string]any{"id": recB, "fields": map[string]any{"Name": "x"}}}},
		"PATCH /api/v1/tables/{table_id}/records/{record_id}":   map[string]any{"fields": map[string]any{"Name": "x"}},
		"POST /api/v1/tables/{table_id}/views":                  map[string]any{"name": "x"},
		"POST /api/v1/tables/{table_id}/forms":                  map[string]any{"name": "x", "fields": []any{map[string]any{"field": "Name"}}},
		"POST /api/v1/forms/{form_id}/submit":                   map[string]any{"fields": map[string]any{"Name": "x"}},
		"POST /api/v1/bases/{base_id}/automations":              automationBody,
		"PATCH /api/v1/automations/{automation_id}":             map[string]any{"name": "b"},
		"POST /api/v1/automations/{automation_id}/test":         map[string]any{},
		"POST /api/v1/tables/{table_id}/records/{record_id}/go": map[string]any{},
		"POST /api/v1/bases/{base_id}/connections":              map[string]any{"name": "x", "type": "teams", "config": map[string]any{"webhook_url": "https://example.com/x"}},
		"PATCH /api/v1/connections/{connection_id}":             map[string]any{"name": "y"},
		"POST /api/v1/webhooks":                                 map[string]any{"base_id": b.BaseID, "name": "x", "auth": map[string]any{"mode": "none"}},
		"PATCH /api/v1/webhooks/{webhook_id}":                   map[string]any{"name": "x"},
		"POST /api/v1/webhooks/{webhook_id}/rotate-secret":      map[string]any{},
		"POST /api/v1/webhooks/{webhook_id}/trigger":            map[string]any{"n": 2},
	}
	queries := map[string]string{"ids": recB, "record_id": recB, "base_id": b.BaseID}

	ops := operations(oapi)
	require.NotEmpty(t, ops)
	seen := map[string]bool{}
	checked := 0
	for _, op := range ops {
		key := op.Method + " " + op.Path
		seen[key] = true
		path := op.Path
		for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(op.Path, -1) {
			name := m[1]
			id, ok := ids[name]
			if !ok {
				if parts := strings.Split(strings.Split(op.Path, m[0])[0], "/"); len(parts) >= 2 {
					id, ok = ids[byCollection[parts[len(parts)-2]]]
				}
			}
			if !ok {
				t.Errorf("%s: no resource of base B for path parameter {%s}: add it to the substitution table of this test", key, name)
				continue
			}
			path = strings.Replace(path, m[0], id, 1)
		}
		var qs []string
		for _, p := range op.Parameters {
			if p.In == "query" && p.Required {
				v, ok := queries[p.Name]
				if !ok {
					v = "x"
				}
				qs = append(qs, p.Name+"="+q(v))
			}
		}
		if len(qs) > 0 {
			path += "?" + strings.Join(qs, "&")
		}
		var body any
		if op.RequestBody != nil {
			var ok bool
			if body, ok = bodies[key]; !ok {
				body = exampleBody(api, op, ids)
			}
		}
		var r response
		if ok200 := op.Responses["200"]; ok200 != nil && ok200.Content["text/event-stream"] != nil {
			r = sendHead(t, env, op.Method, path, scoped) // a stream never ends by itself
		} else {
			r = send(t, env, op.Method, path, scoped, body)
		}
		want, allowed := notBaseBound[key]
		if !allowed {
			want = http.StatusNotFound
		}
		if r.Status != want {
			t.Errorf("%s (%s %s) with a token scoped to another base answered %d, want %d: %s", key, op.Method, path, r.Status, want, r.Body)
		}
		checked++
	}
	for key := range notBaseBound {
		if !seen[key] {
			t.Errorf("notBaseBound lists %q, which is not an operation any more", key)
		}
	}
	t.Logf("walked %d operations", checked)
	require.GreaterOrEqual(t, checked, 25, "the walk missed operations")

	// Nothing of B changed.
	require.Equal(t, "secret", getFields(t, env, b.ItemsID, recB)["Name"])
	require.Len(t, listAll(t, env, b.ItemsID, ""), recordsOfB)
	require.Len(t, doJSON(t, env, "GET", "/api/v1/bases/"+b.BaseID+"/tables", nil, 200)["items"], 2)
	require.Len(t, doJSON(t, env, "GET", "/api/v1/tables/"+b.ItemsID+"/views", nil, 200)["items"], 1)
	require.Len(t, doJSON(t, env, "GET", "/api/v1/tables/"+b.ItemsID+"/forms", nil, 200)["items"], 1)
	require.Len(t, doJSON(t, env, "GET", "/api/v1/tables/"+b.ItemsID, nil, 200)["fields"], len(itemFields(b.TargetsID)))
	doJSON(t, env, "GET", "/api/v1/forms/"+formB, nil, 200)
	require.Equal(t, "c", doJSON(t, env, "GET", "/api/v1/connections/"+connectionB, nil, 200)["name"], "B's connection changed")
	require.Len(t, doJSON(t, env, "GET", "/api/v1/bases/"+b.BaseID+"/connections", nil, 200)["items"], 1)
	tokens := doJSON(t, env, "GET", "/api/v1/tokens", nil, 200)["items"].([]any)
	require.True(t, slices.ContainsFunc(tokens, func(x any) bool { return x.(map[string]any)["id"] == tokenB }), "B's token was deleted")
	var n int
	require.NoError(t, env.App.Pool.QueryRow(ctx, `SELECT count(*) FROM api_tokens WHERE 'x' = name`).Scan(&n))
	require.Zero(t, n, "a token was minted for B")
	// B's webhooks are as they were: none added, renamed, rotated or
	// deleted, no request stored or replayed.
	require.NoError(t, env.App.Pool.QueryRow(ctx, `SELECT count(*) FROM webhooks WHERE base_id = $1 AND name IN ('in', 'open') AND previous_secret IS NULL`, b.BaseID).Scan(&n))
	require.Equal(t, 2, n)
	require.NoError(t, env.App.Pool.QueryRow(ctx, `SELECT count(*) FROM webhooks`).Scan(&n))
	require.Equal(t, 2, n)
	require.NoError(t, env.App.Pool.QueryRow(ctx, `SELECT count(*) FROM webhook_requests`).Scan(&n))
	require.Equal(t, requestsOfB, n)
	require.Empty(t, doJSONAs(t, env, scoped, "GET", "/api/v1/notifications", nil, 200)["items"], "B's notification was listed")
	require.NoError(t, env.App.Pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE id = $1 AND read_at IS NULL`, noteB.ID).Scan(&n))
	require.Equal(t, 1, n, "B's notification was marked read")
	require.NoError(t, env.App.Pool.QueryRow(ctx, `SELECT count(*) FROM users WHERE id = $1 AND email = 'other@example.com'`, other).Scan(&n))
	require.Equal(t, 1, n, "the other user was changed")
}

// sendHead sends a request and answers its status once the headers came,
// without waiting for the body (an event stream).
func sendHead(t testing.TB, env *apptest.Env, method, path, token string) response {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, env.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var raw []byte
	if resp.StatusCode != http.StatusOK {
		raw, _ = io.ReadAll(resp.Body)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// operations lists every operation of the OpenAPI document, reads first
// and deletes last (so a broken delete cannot hide other failures).
func operations(oapi *huma.OpenAPI) []*huma.Operation {
	var ops []*huma.Operation
	for _, item := range oapi.Paths {
		for _, op := range []*huma.Operation{item.Get, item.Head, item.Post, item.Put, item.Patch, item.Options, item.Trace, item.Delete} {
			if op != nil {
				ops = append(ops, op)
			}
		}
	}
	rank := func(op *huma.Operation) int {
		if op.Method == http.MethodDelete && op.Path == "/api/v1/bases/{base_id}" {
			return 4 // deleting the base would take everything else with it
		}
		return map[string]int{"GET": 0, "HEAD": 0, "POST": 1, "PUT": 2, "PATCH": 2, "DELETE": 3}[op.Method]
	}
	sort.Slice(ops, func(i, j int) bool {
		if rank(ops[i]) != rank(ops[j]) {
			return rank(ops[i]) < rank(ops[j])
		}
		if len(ops[i].Path) != len(ops[j].Path) {
			return len(ops[i].Path) > len(ops[j].Path) // a child before its parent
		}
		return ops[i].Path < ops[j].Path
	})
	return ops
}

// exampleBody builds a request body for an operation this test has no
// body for: the media type's example when there is one, else the required
// properties of its schema with plausible values (ids of base B for
// properties named like a path parameter).
func exampleBody(api huma.API, op *huma.Operation, ids map[string]string) any {
	mt := op.RequestBody.Content["application/json"]
	if mt == nil {
		return map[string]any{}
	}
	if mt.Example != nil {
		return substituteIDs(mt.Example, ids)
	}
	return fromSchema(api.OpenAPI().Components.Schemas, mt.Schema, ids, 0)
}

func substituteIDs(v any, ids map[string]string) any {
	raw, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(raw, &out) != nil {
		return v
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				if id, ok := ids[k]; ok {
					x[k] = id
				} else {
					x[k] = walk(val)
				}
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		}
		return v
	}
	return walk(out)
}

func fromSchema(reg huma.Registry, s *huma.Schema, ids map[string]string, depth int) any {
	if s == nil || depth > 8 {
		return nil
	}
	if s.Ref != "" {
		s = reg.SchemaFromRef(s.Ref)
		if s == nil {
			return map[string]any{}
		}
	}
	if len(s.Examples) > 0 {
		return s.Examples[0]
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	switch s.Type {
	case "object", "":
		out := map[string]any{}
		for _, name := range s.Required {
			if id, ok := ids[name]; ok {
				out[name] = id
				continue
			}
			out[name] = fromSchema(reg, s.Properties[name], ids, depth+1)
		}
		return out
	case "array":
		n := 0
		if s.MinItems != nil {
			n = *s.MinItems
		}
		out := make([]any, n)
		for i := range out {
			out[i] = fromSchema(reg, s.Items, ids, depth+1)
		}
		return out
	case "string":
		return "x"
	case "integer", "number":
		if s.Minimum != nil {
			return *s.Minimum
		}
		return 1
	case "boolean":
		return false
	}
	return nil
}

// findRun returns the id of a run of automation (a record-created
// automation on tableID), made through the test endpoint or by creating a
// record and waiting for its event to be processed; "" if none appears.
func findRun(t *testing.T, env *apptest.Env, automationID, tableID string, hasOp func(method, path string) bool) string {
	t.Helper()
	if hasOp("POST", "/api/v1/automations/{automation_id}/test") {
		status, raw := do(t, env, "POST", "/api/v1/automations/"+automationID+"/test", admin, map[string]any{"mode": "live"})
		if m := regexp.MustCompile(`"(run_[0-9a-z]+)"`).FindSubmatch(raw); status < 300 && m != nil {
			return string(m[1])
		}
	}
	if !hasOp("GET", "/api/v1/automations/{automation_id}/runs") {
		return ""
	}
	events, cancel := env.App.River.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancel()
	createRecord(t, env, tableID, map[string]any{"Name": "trigger"})
	ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	for {
		select {
		case ev := <-events:
			if ev.Job.Kind != (automation.RecordEventArgs{}).Kind() {
				continue
			}
			items, _ := doJSON(t, env, "GET", "/api/v1/automations/"+automationID+"/runs", nil, 200)["items"].([]any)
			if len(items) > 0 {
				return items[0].(map[string]any)["id"].(string)
			}
			return ""
		case <-ctx.Done():
			t.Logf("no record event was processed; run_id routes are walked with a made-up id")
			return ""
		}
	}
}

// TestRiverUIAuth: River UI needs an owner token (or the admin token),
// given as the Basic password so a browser can open it.
func TestRiverUIAuth(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	base := doJSON(t, env, "POST", "/api/v1/bases", map[string]any{"name": "b"}, 201)["id"].(string)
	_, owner := createToken(t, env, "owner")
	_, editor := createToken(t, env, "editor")
	_, viewer := createToken(t, env, "viewer")
	_, scopedOwner := createToken(t, env, "owner", base)

	get := func(t *testing.T, path string, auth func(*http.Request)) (*http.Response, string) {
		req, err := http.NewRequest("GET", env.URL+path, nil)
		require.NoError(t, err)
		if auth != nil {
			auth(req)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(body)
	}
	basic := func(password string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth("anyone", password) }
	}
	for _, tc := range []struct {
		name   string
		auth   func(*http.Request)
		status int
	}{
		{"no credentials", nil, 401},
		{"wrong password", basic("rf_nope"), 401},
		{"owner password", basic(owner), 200},
		{"admin password", basic(admin), 200},
		{"owner bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+owner) }, 200},
		{"editor password", basic(editor), 403},
		{"viewer password", basic(viewer), 403},
		{"scoped owner password", basic(scopedOwner), 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, "/riverui/", tc.auth)
			require.Equal(t, tc.status, resp.StatusCode, "%s", body)
			switch tc.status {
			case 401:
				require.True(t, strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic "), resp.Header.Get("WWW-Authenticate"))
			case 200:
				require.Contains(t, strings.ToLower(body), "<html")
			}
		})
	}
	// River UI's API is behind the same gate.
	resp, _ := get(t, "/riverui/api/jobs?state=available", nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, body := get(t, "/riverui/api/jobs?state=available", basic(owner))
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	resp, _ = get(t, "/riverui", nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the redirect is followed to the gate")
}

// TestRiverUICrossSite is the regression test of a cross-site request to
// River UI: the browser attaches the Basic credentials by itself, so a
// page on http://evil.example could POST (text/plain, no preflight) to
// /riverui/api/jobs/delete. Unsafe methods whose Origin or Sec-Fetch-Site
// is not our own are refused (403) before River UI sees them; our own
// origin and non-browser clients (neither header) go through.
func TestRiverUICrossSite(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, owner := createToken(t, env, "owner")
	post := func(t *testing.T, header map[string]string) int {
		req, err := http.NewRequest("POST", env.URL+"/riverui/api/jobs/delete", strings.NewReader(`{"job_ids":[1]}`))
		require.NoError(t, err)
		req.SetBasicAuth("anyone", owner)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusForbidden, post(t, map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example"}))
	require.Equal(t, http.StatusForbidden, post(t, map[string]string{"Content-Type": "text/plain", "Sec-Fetch-Site": "cross-site"}))
	require.Equal(t, http.StatusForbidden, post(t, map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}))
	require.NotEqual(t, http.StatusForbidden, post(t, map[string]string{"Content-Type": "application/json", "Origin": env.URL, "Sec-Fetch-Site": "same-origin"}))
	require.NotEqual(t, http.StatusForbidden, post(t, map[string]string{"Content-Type": "application/json"}))
}
