package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
)

// TestHealthAndReady: /healthz and /readyz answer 200 without a token;
// /readyz answers 503 when a migration is pending.
func TestHealthAndReady(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		out := doJSONAs(t, env, "", "GET", path, nil, http.StatusOK)
		require.Equal(t, "ok", out["status"], path)
	}
	// Forget the last migration of this test's own database.
	_, err := env.App.Pool.Exec(context.Background(),
		`DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`)
	require.NoError(t, err)
	r := send(t, env, "GET", "/readyz", "", nil)
	require.Equal(t, http.StatusServiceUnavailable, r.Status, "%s", r.Body)
	require.Contains(t, string(r.Body), "migrations pending")
	doJSONAs(t, env, "", "GET", "/healthz", nil, http.StatusOK)
}

// TestOpenAPIDocument: OpenAPI 3.1; every operation documents its request
// body schema (with an example) and a 2xx response with a schema.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	r := send(t, env, "GET", "/openapi.json", "", nil)
	require.Equal(t, http.StatusOK, r.Status)
	var doc struct {
		OpenAPI    string `json:"openapi"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			RequestBody *struct {
				Content map[string]struct {
					Schema  map[string]any `json:"schema"`
					Example any            `json:"example"`
				} `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]struct {
					Schema map[string]any `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &doc))
	require.True(t, strings.HasPrefix(doc.OpenAPI, "3.1"), doc.OpenAPI)
	resolve := func(s map[string]any) map[string]any {
		if ref, ok := s["$ref"].(string); ok {
			return doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")]
		}
		return s
	}
	hasExample := func(s map[string]any) bool {
		s = resolve(s)
		if s["examples"] != nil {
			return true
		}
		props, _ := s["properties"].(map[string]any)
		for _, p := range props {
			if p, ok := p.(map[string]any); ok && (resolve(p)["examples"] != nil) {
				return true
			}
		}
		return false
	}

	ops := 0
	var noExample []string
	for path, item := range doc.Paths {
		for method, op := range item {
			ops++
			name := strings.ToUpper(method) + " " + path
			require.NotEmpty(t, op.OperationID, name)
			if op.RequestBody != nil {
				mt, ok := op.RequestBody.Content["application/json"]
				require.True(t, ok, "%s: request body is not JSON", name)
				require.NotEmpty(t, mt.Schema, "%s: request body without schema", name)
				if mt.Example == nil && !hasExample(mt.Schema) {
					noExample = append(noExample, name)
				}
			}
			var ok2xx bool
			for code, resp := range op.Responses {
				if !strings.HasPrefix(code, "2") {
					continue
				}
				ok2xx = true
				if code == "204" {
					continue
				}
				mt, ok := resp.Content["application/json"]
				if !ok {
					mt, ok = resp.Content["text/event-stream"] // the notification stream
				}
				require.True(t, ok, "%s: %s response is not JSON (nor an event stream)", name, code)
				require.NotEmpty(t, mt.Schema, "%s: %s response without schema", name, code)
			}
			require.True(t, ok2xx, "%s: no 2xx response", name)
			if !strings.HasPrefix(path, "/healthz") && !strings.HasPrefix(path, "/readyz") {
				_, ok := op.Responses["default"]
				require.True(t, ok, "%s: no error response documented", name)
			}
		}
	}
	require.Empty(t, noExample, "request bodies without an example")
	require.Equal(t, len(operations(env.App.Server.API.OpenAPI())), ops)
	// The document names the field types and the bearer scheme.
	require.Contains(t, string(r.Body), "link_to_record")
	require.Contains(t, string(r.Body), `"bearer"`)
}

// TestDocsPage: /docs/ serves the embedded Swagger UI, every asset from
// this server (it works without internet access).
func TestDocsPage(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	r := send(t, env, "GET", "/docs/", "", nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Header.Get("Content-Type"), "text/html")
	page := string(r.Body)
	require.Contains(t, page, "swagger-ui")
	require.Contains(t, page, "/openapi.json")

	refs := regexp.MustCompile(`(?:src|href)=["']([^"']+)["']`).FindAllStringSubmatch(page, -1)
	var scripts int
	for _, m := range refs {
		ref := m[1]
		require.False(t, strings.HasPrefix(ref, "http:") || strings.HasPrefix(ref, "https:") || strings.HasPrefix(ref, "//"),
			"the docs page loads %s from elsewhere", ref)
		require.True(t, strings.HasPrefix(ref, "/docs/"), "asset %s is not under /docs/", ref)
		asset := send(t, env, "GET", ref, "", nil)
		require.Equal(t, http.StatusOK, asset.Status, ref)
		require.Greater(t, len(asset.Body), 100, ref)
		if strings.HasSuffix(ref, ".js") {
			scripts++
			require.Contains(t, asset.Header.Get("Content-Type"), "javascript", ref)
		}
	}
	require.GreaterOrEqual(t, scripts, 1, "no script of the page found in %s", page)
	for _, cdn := range []string{"unpkg.com", "cdn.jsdelivr", "cdnjs", "googleapis"} {
		require.NotContains(t, page, cdn)
	}
	// /docs redirects to /docs/.
	req, err := http.NewRequest("GET", env.URL+"/docs", nil)
	require.NoError(t, err)
	resp, err := http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMovedPermanently, resp.StatusCode)
	require.Equal(t, "/docs/", resp.Header.Get("Location"))
}

// TestProblemDetails: every error is an RFC 9457 problem (content type,
// title, status, detail), whoever produces it.
func TestProblemDetails(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := createSchema(t, env)
	_, viewer := createToken(t, env, "viewer")
	for _, tc := range []struct {
		name         string
		method, path string
		token        string
		body         any
		status       int
	}{
		{"no token", "GET", "/api/v1/bases", "", nil, 401},
		{"forbidden", "POST", "/api/v1/bases", viewer, map[string]any{"name": "x"}, 403},
		{"engine not found", "GET", "/api/v1/bases/bas_missing", admin, nil, 404},
		{"engine validation", "POST", "/api/v1/tables/" + s.ItemsID + "/records", admin, map[string]any{"fields": map[string]any{"Amount": "x"}}, 422},
		{"schema validation", "POST", "/api/v1/bases", admin, map[string]any{"name": ""}, 422},
		{"malformed JSON", "POST", "/api/v1/bases", admin, "{", 400},
		{"conflict", "POST", "/api/v1/bases/" + s.BaseID + "/tables", admin, map[string]any{"name": "Items"}, 409},
		{"unknown route", "GET", "/api/v1/nope", admin, nil, 404},
		{"method not allowed", "PUT", "/api/v1/bases", admin, nil, 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, env, tc.method, tc.path, tc.token, tc.body)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), "%s", r.Body)
			p := r.JSON(t)
			require.Equal(t, float64(tc.status), p["status"], "%s", r.Body)
			require.NotEmpty(t, p["title"], "%s", r.Body)
			require.Equal(t, http.StatusText(tc.status), p["title"], "%s", r.Body)
			require.NotEmpty(t, p["detail"], "%s", r.Body)
		})
	}
}

// TestInternalErrorIsSafe: an unexpected database error answers a 500
// problem naming the request id, and nothing of the SQL.
func TestInternalErrorIsSafe(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := createSchema(t, env)
	// Break this test's own database under the running service.
	_, err := env.App.Pool.Exec(context.Background(), `ALTER TABLE views RENAME TO views_gone_missing`)
	require.NoError(t, err)
	r := send(t, env, "GET", "/api/v1/tables/"+s.ItemsID+"/views", admin, nil)
	require.Equal(t, http.StatusInternalServerError, r.Status, "%s", r.Body)
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	body := strings.ToLower(string(r.Body))
	for _, leak := range []string{"views", "relation", "sqlstate", "select", "pgx", "does not exist", "42p01"} {
		require.NotContains(t, body, leak)
	}
	reqID := r.Header.Get("X-Request-Id")
	require.NotEmpty(t, reqID)
	require.Contains(t, string(r.Body), reqID, "the answer names the request id to quote")
	p := r.JSON(t)
	require.Equal(t, 500.0, p["status"])
}

// TestRequestID: every answer carries X-Request-Id, unique per request.
func TestRequestID(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	seen := map[string]bool{}
	for _, tc := range []struct{ method, path, token string }{
		{"GET", "/healthz", ""},
		{"GET", "/readyz", ""},
		{"GET", "/openapi.json", ""},
		{"GET", "/docs/", ""},
		{"GET", "/api/v1/bases", admin},
		{"GET", "/api/v1/bases", ""},
		{"GET", "/api/v1/bases/bas_missing", admin},
		{"POST", "/api/v1/bases", admin},
		{"GET", "/api/v1/nope", ""},
		{"GET", "/riverui/", ""},
		{"GET", "/riverui/", admin},
	} {
		r := send(t, env, tc.method, tc.path, tc.token, nil)
		id := r.Header.Get("X-Request-Id")
		require.NotEmpty(t, id, "%s %s (%d)", tc.method, tc.path, r.Status)
		require.False(t, seen[id], "request id %s repeated", id)
		seen[id] = true
	}
	require.Len(t, seen, 11, fmt.Sprint(seen))
}

// TestNULIsRefused: text PostgreSQL cannot store (a NUL character) is a 422
// at its place, never a 500, wherever a name or filter is stored.
func TestNULIsRefused(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := createSchema(t, env)
	nul := "bad\u0000name"
	for _, tc := range []struct {
		name     string
		path     string
		body     any
		location string
	}{
		{"base name", "/api/v1/bases", map[string]any{"name": nul}, "name"},
		{"table name", "/api/v1/bases/" + s.BaseID + "/tables", map[string]any{"name": nul}, "name"},
		{"field name in a table", "/api/v1/bases/" + s.BaseID + "/tables", map[string]any{"name": "T", "fields": []any{map[string]any{"name": nul, "type": "text"}}}, "fields[0].name"},
		{"field name", "/api/v1/tables/" + s.ItemsID + "/fields", map[string]any{"name": nul, "type": "text"}, "name"},
		{"view name", "/api/v1/tables/" + s.ItemsID + "/views", map[string]any{"name": nul}, "name"},
		{"view filter", "/api/v1/tables/" + s.ItemsID + "/views", map[string]any{"name": "V", "filter": map[string]any{"rules": []any{map[string]any{"field": "Name", "op": "is", "value": nul}}}}, "filter"},
		{"form name", "/api/v1/tables/" + s.ItemsID + "/forms", map[string]any{"name": nul, "fields": []any{map[string]any{"field": "Name"}}}, "name"},
		{"token name", "/api/v1/tokens", map[string]any{"name": nul, "role": "viewer"}, "name"},
		{"cell", "/api/v1/tables/" + s.ItemsID + "/records", map[string]any{"fields": map[string]any{"Name": nul}}, "fields.Name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := do(t, env, "POST", tc.path, admin, tc.body)
			requireProblemAt(t, status, raw, tc.location, "NUL")
		})
	}
	require.Len(t, doJSON(t, env, "GET", "/api/v1/bases", nil, 200)["items"], 1)
	require.Len(t, doJSON(t, env, "GET", "/api/v1/tables/"+s.ItemsID+"/views", nil, 200)["items"], 0)
}
