package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/apptest"
	"github.com/rowflow/rowflow/automation"
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
	holds map[int]chan struct{}
	ch    chan delivery
}

func newReceiver(t *testing.T, plan ...int) *receiver {
	r := &receiver{plan: plan, ch: make(chan delivery, 1000), extra: map[int]http.Header{}, holds: map[int]chan struct{}{}}
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
		hold := r.holds[n]
		r.mu.Unlock()
		if hold != nil {
			r.ch <- d // announce the held request at once
			select {
			case <-hold:
			case <-req.Context().Done(): // the sender gave up (timeout)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"n":%d}`, n+1)
		if hold == nil {
			r.ch <- d
		}
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

// hold makes the n-th request (0-based) wait for the returned release
// function before it is answered (or until its sender gives up). wait
// returns a held request as soon as it arrives.
func (r *receiver) hold(t *testing.T, n int) (release func()) {
	ch := make(chan struct{})
	r.mu.Lock()
	r.holds[n] = ch
	r.mu.Unlock()
	var once sync.Once
	release = func() { once.Do(func() { close(ch) }) }
	t.Cleanup(release)
	return release
}

// withHeader adds header to the answer of the n-th request (0-based).
func (r *receiver) withHeader(n int, header http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.extra[n] = header
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// fixture is a base with an Orders table (Name, Status, Amount, Count).
type fixture struct {
	env     *apptest.Env
	baseID  string
	tableID string
}

func setup(t *testing.T, opts ...func(*app.Config)) *fixture {
	t.Helper()
	return fixtureOn(t, apptest.Start(t, opts...))
}

// fixtureOn builds the fixture's base and table on a running env.
func fixtureOn(t *testing.T, env *apptest.Env) *fixture {
	t.Helper()
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

// trigger is a trigger of type typ whose config watches the fixture's table
// (plus extra config keys).
func (f *fixture) trigger(typ string, extra map[string]any) map[string]any {
	cfg := map[string]any{"table_id": f.tableID}
	for k, v := range extra {
		cfg[k] = v
	}
	return map[string]any{"type": typ, "config": cfg}
}

// remove deletes a record of the fixture's table.
func (f *fixture) remove(t *testing.T, id string) {
	t.Helper()
	f.env.JSON("DELETE", "/api/v1/tables/"+f.tableID+"/records/"+id, nil, 204)
}

// createBatch creates records in one call and returns their ids in order.
func (f *fixture) createBatch(t *testing.T, records ...map[string]any) []string {
	t.Helper()
	in := make([]any, len(records))
	for i, r := range records {
		in[i] = map[string]any{"fields": r}
	}
	out := f.env.JSON("POST", "/api/v1/tables/"+f.tableID+"/records", map[string]any{"records": in}, 201)
	items := out["items"].([]any)
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.(map[string]any)["id"].(string)
	}
	return ids
}

// records lists every record of a table (one page of up to 200).
func (f *fixture) records(t *testing.T, tableID string) []map[string]any {
	t.Helper()
	out := f.env.JSON("GET", "/api/v1/tables/"+tableID+"/records?limit=200", nil, 200)
	return items(out)
}

// record reads one record of a table.
func (f *fixture) record(t *testing.T, tableID, id string) map[string]any {
	t.Helper()
	return f.env.JSON("GET", "/api/v1/tables/"+tableID+"/records/"+id, nil, 200)
}

// view creates a view of the fixture's table with filter.
func (f *fixture) view(t *testing.T, name string, filter map[string]any) string {
	t.Helper()
	v := f.env.JSON("POST", "/api/v1/tables/"+f.tableID+"/views", map[string]any{"name": name, "filter": filter}, 201)
	return v["id"].(string)
}

// form creates a form of the fixture's table showing fields.
func (f *fixture) form(t *testing.T, name string, fields ...string) string {
	t.Helper()
	in := make([]any, len(fields))
	for i, n := range fields {
		in[i] = map[string]any{"field": n}
	}
	fm := f.env.JSON("POST", "/api/v1/tables/"+f.tableID+"/forms", map[string]any{"name": name, "fields": in}, 201)
	return fm["id"].(string)
}

// submit submits a form and returns the created record's id.
func (f *fixture) submit(t *testing.T, formID string, fields map[string]any) string {
	t.Helper()
	r := f.env.JSON("POST", "/api/v1/forms/"+formID+"/submit", map[string]any{"fields": fields}, 201)
	return r["id"].(string)
}

// table creates another table in the fixture's base.
func (f *fixture) table(t *testing.T, name string, fields ...map[string]any) map[string]any {
	t.Helper()
	in := make([]any, len(fields))
	for i, fl := range fields {
		in[i] = fl
	}
	return f.env.JSON("POST", "/api/v1/bases/"+f.baseID+"/tables", map[string]any{"name": name, "fields": in}, 201)
}

// getRun reads one run with its steps.
func (f *fixture) getRun(t *testing.T, runID string) map[string]any {
	t.Helper()
	return f.env.JSON("GET", "/api/v1/runs/"+runID, nil, 200)
}

// runsWhere lists an automation's runs with extra query parameters (one page).
func (f *fixture) runsWhere(t *testing.T, automationID string, q url.Values) map[string]any {
	t.Helper()
	return f.env.JSON("GET", "/api/v1/automations/"+automationID+"/runs?"+q.Encode(), nil, 200)
}

// waitExactly waits until the automation has n finished runs, then until
// the queue is idle (drain), and requires that it has exactly n runs: a
// run too many is a trigger that fired wrongly (or a run that went on).
func (f *fixture) waitExactly(t *testing.T, automationID string, n int) []map[string]any {
	t.Helper()
	f.waitRuns(t, automationID, n)
	f.drain(t)
	runs := f.runs(t, automationID)
	require.Len(t, runs, n, "runs of %s: %v", automationID, runIDsOf(runs))
	return runs
}

// drainUntil waits until the automation has a finished run started by
// record lastID — the run of a write made after every write under test —
// then until the engine's queue is idle (drain), and returns all the
// automation's runs. A run too many is then a trigger that fired wrongly.
//
// The run of the later write alone does not prove the earlier events were
// processed: River may start a job inserted later first (a job whose insert
// notification was coalesced waits for the next fetch; seen here as runs of
// earlier writes arriving 15–40 ms after the later write's run).
func (f *fixture) drainUntil(t *testing.T, automationID, lastID string) []map[string]any {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, r := range f.runs(t, automationID) {
			if triggerRecordID(r) == lastID && r["status"] != "queued" && r["status"] != "running" {
				return true
			}
		}
		return false
	}, 60*time.Second, 20*time.Millisecond, "waiting for the run of %s", lastID)
	f.drain(t)
	return f.runs(t, automationID)
}

// drain waits until no record event and no run step is waiting or running
// in the app's River queue (a snoozed or backed-off step counts as
// waiting): every committed write has been matched and every started run
// has ended.
func (f *fixture) drain(t *testing.T) {
	t.Helper()
	params := river.NewJobListParams().
		Kinds(automation.RecordEventArgs{}.Kind(), automation.StepArgs{}.Kind()).
		States(rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateRetryable, rivertype.JobStateScheduled).
		First(1)
	require.Eventually(t, func() bool {
		res, err := f.env.App.River.JobList(context.Background(), params)
		require.NoError(t, err)
		return len(res.Jobs) == 0
	}, 60*time.Second, 10*time.Millisecond, "waiting for the queue to drain")
}

// oldestFirst returns runs sorted by created_at ascending (the API answers
// newest first).
func oldestFirst(runs []map[string]any) []map[string]any {
	out := append([]map[string]any(nil), runs...)
	sort.SliceStable(out, func(i, j int) bool {
		a, _ := time.Parse(time.RFC3339Nano, out[i]["created_at"].(string))
		b, _ := time.Parse(time.RFC3339Nano, out[j]["created_at"].(string))
		return a.Before(b)
	})
	return out
}

// triggerRecordID is the id of the record that started a run.
func triggerRecordID(run map[string]any) string {
	rec := triggerRecord(run)
	id, _ := rec["id"].(string)
	return id
}

// triggerRecord is trigger.data.record of a run.
func triggerRecord(run map[string]any) map[string]any {
	tr, _ := run["trigger"].(map[string]any)
	data, _ := tr["data"].(map[string]any)
	rec, _ := data["record"].(map[string]any)
	return rec
}

// recordIDs are the trigger record ids of runs, oldest run first.
func recordIDs(runs []map[string]any) []string {
	var out []string
	for _, r := range oldestFirst(runs) {
		out = append(out, triggerRecordID(r))
	}
	return out
}

func runIDsOf(runs []map[string]any) string {
	var ids []string
	for _, r := range runs {
		ids = append(ids, fmt.Sprintf("%v(%v)", r["id"], r["status"]))
	}
	return strings.Join(ids, ",")
}

// steps returns a run's steps.
func stepsOf(run map[string]any) []map[string]any {
	list, _ := run["steps"].([]any)
	out := make([]map[string]any, len(list))
	for i, s := range list {
		out[i] = s.(map[string]any)
	}
	return out
}

// items returns the items of a list answer.
func items(list map[string]any) []map[string]any {
	raw, _ := list["items"].([]any)
	out := make([]map[string]any, len(raw))
	for i, it := range raw {
		out[i] = it.(map[string]any)
	}
	return out
}

// addInvoices adds an Invoices table (Title text) and a link field
// "Invoices" on Orders pointing to it; its inverse field on Invoices is
// "Orders". It returns the Invoices table id.
func (f *fixture) addInvoices(t *testing.T) string {
	t.Helper()
	inv := f.table(t, "Invoices", map[string]any{"name": "Title", "type": "text"})
	id := inv["id"].(string)
	f.env.JSON("POST", "/api/v1/tables/"+f.tableID+"/fields", map[string]any{
		"name": "Invoices", "type": "link_to_record", "options": map[string]any{"table_id": id},
	}, 201)
	return id
}

// problem is an RFC 9457 problem-details answer.
type problem struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
	} `json:"errors"`
}

// send makes a request as the admin and decodes a problem answer (the raw
// body is returned too).
func (f *fixture) send(t *testing.T, method, path string, body any) (int, problem, []byte) {
	t.Helper()
	status, raw := f.env.Do(method, path, apptest.AdminToken, body)
	var p problem
	if status >= 400 {
		require.NoError(t, json.Unmarshal(raw, &p), "body: %s", raw)
	}
	return status, p, raw
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return raw
}
