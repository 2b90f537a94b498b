package e2e_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/apptest"
	"github.com/rowflow/rowflow/webhook"
)

// hook is an incoming webhook of a fixture's base.
type hook struct {
	f      *fixture
	id     string
	url    string
	secret string
}

func (f *fixture) webhook(t *testing.T, body map[string]any) hook {
	t.Helper()
	body["base_id"] = f.baseID
	if body["name"] == nil {
		body["name"] = "in"
	}
	w := f.env.JSON("POST", "/api/v1/webhooks", body, 201)
	secret, _ := w["secret"].(string)
	require.True(t, strings.HasSuffix(w["url"].(string), "/api/v1/webhooks/"+w["id"].(string)+"/trigger"), "%v", w)
	return hook{f: f, id: w["id"].(string), url: w["url"].(string), secret: secret}
}

// post sends a request to the webhook's trigger URL with headers and
// returns the status, the answer and its headers.
func (h hook) post(t *testing.T, contentType string, body []byte, headers map[string]string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest("POST", h.url+"?source=test", bytes.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), "%s", raw)
	return resp.StatusCode, out, resp.Header
}

// signed is the Standard Webhooks headers of body for secret, id and time.
func signed(t *testing.T, secret, id string, at time.Time, body []byte) map[string]string {
	t.Helper()
	sig, err := webhook.Sign(secret, id, at, body)
	require.NoError(t, err)
	return map[string]string{"webhook-id": id, "webhook-timestamp": fmt.Sprint(at.Unix()), "webhook-signature": sig}
}

// stored counts a webhook's stored requests.
func (h hook) stored(t *testing.T) int {
	t.Helper()
	var n int
	require.NoError(t, h.f.env.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM webhook_requests WHERE webhook_id = $1`, h.id).Scan(&n))
	return n
}

func (f *fixture) webhookAutomation(t *testing.T, webhookID string, conditions any, steps ...map[string]any) string {
	t.Helper()
	body := map[string]any{"name": "on webhook", "trigger": map[string]any{"type": "webhook_received", "config": map[string]any{"webhook_id": webhookID}},
		"steps": steps}
	if steps == nil {
		body["steps"] = []any{}
	}
	if conditions != nil {
		body["conditions"] = conditions
	}
	return f.automation(t, body)
}

func runIDs(ans map[string]any) []string {
	var out []string
	for _, r := range ans["runs"].([]any) {
		out = append(out, r.(string))
	}
	return out
}

// TestIncomingWebhookHMAC: a Standard Webhooks request is verified over
// its raw body, stored with its runs before the answer, mapped with jq,
// filtered by conditions on trigger.body; a replayed webhook-id starts
// nothing; bad, stale and future signatures are refused with nothing stored.
func TestIncomingWebhookHMAC(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *app.Config) { c.OutboundAllowCIDRs = "127.0.0.0/8" })
	rcv := newReceiver(t)
	h := f.webhook(t, map[string]any{"auth": map[string]any{"mode": "hmac"}, "mapping": map[string]any{"email": ".body.customer.email | ascii_downcase"}})
	require.True(t, strings.HasPrefix(h.secret, "whsec_"), h.secret)
	// The secret is shown once.
	for _, path := range []string{"/api/v1/webhooks/" + h.id, "/api/v1/webhooks?base_id=" + f.baseID} {
		_, raw := f.env.Do("GET", path, apptest.AdminToken, nil)
		require.NotContains(t, string(raw), h.secret)
		require.NotContains(t, string(raw), strings.TrimPrefix(h.secret, "whsec_"))
	}
	aut := f.webhookAutomation(t, h.id, map[string]any{"match": "all", "rules": []any{map[string]any{"field": "body.amount", "op": "gt", "value": 100}}},
		map[string]any{"id": "fwd", "type": "send_webhook", "config": map[string]any{"url": rcv.URL + "/in",
			"body": map[string]any{"email": "{{trigger.data.email}}", "amount": "{{trigger.body.amount}}", "source": "{{trigger.query.source}}"}}})

	// Spaces and key order are kept: the signature is over the raw bytes.
	body := []byte(`{ "amount": 120,  "customer": {"email": "Ada@Example.com"} }`)
	hdr := signed(t, h.secret, "msg_1", time.Now(), body)
	status, ans, _ := h.post(t, "application/json", body, hdr)
	require.Equal(t, 202, status, "%v", ans)
	require.True(t, strings.HasPrefix(ans["request_id"].(string), "whr_"), "%v", ans)
	runs := runIDs(ans)
	require.Len(t, runs, 1)
	// Durable before the answer: the request and the run were committed.
	var n int
	require.NoError(t, f.env.App.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM runs r JOIN webhook_requests q ON q.runs ? r.id WHERE q.id = $1 AND r.id = $2`, ans["request_id"], runs[0]).Scan(&n))
	require.Equal(t, 1, n)
	got := rcv.wait(t)
	require.Equal(t, map[string]any{"email": "ada@example.com", "amount": float64(120), "source": "test"}, got.Body)
	run := f.getRun(t, runs[0])
	data := run["trigger"].(map[string]any)["data"].(map[string]any)
	require.Equal(t, h.id, data["webhook_id"])
	headers := data["headers"].(map[string]any)
	require.Equal(t, "msg_1", headers["webhook-id"])
	require.NotContains(t, headers, "webhook-signature", "credentials are not trigger data")

	// The same webhook-id again (a sender's retry): 200, the original answer, no run.
	status, again, _ := h.post(t, "application/json", body, signed(t, h.secret, "msg_1", time.Now(), body))
	require.Equal(t, 200, status, "%v", again)
	require.Equal(t, ans["request_id"], again["request_id"])
	require.Equal(t, runs, runIDs(again))
	require.Equal(t, 1, h.stored(t))

	// Conditions on trigger.body: a small order fires nothing.
	small := []byte(`{"amount": 50}`)
	status, ans2, _ := h.post(t, "application/json", small, signed(t, h.secret, "msg_2", time.Now(), small))
	require.Equal(t, 202, status)
	require.Empty(t, ans2["runs"])
	require.Equal(t, 2, h.stored(t))

	for _, tc := range []struct {
		name string
		hdr  map[string]string
		msg  string
	}{
		{"body changed after signing", signed(t, h.secret, "msg_3", time.Now(), []byte(`{"amount": 121}`)), "no webhook-signature matches"},
		{"other key", signed(t, "whsec_"+base64.StdEncoding.EncodeToString([]byte("another key of 24 bytes!")), "msg_4", time.Now(), body), "no webhook-signature matches"},
		{"stale timestamp", signed(t, h.secret, "msg_5", time.Now().Add(-6*time.Minute), body), "more than 5 minutes old"},
		{"future timestamp", signed(t, h.secret, "msg_6", time.Now().Add(6*time.Minute), body), "in the future"},
		{"no signature", map[string]string{"webhook-id": "msg_7", "webhook-timestamp": fmt.Sprint(time.Now().Unix())}, "missing Standard Webhooks headers"},
		{"malformed timestamp", map[string]string{"webhook-id": "msg_8", "webhook-timestamp": "soon", "webhook-signature": "v1,abc"}, "malformed webhook-timestamp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, p, _ := h.post(t, "application/json", body, tc.hdr)
			require.Equal(t, 401, status, "%v", p)
			require.Contains(t, p["detail"], tc.msg)
		})
	}
	// Several signatures: one valid among them is enough.
	good := signed(t, h.secret, "msg_9", time.Now(), body)
	good["webhook-signature"] = "v1,bm90IGl0 " + good["webhook-signature"]
	status, ans3, _ := h.post(t, "application/json", body, good)
	require.Equal(t, 202, status, "%v", ans3)
	require.Equal(t, 3, h.stored(t), "refused requests store nothing")
	f.waitExactly(t, aut, 2)
}

// TestIncomingWebhookRotation: after a rotation both secrets are accepted
// for the grace period; a key rotated out without grace is refused.
func TestIncomingWebhookRotation(t *testing.T) {
	t.Parallel()
	f := setup(t)
	h := f.webhook(t, map[string]any{"auth": map[string]any{"mode": "hmac"}})
	body := []byte(`{"n": 1}`)
	rot := f.env.JSON("POST", "/api/v1/webhooks/"+h.id+"/rotate-secret", nil, 200)
	second := rot["secret"].(string)
	require.NotEqual(t, h.secret, second)
	require.NotEmpty(t, rot["previous_secret_until"])
	for i, key := range []string{h.secret, second} {
		status, ans, _ := h.post(t, "application/json", body, signed(t, key, fmt.Sprintf("r%d", i), time.Now(), body))
		require.Equal(t, 202, status, "key %d: %v", i, ans)
	}
	rot = f.env.JSON("POST", "/api/v1/webhooks/"+h.id+"/rotate-secret", map[string]any{"grace_seconds": 0}, 200)
	third := rot["secret"].(string)
	status, p, _ := h.post(t, "application/json", body, signed(t, second, "r3", time.Now(), body))
	require.Equal(t, 401, status, "the key rotated out without grace: %v", p)
	status, p, _ = h.post(t, "application/json", body, signed(t, h.secret, "r4", time.Now(), body))
	require.Equal(t, 401, status, "the first key, two rotations ago: %v", p)
	status, _, _ = h.post(t, "application/json", body, signed(t, third, "r5", time.Now(), body))
	require.Equal(t, 202, status)
	require.Equal(t, 3, h.stored(t))
}

// TestIncomingWebhookBodies: form and text bodies, the size limit (413),
// malformed JSON (422) and an Idempotency-Key on a webhook without auth.
func TestIncomingWebhookBodies(t *testing.T) {
	t.Parallel()
	f := setup(t)
	h := f.webhook(t, map[string]any{"auth": map[string]any{"mode": "none"}, "max_body_bytes": 200})
	require.Empty(t, h.secret)
	aut := f.webhookAutomation(t, h.id, nil, map[string]any{"id": "noop", "type": "create_record",
		"config": map[string]any{"table_id": f.tableID, "fields": map[string]any{"Name": "{{trigger.body.name}}"}}})

	status, ans, _ := h.post(t, "application/x-www-form-urlencoded", []byte("name=Ada&tag=a&tag=b"), nil)
	require.Equal(t, 202, status, "%v", ans)
	run := f.getRun(t, runIDs(ans)[0])
	require.Equal(t, map[string]any{"name": "Ada", "tag": []any{"a", "b"}}, run["trigger"].(map[string]any)["data"].(map[string]any)["body"])

	status, ans, _ = h.post(t, "text/plain", []byte("hello there"), nil)
	require.Equal(t, 202, status, "%v", ans)
	run = f.getRun(t, runIDs(ans)[0])
	require.Equal(t, "hello there", run["trigger"].(map[string]any)["data"].(map[string]any)["body"])

	status, p, _ := h.post(t, "application/json", []byte(`{"name": "`+strings.Repeat("x", 300)+`"}`), nil)
	require.Equal(t, 413, status, "%v", p)
	status, p, _ = h.post(t, "application/json", []byte(`{"name": `), nil)
	require.Equal(t, 422, status, "%v", p)
	require.Equal(t, 2, h.stored(t))

	// Idempotency-Key dedupes like webhook-id.
	k := map[string]string{"Idempotency-Key": "order-7"}
	status, first, _ := h.post(t, "application/json", []byte(`{"name": "Bo"}`), k)
	require.Equal(t, 202, status)
	status, again, _ := h.post(t, "application/json", []byte(`{"name": "Bo"}`), k)
	require.Equal(t, 200, status)
	require.Equal(t, first, again)
	f.waitExactly(t, aut, 3)

	// Stored requests, newest first, with a cursor; a replay starts new runs.
	page := f.env.JSON("GET", "/api/v1/webhooks/"+h.id+"/requests?limit=2", nil, 200)
	list := items(page)
	require.Len(t, list, 2)
	require.Equal(t, first["request_id"], list[0]["id"])
	next := f.env.JSON("GET", "/api/v1/webhooks/"+h.id+"/requests?limit=2&cursor="+page["next_cursor"].(string), nil, 200)
	require.Len(t, items(next), 1)
	require.Nil(t, next["next_cursor"])
	replayed := f.env.JSON("POST", "/api/v1/webhooks/"+h.id+"/requests/"+list[0]["id"].(string)+"/replay", nil, 202)
	require.NotEqual(t, first["request_id"], replayed["request_id"])
	require.Len(t, replayed["runs"], 1)
	f.waitExactly(t, aut, 4)
}

// TestIncomingWebhookBearerBasic: the bearer and basic modes take the
// secret; the Authorization header is never stored.
func TestIncomingWebhookBearerBasic(t *testing.T) {
	t.Parallel()
	f := setup(t)
	bearer := f.webhook(t, map[string]any{"auth": map[string]any{"mode": "bearer"}})
	basic := f.webhook(t, map[string]any{"auth": map[string]any{"mode": "basic"}})
	body := []byte(`{}`)
	status, _, _ := bearer.post(t, "application/json", body, map[string]string{"Authorization": "Bearer " + bearer.secret})
	require.Equal(t, 202, status)
	status, _, _ = bearer.post(t, "application/json", body, map[string]string{"Authorization": "Bearer " + basic.secret})
	require.Equal(t, 401, status)
	status, _, _ = bearer.post(t, "application/json", body, map[string]string{"Authorization": "Bearer " + apptest.AdminToken})
	require.Equal(t, 401, status, "a rowflow token is not the webhook's secret")
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("sender:"+basic.secret))
	status, _, _ = basic.post(t, "application/json", body, map[string]string{"Authorization": auth})
	require.Equal(t, 202, status)
	status, _, _ = basic.post(t, "application/json", body, map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("sender:nope"))})
	require.Equal(t, 401, status)
	status, _, _ = basic.post(t, "application/json", body, nil)
	require.Equal(t, 401, status)
	require.Equal(t, 1, bearer.stored(t))
	require.Equal(t, 1, basic.stored(t))
	var n int
	require.NoError(t, f.env.App.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM webhook_requests WHERE headers ? 'authorization' OR position($1 in raw_body::text || headers::text) > 0`, bearer.secret).Scan(&n))
	require.Zero(t, n)
}

// TestIncomingWebhookMappingError: a jq mapping that fails stores the run
// failed with the mapping's error; a bad expression is refused at save.
func TestIncomingWebhookMappingError(t *testing.T) {
	t.Parallel()
	f := setup(t)
	status, p, _ := f.send(t, "POST", "/api/v1/webhooks", map[string]any{"base_id": f.baseID, "name": "x", "auth": map[string]any{"mode": "none"},
		"mapping": map[string]any{"bad": ".body | {"}})
	require.Equal(t, 422, status)
	require.Equal(t, "mapping.bad", p.Errors[0].Location)
	h := f.webhook(t, map[string]any{"auth": map[string]any{"mode": "none"}, "mapping": map[string]any{"total": ".body.items | map(.price) | add", "n": ".body.n + 1"}})
	aut := f.webhookAutomation(t, h.id, nil, map[string]any{"id": "mk", "type": "create_record",
		"config": map[string]any{"table_id": f.tableID, "fields": map[string]any{"Amount": "{{trigger.data.total}}"}}})
	status, ans, _ := h.post(t, "application/json", []byte(`{"items": [{"price": 2}, {"price": 3}], "n": 1}`), nil)
	require.Equal(t, 202, status)
	status, bad, _ := h.post(t, "application/json", []byte(`{"items": [{"price": 2}], "n": "one"}`), nil)
	require.Equal(t, 202, status, "the request is stored; its run records the error")
	runs := f.waitExactly(t, aut, 2)
	byID := map[string]map[string]any{}
	for _, r := range runs {
		byID[r["id"].(string)] = r
	}
	require.Equal(t, "succeeded", byID[runIDs(ans)[0]]["status"])
	failed := byID[runIDs(bad)[0]]
	require.Equal(t, "failed", failed["status"])
	require.Contains(t, failed["error"], "mapping n")
}

// TestIncomingWebhookRateLimit: beyond the burst a webhook answers 429
// with Retry-After and stores nothing.
func TestIncomingWebhookRateLimit(t *testing.T) {
	t.Parallel()
	f := setup(t)
	h := f.webhook(t, map[string]any{"auth": map[string]any{"mode": "none"}, "rate_per_second": 0.01, "rate_burst": 3})
	for i := range 3 {
		status, ans, _ := h.post(t, "application/json", []byte(`{}`), nil)
		require.Equal(t, 202, status, "request %d: %v", i, ans)
	}
	status, p, hdr := h.post(t, "application/json", []byte(`{}`), nil)
	require.Equal(t, 429, status, "%v", p)
	require.NotEmpty(t, hdr.Get("Retry-After"))
	require.Equal(t, 3, h.stored(t))
	// Another webhook has its own bucket.
	other := f.webhook(t, map[string]any{"auth": map[string]any{"mode": "none"}})
	status, _, _ = other.post(t, "application/json", []byte(`{}`), nil)
	require.Equal(t, 202, status)
}

// TestWebhookCRUD: patch, roles, scoping and delete.
func TestWebhookCRUD(t *testing.T) {
	t.Parallel()
	f := setup(t)
	h := f.webhook(t, map[string]any{"auth": map[string]any{"mode": "bearer"}})
	w := f.env.JSON("PATCH", "/api/v1/webhooks/"+h.id, map[string]any{"name": "renamed", "mapping": map[string]any{"a": ".body.a"}}, 200)
	require.Equal(t, "renamed", w["name"])
	require.NotContains(t, w, "secret")
	status, p, _ := f.send(t, "PATCH", "/api/v1/webhooks/"+h.id, map[string]any{"auth": map[string]any{"mode": "none"}})
	require.Equal(t, 422, status, "%v", p)
	viewer := f.env.JSON("POST", "/api/v1/tokens", map[string]any{"name": "v", "role": "viewer"}, 201)["token"].(string)
	st, _ := f.env.Do("GET", "/api/v1/webhooks/"+h.id, viewer, nil)
	require.Equal(t, 200, st)
	for _, c := range [][2]string{{"PATCH", "/api/v1/webhooks/" + h.id}, {"POST", "/api/v1/webhooks/" + h.id + "/rotate-secret"}, {"DELETE", "/api/v1/webhooks/" + h.id}} {
		st, raw := f.env.Do(c[0], c[1], viewer, map[string]any{})
		require.Equal(t, 403, st, "%s %s: %s", c[0], c[1], raw)
	}
	st, raw := f.env.Do("POST", "/api/v1/webhooks", viewer, map[string]any{"base_id": f.baseID, "name": "x", "auth": map[string]any{"mode": "none"}})
	require.Equal(t, 403, st, "%s", raw)
	// An automation must name a webhook of its base.
	status, p, _ = f.send(t, "POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{"name": "a",
		"trigger": map[string]any{"type": "webhook_received", "config": map[string]any{"webhook_id": "whk_nope"}}, "steps": []any{}})
	require.Equal(t, 422, status)
	require.Equal(t, "trigger.config.webhook_id", p.Errors[0].Location)
	status, p, _ = f.send(t, "POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{"name": "a",
		"trigger":    map[string]any{"type": "webhook_received", "config": map[string]any{"webhook_id": h.id}},
		"conditions": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "body.n", "op": "gt", "value": "many"}}}, "steps": []any{}})
	require.Equal(t, 422, status, "%v", p)
	require.True(t, strings.HasPrefix(p.Errors[0].Location, "conditions"), "%v", p)
	// A disabled automation stops firing at once; enabled again, it fires.
	aut := f.webhookAutomation(t, h.id, nil)
	auth := map[string]string{"Authorization": "Bearer " + h.secret}
	f.env.JSON("POST", "/api/v1/automations/"+aut+"/disable", nil, 200)
	status, ans, _ := h.post(t, "application/json", []byte(`{}`), auth)
	require.Equal(t, 202, status)
	require.Empty(t, ans["runs"])
	f.env.JSON("POST", "/api/v1/automations/"+aut+"/enable", nil, 200)
	status, ans, _ = h.post(t, "application/json", []byte(`{}`), auth)
	require.Equal(t, 202, status)
	require.Len(t, ans["runs"], 1)
	f.env.JSON("DELETE", "/api/v1/webhooks/"+h.id, nil, 204)
	status, _, _ = h.post(t, "application/json", []byte(`{}`), map[string]string{"Authorization": "Bearer " + h.secret})
	require.Equal(t, 404, status)
}

// TestIncomingWebhookConcurrentRetries: a sender firing the same delivery
// from many connections at once gets one request and one run; every
// answer names it.
func TestIncomingWebhookConcurrentRetries(t *testing.T) {
	t.Parallel()
	f := setup(t)
	h := f.webhook(t, map[string]any{"auth": map[string]any{"mode": "hmac"}})
	aut := f.webhookAutomation(t, h.id, nil)
	body := []byte(`{"order": 1}`)
	hdr := signed(t, h.secret, "msg_same", time.Now(), body)
	const n = 12
	type answer struct {
		status int
		body   map[string]any
	}
	answers := make(chan answer, n)
	for range n {
		go func() {
			req, _ := http.NewRequest("POST", h.url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				answers <- answer{body: map[string]any{"error": err.Error()}}
				return
			}
			defer resp.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&out)
			answers <- answer{resp.StatusCode, out}
		}()
	}
	created, ids := 0, map[any]bool{}
	for range n {
		a := <-answers
		require.Contains(t, []int{200, 202}, a.status, "%v", a.body)
		if a.status == 202 {
			created++
		}
		ids[a.body["request_id"]] = true
	}
	require.Equal(t, 1, created, "exactly one answer is the first")
	require.Len(t, ids, 1)
	require.Equal(t, 1, h.stored(t))
	f.waitExactly(t, aut, 1)
}

// TestIncomingWebhookGroupCommit: requests arriving together are stored in
// shared transactions (webhook/ingest.go) without mixing them up: 2 ×
// 150 distinct deliveries to two webhooks, each sent twice at once, give
// exactly one stored request and one run per delivery and webhook, both
// answers of a delivery name the same request and runs, and every run's
// trigger data is its own request's.
func TestIncomingWebhookGroupCommit(t *testing.T) {
	t.Parallel()
	f := setup(t)
	fast := func(name string) map[string]any {
		return map[string]any{"name": name, "auth": map[string]any{"mode": "hmac"}, "rate_per_second": 10000, "rate_burst": 20000}
	}
	hooks := []hook{f.webhook(t, fast("a")), f.webhook(t, fast("b"))}
	auts := []string{f.webhookAutomation(t, hooks[0].id, nil), f.webhookAutomation(t, hooks[1].id, nil)}
	const n = 150
	type answer struct {
		key    string
		status int
		body   map[string]any
	}
	answers := make(chan answer, 4*n)
	sem := make(chan struct{}, 96)
	for i := range n {
		for w, h := range hooks {
			body := []byte(fmt.Sprintf(`{"n": %d, "w": %d}`, i, w))
			hdr := signed(t, h.secret, fmt.Sprintf("msg_%d", i), time.Now(), body)
			for range 2 {
				go func() {
					sem <- struct{}{}
					defer func() { <-sem }()
					req, _ := http.NewRequest("POST", h.url, bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					for k, v := range hdr {
						req.Header.Set(k, v)
					}
					key := fmt.Sprintf("%d/%d", w, i)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						answers <- answer{key: key, body: map[string]any{"error": err.Error()}}
						return
					}
					defer resp.Body.Close()
					var out map[string]any
					_ = json.NewDecoder(resp.Body).Decode(&out)
					answers <- answer{key, resp.StatusCode, out}
				}()
			}
		}
	}
	first := map[string]int{}
	request := map[string]any{}
	runs := map[string]string{}
	for range 4 * n {
		a := <-answers
		require.Contains(t, []int{200, 202}, a.status, "%s: %v", a.key, a.body)
		if a.status == 202 {
			first[a.key]++
		}
		if prev, ok := request[a.key]; ok {
			require.Equal(t, prev, a.body["request_id"], "%s: both answers name one request", a.key)
			require.Equal(t, runs[a.key], fmt.Sprint(a.body["runs"]), a.key)
		}
		request[a.key], runs[a.key] = a.body["request_id"], fmt.Sprint(a.body["runs"])
		require.Len(t, a.body["runs"], 1, "%s: %v", a.key, a.body)
	}
	require.Len(t, first, 2*n)
	for k, c := range first {
		require.Equal(t, 1, c, "%s: exactly one answer is the first", k)
	}
	for w, h := range hooks {
		require.Equal(t, n, h.stored(t), "webhook %d", w)
		f.waitExactly(t, auts[w], n)
	}
	var wrong int
	require.NoError(t, f.env.App.Pool.QueryRow(context.Background(), `
		SELECT count(*) FROM runs r JOIN webhook_requests q ON q.id = r.trigger_data->>'request_id'
		WHERE r.automation_id = ANY($1)
		  AND (q.body->>'n' IS DISTINCT FROM r.trigger_data->'body'->>'n'
		       OR q.body->>'w' IS DISTINCT FROM r.trigger_data->'body'->>'w'
		       OR NOT q.runs ? r.id)`, auts).Scan(&wrong))
	require.Zero(t, wrong, "runs whose trigger data or request is another request's")
}

// TestWebhookRequestRetention: stored requests older than the retention
// are deleted with the expired delivery ids; younger ones stay, and so
// does every request whose delivery id is still remembered (7 days) even
// when the retention is shorter.
func TestWebhookRequestRetention(t *testing.T) {
	t.Parallel()
	f := setup(t)
	h := f.webhook(t, map[string]any{"auth": map[string]any{"mode": "hmac"}})
	ctx := context.Background()
	ids := make([]string, 4)
	for i := range ids {
		body := []byte(fmt.Sprintf(`{"n": %d}`, i))
		status, ans, _ := h.post(t, "application/json", body, signed(t, h.secret, fmt.Sprintf("msg_ret_%d", i), time.Now(), body))
		require.Equal(t, 202, status, "%v", ans)
		ids[i] = ans["request_id"].(string)
	}
	pool := f.env.App.Pool
	// 0 and 1: 40 days old, their delivery ids expired; 2: 3 days old.
	_, err := pool.Exec(ctx, `UPDATE webhook_requests SET received_at = now() - interval '40 days' WHERE id = ANY($1)`, ids[:2])
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `UPDATE webhook_deliveries SET expires_at = now() - interval '33 days' WHERE request_id = ANY($1)`, ids[:2])
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `UPDATE webhook_requests SET received_at = now() - interval '3 days' WHERE id = $1`, ids[2])
	require.NoError(t, err)
	left := func() (reqs []string, deliveries int) {
		rows, err := pool.Query(ctx, `SELECT id FROM webhook_requests WHERE webhook_id = $1 ORDER BY id`, h.id)
		require.NoError(t, err)
		for rows.Next() {
			var id string
			require.NoError(t, rows.Scan(&id))
			reqs = append(reqs, id)
		}
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1`, h.id).Scan(&deliveries))
		return reqs, deliveries
	}
	// A retention of one hour is raised to the 7 days of delivery ids.
	n, err := f.env.App.Webhooks.DeleteExpiredRequests(ctx, time.Hour)
	require.NoError(t, err)
	require.Equal(t, 4, n, "2 requests and 2 delivery ids")
	reqs, deliveries := left()
	require.ElementsMatch(t, ids[2:], reqs)
	require.Equal(t, 2, deliveries)
	// With 30 days nothing more is due.
	n, err = f.env.App.Webhooks.DeleteExpiredRequests(ctx, 720*time.Hour)
	require.NoError(t, err)
	require.Zero(t, n)
	reqs, _ = left()
	require.ElementsMatch(t, ids[2:], reqs)
}
