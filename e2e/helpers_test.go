package e2e_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
)

// delivery is one request a receiver got.
type delivery struct {
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// receiver is a real HTTP server on 127.0.0.1 that records deliveries and
// answers with the statuses queued in plan (then 200).
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	got   []delivery
	plan  []int
	extra map[int]http.Header
	ch    chan delivery
}

func newReceiver(t *testing.T, plan ...int) *receiver {
	r := &receiver{plan: plan, ch: make(chan delivery, 1000), extra: map[int]http.Header{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		d := delivery{Header: req.Header.Clone(), Raw: raw}
		_ = json.Unmarshal(raw, &d.Body)
		r.mu.Lock()
		n := len(r.got)
		r.got = append(r.got, d)
		status := http.StatusOK
		if n < len(r.plan) {
			status = r.plan[n]
		}
		for k, v := range r.extra[n] {
			w.Header()[k] = v
		}
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"n":%d}`, n+1)
		r.ch <- d
	}))
	t.Cleanup(r.Close)
	return r
}

// wait returns the next delivery, failing the test after a generous bound.
func (r *receiver) wait(t *testing.T) delivery {
	t.Helper()
	select {
	case d := <-r.ch:
		return d
	case <-time.After(30 * time.Second):
		t.Fatalf("no delivery arrived")
		return delivery{}
	}
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// fixture is a base with an Orders table (Name, Status, Amount).
type fixture struct {
	env     *apptest.Env
	baseID  string
	tableID string
}

func setup(t *testing.T) *fixture {
	t.Helper()
	env := apptest.Start(t)
	b := env.JSON("POST", "/api/v1/bases", map[string]any{"name": "Shop"}, 201)
	tb := env.JSON("POST", "/api/v1/bases/"+b["id"].(string)+"/tables", map[string]any{
		"name": "Orders",
		"fields": []any{
			map[string]any{"name": "Name", "type": "text"},
			map[string]any{"name": "Status", "type": "single_select", "options": map[string]any{"choices": []any{
				map[string]any{"name": "Todo"}, map[string]any{"name": "Doing"}, map[string]any{"name": "Done"}}}},
			map[string]any{"name": "Amount", "type": "number", "options": map[string]any{"precision": 2}},
			map[string]any{"name": "Count", "type": "number"},
		},
	}, 201)
	return &fixture{env: env, baseID: b["id"].(string), tableID: tb["id"].(string)}
}

func (f *fixture) automation(t *testing.T, body map[string]any) string {
	t.Helper()
	a := f.env.JSON("POST", "/api/v1/bases/"+f.baseID+"/automations", body, 201)
	return a["id"].(string)
}

func (f *fixture) create(t *testing.T, fields map[string]any) string {
	t.Helper()
	r := f.env.JSON("POST", "/api/v1/tables/"+f.tableID+"/records", map[string]any{"fields": fields}, 201)
	return r["id"].(string)
}

func (f *fixture) update(t *testing.T, id string, fields map[string]any) {
	t.Helper()
	f.env.JSON("PATCH", "/api/v1/tables/"+f.tableID+"/records/"+id, map[string]any{"fields": fields}, 200)
}

// runs lists an automation's runs (newest first).
func (f *fixture) runs(t *testing.T, automationID string) []map[string]any {
	t.Helper()
	out := f.env.JSON("GET", "/api/v1/automations/"+automationID+"/runs?limit=200", nil, 200)
	items := out["items"].([]any)
	res := make([]map[string]any, len(items))
	for i, it := range items {
		res[i] = it.(map[string]any)
	}
	return res
}

// waitRuns waits until the automation has n runs in a final state and
// returns them; it polls the API (a run's end is a database state).
func (f *fixture) waitRuns(t *testing.T, automationID string, n int) []map[string]any {
	t.Helper()
	var runs []map[string]any
	require.Eventually(t, func() bool {
		runs = f.runs(t, automationID)
		done := 0
		for _, r := range runs {
			switch r["status"] {
			case "succeeded", "failed", "skipped", "cancelled":
				done++
			}
		}
		return done >= n
	}, 60*time.Second, 20*time.Millisecond, "waiting for %d finished runs", n)
	return runs
}

// webhookStep is a send_webhook step to url.
func webhookStep(id, url string, extra map[string]any) map[string]any {
	cfg := map[string]any{"url": url, "body": map[string]any{"id": "{{trigger.record.id}}", "name": "{{trigger.record.fields.Name}}", "amount": "{{trigger.record.fields.Amount}}"}}
	s := map[string]any{"id": id, "type": "send_webhook", "config": cfg}
	for k, v := range extra {
		s[k] = v
	}
	return s
}
