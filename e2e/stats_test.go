package e2e_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
	"github.com/rowflow/rowflow/automation"
)

// seededRun is a run the stats tests insert with SQL at a chosen time.
type seededRun struct {
	automation string
	status     string
	created    time.Time
	// latency: first step started after creation (0: no step);
	// duration: finished after creation (negative: not finished).
	latency, duration time.Duration
	failedStep        string // the id of the failed step of a failed run
	failedError       string // its error text (empty: none)
	isTest            bool
}

// insertRuns writes runs (with one step each when latency > 0) directly.
// A run that ended is inserted running and then ended by an UPDATE, as the
// runtime ends runs: the statement that ends a run counts it in the stats
// rollup (migrations/00150_run_rollup.sql), with the step rows there by then.
func (f *fixture) insertRuns(t *testing.T, baseID string, runs []seededRun) {
	t.Helper()
	ctx := context.Background()
	for i, r := range runs {
		id := seedID(i, r.automation)
		var finished *time.Time
		if r.duration >= 0 {
			ft := r.created.Add(r.duration)
			finished = &ft
		}
		ended := r.status != "queued" && r.status != "running" && r.status != "waiting"
		status := r.status
		if ended {
			status = "running"
		}
		_, err := f.env.App.Pool.Exec(ctx, `INSERT INTO runs (id, automation_id, version, base_id, trigger_type, trigger_data, status, is_test, event_key, created_at, started_at, finished_at)
			VALUES ($1, $2, 1, $3, 'record_created', '{}', $4, $5, $1, $6, $6, NULL)`, id, r.automation, baseID, status, r.isTest, r.created)
		require.NoError(t, err)
		if r.latency > 0 {
			step, status := "call", "succeeded"
			var stepErr *string
			if r.failedStep != "" {
				step, status = r.failedStep, "failed"
				if r.failedError != "" {
					stepErr = &r.failedError
				}
			}
			_, err = f.env.App.Pool.Exec(ctx, `INSERT INTO run_steps (run_id, step_index, step_id, type, status, attempts, started_at, finished_at, error)
				VALUES ($1, 0, $2, 'send_webhook', $3, 1, $4, $5, $6)`, id, step, status, r.created.Add(r.latency), finished, stepErr)
			require.NoError(t, err)
		}
		if ended || finished != nil {
			_, err = f.env.App.Pool.Exec(ctx, `UPDATE runs SET status = $2, finished_at = $3 WHERE id = $1`, id, r.status, finished)
			require.NoError(t, err)
		}
	}
}

// seedID is the id insertRuns gives the i-th run of automation.
func seedID(i int, automation string) string {
	return fmt.Sprintf("run_seed%018d", i) + automation[len(automation)-8:]
}

// percentile is percentile_cont's definition: linear interpolation between
// the closest ranks of the sorted values.
func percentile(vs []float64, p float64) float64 {
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	pos := p * float64(len(s)-1)
	lo, hi := math.Floor(pos), math.Ceil(pos)
	return s[int(lo)] + (s[int(hi)]-s[int(lo)])*(pos-lo)
}

// wantStats is what a set of seeded runs should count to.
type wantStats struct {
	runs     int
	byStatus map[string]int
	latency  []float64
	duration []float64
	failures map[string]int
	// byClass and byStepClass ("step class") count the failed steps per
	// error class, classed by the test's own table (seedClass).
	byClass     map[string]int
	byStepClass map[string]int
}

// seedClass is the error class the test expects of a seeded error text,
// independently of automation.ErrorClass and rowflow_error_class.
func seedClass(msg string) string {
	switch msg {
	case "outbound: delivery failed: status 500", "outbound: delivery failed: status 503":
		return "http_5xx"
	case "outbound: delivery failed: status 404":
		return "http_4xx"
	case "outbound: delivery failed: status 429":
		return "http_429"
	case `outbound: delivery failed: Post "http://127.0.0.1:9/": context deadline exceeded`:
		return "timeout"
	case `outbound: delivery failed: Post "http://127.0.0.1:9/": dial tcp 127.0.0.1:9: connect: connection refused`:
		return "connection"
	case "", "boom":
		return "other"
	}
	panic("no class for seeded error " + msg)
}

func expect(runs []seededRun, keep func(seededRun) bool) wantStats {
	w := wantStats{byStatus: map[string]int{}, failures: map[string]int{}, byClass: map[string]int{}, byStepClass: map[string]int{}}
	for _, r := range runs {
		if r.isTest || !keep(r) {
			continue
		}
		w.runs++
		w.byStatus[r.status]++
		if r.latency > 0 {
			w.latency = append(w.latency, r.latency.Seconds())
		}
		if r.duration >= 0 {
			w.duration = append(w.duration, r.duration.Seconds())
		}
		if r.failedStep != "" {
			w.failures[r.failedStep]++
			w.byClass[seedClass(r.failedError)]++
			w.byStepClass[r.failedStep+" "+seedClass(r.failedError)]++
		}
	}
	return w
}

// checkStats compares one answered RunStats with w.
func checkStats(t *testing.T, name string, got map[string]any, w wantStats) {
	t.Helper()
	require.EqualValues(t, w.runs, got["runs"], "%s: runs", name)
	by := got["by_status"].(map[string]any)
	for _, s := range []string{"queued", "running", "waiting", "succeeded", "failed", "skipped", "cancelled"} {
		assert.EqualValues(t, w.byStatus[s], by[s], "%s: %s", name, s)
	}
	if done := w.byStatus["succeeded"] + w.byStatus["failed"]; done > 0 {
		assert.InDelta(t, float64(w.byStatus["succeeded"])/float64(done), got["success_rate"], 1e-9, "%s: success rate", name)
	} else {
		assert.Nil(t, got["success_rate"], "%s: success rate", name)
	}
	for key, vs := range map[string][]float64{"trigger_latency_seconds": w.latency, "duration_seconds": w.duration} {
		p := got[key].(map[string]any)
		for q, frac := range map[string]float64{"p50": 0.5, "p95": 0.95, "p99": 0.99} {
			if len(vs) == 0 {
				assert.Nil(t, p[q], "%s: %s %s", name, key, q)
				continue
			}
			// The rollup's histograms answer within automation.HistMaxError.
			if want := percentile(vs, frac); want < automation.HistMin {
				assert.InDelta(t, want, p[q], automation.HistMin, "%s: %s %s", name, key, q)
			} else {
				assert.InEpsilon(t, want, p[q], automation.HistMaxError, "%s: %s %s", name, key, q)
			}
		}
	}
	fails := map[string]int{}
	for _, x := range got["failures_by_step"].([]any) {
		m := x.(map[string]any)
		fails[m["step_id"].(string)] = int(m["failures"].(float64))
	}
	assert.Equal(t, w.failures, fails, "%s: failures by step", name)
	byClass := map[string]int{}
	for _, x := range got["failures_by_class"].([]any) {
		m := x.(map[string]any)
		byClass[m["error_class"].(string)] = int(m["failures"].(float64))
	}
	assert.Equal(t, w.byClass, byClass, "%s: failures by class", name)
	byStepClass := map[string]int{}
	for _, x := range got["failures"].([]any) {
		m := x.(map[string]any)
		byStepClass[m["step_id"].(string)+" "+m["error_class"].(string)] = int(m["failures"].(float64))
	}
	assert.Equal(t, w.byStepClass, byStepClass, "%s: failures by step and class", name)
}

func bucketsOf(t *testing.T, stats map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, x := range stats["buckets"].([]any) {
		b := x.(map[string]any)
		out[b["start"].(string)] = b
	}
	return out
}

// TestRunStats: the stats of an automation and of its base equal the
// counts the test computes from the runs it inserted at chosen times, and
// its percentiles within the rollup's histogram error (per hour and per
// day, and over the range): test runs,
// runs outside [from, to), another automation's runs (in the automation's
// stats) and another base's runs are left out. A real run is counted in
// the default range (the last 30 days). Viewers may read stats; a token
// of another base gets 404; bad from, to or bucket answer 422 naming it.
func TestRunStats(t *testing.T) {
	t.Parallel()
	f := setup(t)
	hook := newReceiver(t)
	aut := f.automation(t, map[string]any{"name": "stats", "trigger": f.trigger("record_created", nil),
		"steps": []any{webhookStep("call", hook.URL, nil)}})
	other := f.automation(t, map[string]any{"name": "other", "trigger": f.trigger("record_created", nil), "steps": []any{}})
	// One real run, now.
	f.create(t, map[string]any{"Name": "live"})
	real := f.waitRuns(t, aut, 1)
	require.Equal(t, "succeeded", real[0]["status"])
	f.waitRuns(t, other, 1)

	t0 := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	var seeded []seededRun
	for i := 1; i <= 10; i++ { // hour 0 of day 1: succeeded, the first exactly at from
		seeded = append(seeded, seededRun{automation: aut, status: "succeeded", created: t0.Add(time.Duration(i-1) * 5 * time.Minute),
			latency: time.Duration(i) * 100 * time.Millisecond, duration: time.Duration(i) * time.Second})
	}
	for i, fail := range []struct{ step, err string }{ // hour 3: failed, errors of 5 classes
		{"call", "outbound: delivery failed: status 500"},
		{"call", "outbound: delivery failed: status 503"},
		{"post", "outbound: delivery failed: status 404"},
		{"call", `outbound: delivery failed: Post "http://127.0.0.1:9/": context deadline exceeded`},
		{"post", `outbound: delivery failed: Post "http://127.0.0.1:9/": dial tcp 127.0.0.1:9: connect: connection refused`},
		{"post", "outbound: delivery failed: status 500"},
		{"call", "boom"},
		{"call", ""},
	} {
		seeded = append(seeded, seededRun{automation: aut, status: "failed", created: t0.Add(3*time.Hour + time.Duration(i)*time.Minute),
			latency: time.Second, duration: time.Duration(20+10*i) * time.Second, failedStep: fail.step, failedError: fail.err})
	}
	day2 := t0.Add(29 * time.Hour)
	seeded = append(seeded,
		seededRun{automation: aut, status: "cancelled", created: day2, duration: 5 * time.Second},
		seededRun{automation: aut, status: "queued", created: day2.Add(time.Minute), duration: -1},
		seededRun{automation: aut, status: "skipped", created: day2.Add(2 * time.Minute), duration: 10 * time.Millisecond},
		// outside [from, to)
		seededRun{automation: aut, status: "succeeded", created: t0.Add(-time.Second), latency: time.Second, duration: time.Second},
		seededRun{automation: aut, status: "failed", created: t0.Add(48 * time.Hour), latency: time.Second, duration: time.Second, failedStep: "call"},
	)
	for i := 0; i < 5; i++ { // test runs
		seeded = append(seeded, seededRun{automation: aut, status: "failed", created: t0.Add(time.Hour), latency: 9 * time.Second, duration: 99 * time.Second, failedStep: "call", isTest: true})
	}
	for i := 0; i < 3; i++ { // another automation of the base
		seeded = append(seeded, seededRun{automation: other, status: "succeeded", created: t0.Add(time.Duration(i) * time.Minute), latency: 2 * time.Second, duration: 7 * time.Second})
	}
	f.insertRuns(t, f.baseID, seeded)
	// Another base with runs of its own.
	g := setupOn(t, f.env)
	autG := g.automation(t, map[string]any{"name": "g", "trigger": g.trigger("record_created", nil), "steps": []any{}})
	g.insertRuns(t, g.baseID, []seededRun{{automation: autG, status: "failed", created: t0, latency: time.Second, duration: time.Second, failedStep: "x"}})

	from, to := t0, t0.Add(48*time.Hour)
	inRange := func(r seededRun) bool { return !r.created.Before(from) && r.created.Before(to) }
	ofAut := func(r seededRun) bool { return r.automation == aut && inRange(r) }
	q := url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}

	// Per day.
	q.Set("bucket", "day")
	st := f.env.JSON("GET", "/api/v1/automations/"+aut+"/stats?"+q.Encode(), nil, 200)
	assert.Equal(t, "day", st["bucket"])
	checkStats(t, "automation total", st["total"].(map[string]any), expect(seeded, ofAut))
	days := bucketsOf(t, st)
	require.Len(t, days, 2)
	for _, d := range []time.Time{t0, t0.Add(24 * time.Hour)} {
		b, ok := days[d.Format(time.RFC3339)]
		require.True(t, ok, "bucket %s in %v", d, days)
		checkStats(t, "day "+d.String(), b, expect(seeded, func(r seededRun) bool {
			return ofAut(r) && !r.created.Before(d) && r.created.Before(d.Add(24*time.Hour))
		}))
	}
	// Per hour.
	q.Set("bucket", "hour")
	st = f.env.JSON("GET", "/api/v1/automations/"+aut+"/stats?"+q.Encode(), nil, 200)
	hours := bucketsOf(t, st)
	require.Len(t, hours, 3)
	for _, h := range []time.Time{t0, t0.Add(3 * time.Hour), t0.Add(29 * time.Hour)} {
		b, ok := hours[h.Format(time.RFC3339)]
		require.True(t, ok, "bucket %s in %v", h, hours)
		checkStats(t, "hour "+h.String(), b, expect(seeded, func(r seededRun) bool {
			return ofAut(r) && !r.created.Before(h) && r.created.Before(h.Add(time.Hour))
		}))
	}
	// The base: both automations, not the other base's.
	q.Set("bucket", "day")
	bs := f.env.JSON("GET", "/api/v1/bases/"+f.baseID+"/stats?"+q.Encode(), nil, 200)
	checkStats(t, "base total", bs["total"].(map[string]any), expect(seeded, inRange))
	gs := f.env.JSON("GET", "/api/v1/bases/"+g.baseID+"/stats?"+q.Encode(), nil, 200)
	require.EqualValues(t, 1, gs["total"].(map[string]any)["runs"])

	// The default range (the last 30 days) holds the real run only.
	live := f.env.JSON("GET", "/api/v1/automations/"+aut+"/stats", nil, 200)["total"].(map[string]any)
	require.EqualValues(t, 1, live["runs"])
	require.EqualValues(t, 1, live["by_status"].(map[string]any)["succeeded"])
	require.NotNil(t, live["duration_seconds"].(map[string]any)["p50"], "the real run's duration")
	require.NotNil(t, live["trigger_latency_seconds"].(map[string]any)["p50"], "the real run's trigger latency")

	// Roles and scoping.
	viewer := f.env.JSON("POST", "/api/v1/tokens", map[string]any{"name": "v", "role": "viewer"}, 201)["token"].(string)
	f.env.JSONAs(viewer, "GET", "/api/v1/automations/"+aut+"/stats?"+q.Encode(), nil, 200)
	f.env.JSONAs(viewer, "GET", "/api/v1/bases/"+f.baseID+"/stats?"+q.Encode(), nil, 200)
	scoped := f.env.JSON("POST", "/api/v1/tokens", map[string]any{"name": "s", "role": "owner", "base_ids": []any{g.baseID}}, 201)["token"].(string)
	for _, path := range []string{"/api/v1/automations/" + aut + "/stats", "/api/v1/bases/" + f.baseID + "/stats"} {
		status, raw := f.env.Do("GET", path, scoped, nil)
		require.Equal(t, http.StatusNotFound, status, "%s: %s", path, raw)
	}
	f.env.JSONAs(scoped, "GET", "/api/v1/bases/"+g.baseID+"/stats", nil, 200)

	// Bad input names its place.
	for query, place := range map[string]string{
		"bucket=week": "bucket",
		"from=soon":   "from",
		"to=later":    "to",
		"from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z": "to",
		"from=2025-01-01T00:00:00Z&to=2026-02-06T00:00:00Z": "to", // 401 days
	} {
		for _, path := range []string{"/api/v1/automations/" + aut + "/stats", "/api/v1/bases/" + f.baseID + "/stats"} {
			status, p, raw := f.send(t, "GET", path+"?"+query, nil)
			require.Equal(t, http.StatusUnprocessableEntity, status, "%s?%s: %s", path, query, raw)
			require.NotEmpty(t, p.Errors, "%s", raw)
			assert.Contains(t, p.Errors[0].Location, place, "%s?%s: %s", path, query, raw)
		}
	}
	status, raw := f.env.Do("GET", "/api/v1/automations/"+aut+"/stats?from=2025-01-01T00:00:00Z&to=2026-02-05T00:00:00Z", apptest.AdminToken, nil)
	require.Equal(t, http.StatusOK, status, "400 days is allowed: %s", raw)
}
