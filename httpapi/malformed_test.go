package httpapi_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
)

// TestMalformedBodies sends malformed bodies to every operation that takes
// one: each answer is a 4xx problem of at most 4 KiB, never echoes the body
// (a secret in it would be), places syntax errors by line/column/byte,
// refuses text that is not UTF-8, and uses one location style (no "body."
// prefix).
func TestMalformedBodies(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	// After 200 bytes, so even an offending value cut at ~100 bytes would
	// not show it.
	const secret = "________________________________________________________________________________________________________________________________________________________________________________________________________SECRET-9f3c1e"
	big := strings.Repeat("a", 900<<10)
	bodies := map[string]string{
		"900 KB then a syntax error":  `{"name": "` + secret + big + `", }`,
		"invalid UTF-8 in a string":   "{\"name\": \"" + secret + "\xff\xfe\"}",
		"lone surrogate escape":       `{"name": "` + secret + `\udc00"}`,
		"deep nesting":                strings.Repeat("[", 100000) + secret,
		"long wrong-typed value":      `{"name": ["` + secret + big + `"], "fields": "` + secret + big + `"}`,
		"many wrong items":            `{"name": 1, "steps": [` + strings.Repeat(`{"id": 1, "type": 2, "config": 3, "x": "`+secret+`"},`, 5000) + `1]}`,
		"truncated":                   `{"name": "` + secret,
		"a number where JSON expects": `{"name": 1e999999, "x": "` + secret + `"}`,
	}
	ops := operations(env.App.Server.API.OpenAPI())
	param := regexp.MustCompile(`\{[^}]+\}`)
	checked, largest := 0, 0
	for _, op := range ops {
		if op.RequestBody == nil {
			continue
		}
		path := param.ReplaceAllString(op.Path, "x_1")
		for name, body := range bodies {
			r := send(t, env, op.Method, path, admin, body)
			where := op.Method + " " + op.Path + " / " + name
			assert.GreaterOrEqual(t, r.Status, 400, where)
			assert.Less(t, r.Status, 500, "%s: %s", where, r.Body)
			assert.LessOrEqual(t, len(r.Body), 4096, "%s answered %d bytes", where, len(r.Body))
			assert.NotContains(t, string(r.Body), "SECRET-9f3c1e", "%s echoed the body", where)
			var p struct {
				Errors []struct{ Location, Message string }
			}
			if assert.NoError(t, json.Unmarshal(r.Body, &p), where) {
				for _, e := range p.Errors {
					assert.False(t, strings.HasPrefix(e.Location, "body."), "%s: location %q", where, e.Location)
				}
			}
			checked++
			largest = max(largest, len(r.Body))
		}
	}
	require.Greater(t, checked, 40)
	t.Logf("%d malformed requests, largest answer %d bytes", checked, largest)

	// A long unknown path is not echoed whole.
	r0 := send(t, env, "GET", "/api/v1/"+strings.Repeat("p", 200<<10), admin, nil)
	assert.Equal(t, 404, r0.Status)
	assert.LessOrEqual(t, len(r0.Body), 1024)

	// Positions and messages.
	tables := "/api/v1/bases"
	r := send(t, env, "POST", tables, admin, "{\n  \"name\": \"x\",\n}")
	require.Equal(t, 400, r.Status, "%s", r.Body)
	assert.Contains(t, string(r.Body), "line 3, column 1 (byte 17): invalid character '}'")
	r = send(t, env, "POST", tables, admin, "{\"name\": \"a\xffb\"}")
	require.Equal(t, 400, r.Status, "%s", r.Body)
	assert.Contains(t, string(r.Body), "line 1, column 12 (byte 11): not valid UTF-8")
	r = send(t, env, "POST", tables, admin, `{"name": "\ud83d\ude00 ok"}`) // a surrogate pair is fine
	require.Equal(t, 201, r.Status, "%s", r.Body)
	r = send(t, env, "POST", tables, admin, `{"name": "\ud83d x"}`)
	require.Equal(t, 400, r.Status, "%s", r.Body)

	// An echoed value is cut at about 100 bytes.
	r = send(t, env, "POST", tables, admin, map[string]any{"name": 12345, "extra": strings.Repeat("v", 5000)})
	require.Equal(t, 422, r.Status, "%s", r.Body)
	assert.Less(t, len(r.Body), 1000, "%s", r.Body)
	assert.Contains(t, problemDetails(t, r.Body), "extra")
}
