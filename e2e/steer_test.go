package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
)

// countRows counts rows with a query of the test's own (the independent
// count the API's answers are compared with).
func (f *fixture) countRows(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, f.env.App.Pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// waitRunStatus waits until run id has status want and returns it.
func (f *fixture) waitRunStatus(t *testing.T, id, want string) map[string]any {
	t.Helper()
	var run map[string]any
	require.Eventually(t, func() bool {
		run = f.getRun(t, id)
		return run["status"] == want
	}, 60*time.Second, 20*time.Millisecond, "waiting for run %s to be %s", id, want)
	return run
}

// TestRetryResumesFromFailedStep: a run that failed in step 3 of 4 is
// retried from step 3 — steps 1 and 2 are not executed again (one Log
// record, one delivery to the second step's receiver), step 4 sees step 1's
// stored output, and the run succeeds. A retry of a run that did not fail
// is a conflict, and so is a second retry once it runs again.
func TestRetryResumesFromFailedStep(t *testing.T) {
	t.Parallel()
	f := setup(t)
	logTable := f.table(t, "Log", map[string]any{"name": "Title", "type": "text"})["id"].(string)
	notify := newReceiver(t)
	flaky := newReceiver(t, 500) // the first request fails, then 200
	once := map[string]any{"retry": map[string]any{"max_attempts": 1}}
	aut := f.automation(t, map[string]any{"name": "four steps", "trigger": f.trigger("record_created", nil),
		"steps": []any{
			map[string]any{"id": "log", "type": "create_record", "config": map[string]any{"table_id": logTable, "fields": map[string]any{"Title": "{{trigger.record.fields.Name}}"}}},
			map[string]any{"id": "tell", "type": "send_webhook", "config": map[string]any{"url": notify.URL, "body": map[string]any{"step": "tell"}}},
			map[string]any{"id": "flaky", "type": "send_webhook", "config": map[string]any{"url": flaky.URL, "body": map[string]any{"step": "flaky"}}, "retry": once["retry"]},
			map[string]any{"id": "last", "type": "send_webhook", "config": map[string]any{"url": notify.URL, "body": map[string]any{"step": "last", "log": "{{steps.log.output.record.id}}"}}},
		}})
	f.create(t, map[string]any{"Name": "order 7"})
	run := f.waitExactly(t, aut, 1)[0]
	id := run["id"].(string)
	require.Equal(t, "failed", run["status"])
	steps := stepsOf(run)
	require.Equal(t, []any{"succeeded", "succeeded", "failed", "not_run"}, []any{steps[0]["status"], steps[1]["status"], steps[2]["status"], steps[3]["status"]})
	logID := steps[0]["output"].(map[string]any)["record"].(map[string]any)["id"].(string)
	require.Equal(t, 1, f.countRows(t, `SELECT count(*) FROM records WHERE table_id = $1`, logTable))
	require.Equal(t, 1, notify.count())
	require.Equal(t, 1, flaky.count())

	// A viewer may not retry; another base's token does not see the run.
	viewer := f.env.JSON("POST", "/api/v1/tokens", map[string]any{"name": "v", "role": "viewer"}, 201)["token"].(string)
	status, raw := f.env.Do("POST", "/api/v1/runs/"+id+"/retry", viewer, nil)
	require.Equal(t, http.StatusForbidden, status, "%s", raw)
	other := f.env.JSON("POST", "/api/v1/bases", map[string]any{"name": "Other"}, 201)["id"].(string)
	scoped := f.env.JSON("POST", "/api/v1/tokens", map[string]any{"name": "s", "role": "owner", "base_ids": []any{other}}, 201)["token"].(string)
	for _, op := range []string{"retry", "cancel", "replay"} {
		status, raw = f.env.Do("POST", "/api/v1/runs/"+id+"/"+op, scoped, nil)
		require.Equal(t, http.StatusNotFound, status, "%s: %s", op, raw)
	}
	// Cancelling a finished run is a conflict.
	status, raw = f.env.Do("POST", "/api/v1/runs/"+id+"/cancel", apptest.AdminToken, nil)
	require.Equal(t, http.StatusConflict, status, "%s", raw)
	require.Equal(t, "failed", f.getRun(t, id)["status"], "a refused cancel changes nothing")

	retried := f.env.JSON("POST", "/api/v1/runs/"+id+"/retry", nil, 202)
	assert.Equal(t, id, retried["id"])
	assert.Contains(t, []any{"running", "succeeded"}, retried["status"])
	done := f.waitRunStatus(t, id, "succeeded")
	f.drain(t)
	assert.Nil(t, done["error"])
	steps = stepsOf(done)
	require.Len(t, steps, 4)
	for _, s := range steps {
		assert.Equal(t, "succeeded", s["status"], "step %s", s["id"])
	}
	// Steps 1 and 2 were not repeated: still one Log record, and the
	// notify receiver got step 2 once and step 4 once.
	assert.Equal(t, 1, f.countRows(t, `SELECT count(*) FROM records WHERE table_id = $1`, logTable))
	assert.Equal(t, 2, flaky.count())
	require.Equal(t, 2, notify.count())
	notify.wait(t)
	last := notify.wait(t)
	assert.Equal(t, "last", last.Body["step"])
	assert.Equal(t, logID, last.Body["log"], "step 4 reads step 1's stored output")
	assert.Len(t, f.runs(t, aut), 1, "a retry is the same run")

	// A succeeded run cannot be retried (nor cancelled).
	for _, op := range []string{"retry", "cancel"} {
		status, raw = f.env.Do("POST", "/api/v1/runs/"+id+"/"+op, apptest.AdminToken, nil)
		require.Equal(t, http.StatusConflict, status, "%s: %s", op, raw)
	}
	status, raw = f.env.Do("POST", "/api/v1/runs/run_00000000000000000000000000/retry", apptest.AdminToken, nil)
	require.Equal(t, http.StatusNotFound, status, "%s", raw)
}

// TestCancelBetweenSteps: a run cancelled while its first step's call is
// held by the receiver ends cancelled at once; the held call finishes and
// its step row is written, but the next step never starts (no request, no
// job, listed not_run).
func TestCancelBetweenSteps(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	release := rcv.hold(t, 0)
	aut := f.automation(t, map[string]any{"name": "held", "trigger": f.trigger("record_created", nil),
		"steps": []any{webhookStep("first", rcv.URL, nil), webhookStep("second", rcv.URL, nil)}})
	f.create(t, map[string]any{"Name": "a"})
	rcv.wait(t) // the first step's call is held now
	runs := f.runs(t, aut)
	require.Len(t, runs, 1)
	id := runs[0]["id"].(string)
	cancelled := f.env.JSON("POST", "/api/v1/runs/"+id+"/cancel", nil, 200)
	require.Equal(t, "cancelled", cancelled["status"])
	require.NotNil(t, cancelled["finished_at"])
	release()

	// The held call completes its step's row; nothing moves the run on.
	var run map[string]any
	require.Eventually(t, func() bool {
		run = f.getRun(t, id)
		s := stepsOf(run)
		return len(s) > 0 && s[0]["status"] == "succeeded"
	}, 60*time.Second, 20*time.Millisecond, "the first step's row")
	f.drain(t)
	run = f.getRun(t, id)
	assert.Equal(t, "cancelled", run["status"])
	steps := stepsOf(run)
	require.Len(t, steps, 2)
	assert.Equal(t, "not_run", steps[1]["status"])
	assert.Equal(t, 1, rcv.count(), "the second step never called")
	assert.Zero(t, f.countRows(t, `SELECT count(*) FROM river_job WHERE kind = 'run_step' AND args->>'run_id' = $1 AND (args->>'index')::int = 1`, id),
		"no job for the second step")
	status, raw := f.env.Do("POST", "/api/v1/runs/"+id+"/cancel", apptest.AdminToken, nil)
	require.Equal(t, http.StatusConflict, status, "%s", raw)
	status, raw = f.env.Do("POST", "/api/v1/runs/"+id+"/retry", apptest.AdminToken, nil)
	require.Equal(t, http.StatusConflict, status, "a cancelled run is not retried: %s", raw)
}

// TestCancelDuringLastStep: a run cancelled while its last step's call is
// held stays cancelled when that call succeeds (the first step, which the
// matching worker may execute itself, and a later one, which River runs).
func TestCancelDuringLastStep(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, n := range []int{1, 2} {
		rcv := newReceiver(t)
		release := rcv.hold(t, n-1)
		steps := []any{}
		for i := 0; i < n; i++ {
			steps = append(steps, webhookStep(fmt.Sprintf("s%d", i), rcv.URL, nil))
		}
		aut := f.automation(t, map[string]any{"name": fmt.Sprintf("last of %d", n), "trigger": f.trigger("record_created", nil), "steps": steps})
		f.create(t, map[string]any{"Name": "a"})
		for i := 0; i < n; i++ {
			rcv.wait(t)
		}
		id := f.runs(t, aut)[0]["id"].(string)
		require.Equal(t, "cancelled", f.env.JSON("POST", "/api/v1/runs/"+id+"/cancel", nil, 200)["status"])
		release()
		require.Eventually(t, func() bool {
			s := stepsOf(f.getRun(t, id))
			return len(s) == n && s[n-1]["status"] == "succeeded"
		}, 60*time.Second, 20*time.Millisecond, "the held step's row")
		f.drain(t)
		run := f.getRun(t, id)
		assert.Equal(t, "cancelled", run["status"], "%d steps: the last step's success does not end the run succeeded", n)
		assert.Equal(t, "cancelled through the API", run["error"])
	}
}

// TestCancelQueuedRun: a queued run whose step job is already inserted is
// cancelled; the job then finds the run ended and does nothing.
func TestCancelQueuedRun(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	aut := f.automation(t, map[string]any{"name": "q", "trigger": f.trigger("record_created", nil),
		"steps": []any{webhookStep("first", rcv.URL, nil)}})
	// A queued run with its first step's job scheduled ahead (as a run
	// waiting in the queue), made by the test.
	ctx := context.Background()
	id := "run_01m8cancelqueuedrun0000000"
	_, err := f.env.App.Pool.Exec(ctx, `INSERT INTO runs (id, automation_id, version, base_id, trigger_type, trigger_data, status, event_key)
		VALUES ($1, $2, 1, $3, 'record_created', '{"table_id": "x", "record": {"id": "rec_x", "fields": {}}}', 'queued', 'test:queued')`, id, aut, f.baseID)
	require.NoError(t, err)
	_, err = f.env.App.Pool.Exec(ctx, `INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, scheduled_at, metadata, tags)
		VALUES (jsonb_build_object('run_id', $1::text, 'index', 0), 'run_step', 3, 1, 'default', 'scheduled', now() + interval '1 second', '{}', '{}')`, id)
	require.NoError(t, err)
	require.Equal(t, "cancelled", f.env.JSON("POST", "/api/v1/runs/"+id+"/cancel", nil, 200)["status"])
	require.Eventually(t, func() bool {
		return f.countRows(t, `SELECT count(*) FROM river_job WHERE args->>'run_id' = $1 AND state = 'completed'`, id) == 1
	}, 60*time.Second, 20*time.Millisecond, "the step job ran")
	assert.Zero(t, rcv.count())
	assert.Equal(t, "cancelled", f.getRun(t, id)["status"])
	assert.Zero(t, f.countRows(t, `SELECT count(*) FROM run_steps WHERE run_id = $1`, id))
}

// TestReplayOnChangedVersion: a replay is a new run with the original's
// trigger data on the automation's current version, linked by replay_of.
func TestReplayOnChangedVersion(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	step := func(v string) []any {
		return []any{map[string]any{"id": "send", "type": "send_webhook", "config": map[string]any{"url": rcv.URL,
			"body": map[string]any{"v": v, "id": "{{trigger.record.id}}"}}}}
	}
	aut := f.automation(t, map[string]any{"name": "r", "trigger": f.trigger("record_created", nil), "steps": step("one")})
	rec := f.create(t, map[string]any{"Name": "a"})
	orig := f.waitExactly(t, aut, 1)[0]
	require.Equal(t, "one", rcv.wait(t).Body["v"])
	require.EqualValues(t, 2, f.env.JSON("PATCH", "/api/v1/automations/"+aut, map[string]any{"steps": step("two")}, 200)["version"])

	replay := f.env.JSON("POST", "/api/v1/runs/"+orig["id"].(string)+"/replay", nil, 202)
	assert.NotEqual(t, orig["id"], replay["id"])
	assert.Equal(t, orig["id"], replay["replay_of"])
	assert.EqualValues(t, 2, replay["version"])
	assert.Equal(t, orig["trigger"], replay["trigger"])
	d := rcv.wait(t)
	assert.Equal(t, "two", d.Body["v"])
	assert.Equal(t, rec, d.Body["id"])
	f.waitRunStatus(t, replay["id"].(string), "succeeded")
	assert.Len(t, f.waitExactly(t, aut, 2), 2)
	assert.Nil(t, f.getRun(t, orig["id"].(string))["replay_of"])
	assert.Equal(t, 1, f.countRows(t, `SELECT count(*) FROM runs WHERE replay_of = $1 AND event_key LIKE 'replay:%'`, orig["id"]))
}

// TestRunListFilters: each filter of the automation's and the base's run
// lists returns exactly the runs an independent count selects, and the
// base-wide list pages through every run of the base once.
func TestRunListFilters(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ok, bad := newReceiver(t), newReceiver(t, 500, 500, 500, 500, 500, 500)
	once := map[string]any{"max_attempts": 1}
	good := f.automation(t, map[string]any{"name": "good", "trigger": f.trigger("record_created", nil), "steps": []any{webhookStep("s", ok.URL, nil)}})
	failing := f.automation(t, map[string]any{"name": "failing", "trigger": f.trigger("record_created", nil), "steps": []any{webhookStep("s", bad.URL, map[string]any{"retry": once})}})
	recs := f.createBatch(t, map[string]any{"Name": "a"}, map[string]any{"Name": "b"}, map[string]any{"Name": "c"})
	f.waitExactly(t, good, 3)
	f.waitExactly(t, failing, 3)
	middle := time.Now().UTC()
	f.env.JSON("POST", "/api/v1/automations/"+good+"/test", map[string]any{"mode": "live", "record_id": recs[0]}, 202)
	f.env.JSON("POST", "/api/v1/automations/"+good+"/test", map[string]any{"mode": "live", "record_id": recs[1]}, 202)
	f.waitExactly(t, good, 5)

	ids := func(list map[string]any) []string {
		var out []string
		for _, r := range items(list) {
			out = append(out, r["id"].(string))
		}
		sort.Strings(out)
		return out
	}
	want := func(where string, args ...any) []string {
		rows, err := f.env.App.Pool.Query(context.Background(), `SELECT id FROM runs WHERE `+where+` ORDER BY id`, args...)
		require.NoError(t, err)
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id string
			require.NoError(t, rows.Scan(&id))
			out = append(out, id)
		}
		return out
	}
	at := middle.Format(time.RFC3339Nano)
	cases := []struct {
		query url.Values
		where string
		args  []any
	}{
		{url.Values{"status": {"failed"}}, "status = 'failed'", nil},
		{url.Values{"status": {"succeeded"}}, "status = 'succeeded'", nil},
		{url.Values{"is_test": {"true"}}, "is_test", nil},
		{url.Values{"is_test": {"false"}}, "NOT is_test", nil},
		{url.Values{"record_id": {recs[0]}}, "trigger_data->'record'->>'id' = $1", []any{recs[0]}},
		{url.Values{"from": {at}}, "created_at >= $1", []any{middle}},
		{url.Values{"to": {at}}, "created_at < $1", []any{middle}},
		{url.Values{"record_id": {recs[1]}, "is_test": {"false"}, "status": {"failed"}}, "trigger_data->'record'->>'id' = $1 AND NOT is_test AND status = 'failed'", []any{recs[1]}},
	}
	for _, c := range cases {
		c.query.Set("limit", "200")
		got := ids(f.env.JSON("GET", "/api/v1/bases/"+f.baseID+"/runs?"+c.query.Encode(), nil, 200))
		expect := want("base_id = '"+f.baseID+"' AND "+c.where, c.args...)
		require.NotEmpty(t, expect, "%v selects something", c.query)
		assert.Equal(t, expect, got, "base runs %v", c.query)
		got = ids(f.env.JSON("GET", "/api/v1/automations/"+good+"/runs?"+c.query.Encode(), nil, 200))
		assert.Equal(t, want("automation_id = '"+good+"' AND "+c.where, c.args...), got, "automation runs %v", c.query)
	}

	// Paging: two at a time, newest first, every run of the base once.
	var paged []string
	path := "/api/v1/bases/" + f.baseID + "/runs?limit=2"
	var prev time.Time
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10)
		page := f.env.JSON("GET", path, nil, 200)
		for _, r := range items(page) {
			created, err := time.Parse(time.RFC3339Nano, r["created_at"].(string))
			require.NoError(t, err)
			if !prev.IsZero() {
				require.False(t, created.After(prev), "newest first")
			}
			prev = created
			paged = append(paged, r["id"].(string))
		}
		next, _ := page["next_cursor"].(string)
		if next == "" {
			break
		}
		path = "/api/v1/bases/" + f.baseID + "/runs?limit=2&cursor=" + url.QueryEscape(next)
	}
	sort.Strings(paged)
	assert.Equal(t, want("base_id = $1", f.baseID), paged)
	assert.Len(t, paged, 8)

	// Bad filters are 422 at their place; nothing of another base shows.
	for q, loc := range map[string]string{"status=nope": "status", "from=" + url.QueryEscape(at) + "&to=" + url.QueryEscape(at): "to", "cursor=%25%25": "cursor", "from=yesterday": "from"} {
		status, raw := f.env.Do("GET", "/api/v1/bases/"+f.baseID+"/runs?"+q, apptest.AdminToken, nil)
		require.Equal(t, http.StatusUnprocessableEntity, status, "%s: %s", q, raw)
		assert.Contains(t, string(raw), loc, q)
	}
	other := f.env.JSON("POST", "/api/v1/bases", map[string]any{"name": "Other"}, 201)["id"].(string)
	assert.Empty(t, items(f.env.JSON("GET", "/api/v1/bases/"+other+"/runs", nil, 200)))
	scoped := f.env.JSON("POST", "/api/v1/tokens", map[string]any{"name": "s", "role": "owner", "base_ids": []any{other}}, 201)["token"].(string)
	status, raw := f.env.Do("GET", "/api/v1/bases/"+f.baseID+"/runs", scoped, nil)
	require.Equal(t, http.StatusNotFound, status, "%s", raw)
}

// TestVersionsListGetRestore: every save is a version; versions are listed
// newest first with secrets redacted; a restore saves a new version equal
// to the old one — secrets included, so its runs send them again.
func TestVersionsListGetRestore(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	step := func(name string) []any {
		return []any{map[string]any{"id": "send", "type": "send_webhook", "config": map[string]any{"url": rcv.URL,
			"headers": map[string]any{"Authorization": "Bearer s3cret-" + name}, "body": map[string]any{"v": name}}}}
	}
	aut := f.automation(t, map[string]any{"name": "v1", "trigger": f.trigger("record_created", nil), "steps": step("one")})
	f.env.JSON("PATCH", "/api/v1/automations/"+aut, map[string]any{"name": "v2", "steps": step("two")}, 200)

	list := f.env.JSON("GET", "/api/v1/automations/"+aut+"/versions", nil, 200)
	vs := items(list)
	require.Len(t, vs, 2)
	assert.EqualValues(t, 2, vs[0]["version"])
	assert.Equal(t, "v1", vs[1]["name"])
	status, raw := f.env.Do("GET", "/api/v1/automations/"+aut+"/versions", apptest.AdminToken, nil)
	require.Equal(t, http.StatusOK, status)
	assert.NotContains(t, string(raw), "s3cret", "secrets redacted")
	page := f.env.JSON("GET", "/api/v1/automations/"+aut+"/versions?limit=1", nil, 200)
	require.Len(t, items(page), 1)
	rest := f.env.JSON("GET", "/api/v1/automations/"+aut+"/versions?limit=1&cursor="+page["next_cursor"].(string), nil, 200)
	require.Len(t, items(rest), 1)
	assert.EqualValues(t, 1, items(rest)[0]["version"])
	assert.Nil(t, rest["next_cursor"])

	one := f.env.JSON("GET", "/api/v1/automations/"+aut+"/versions/1", nil, 200)
	assert.Equal(t, "v1", one["name"])
	status, raw = f.env.Do("GET", "/api/v1/automations/"+aut+"/versions/1", apptest.AdminToken, nil)
	require.Equal(t, http.StatusOK, status)
	assert.NotContains(t, string(raw), "s3cret")
	status, raw = f.env.Do("GET", "/api/v1/automations/"+aut+"/versions/9", apptest.AdminToken, nil)
	require.Equal(t, http.StatusNotFound, status, "%s", raw)

	viewer := f.env.JSON("POST", "/api/v1/tokens", map[string]any{"name": "v", "role": "viewer"}, 201)["token"].(string)
	status, raw = f.env.Do("POST", "/api/v1/automations/"+aut+"/versions/1/restore", viewer, nil)
	require.Equal(t, http.StatusForbidden, status, "%s", raw)
	status, raw = f.env.Do("POST", "/api/v1/automations/"+aut+"/versions/9/restore", apptest.AdminToken, nil)
	require.Equal(t, http.StatusNotFound, status, "%s", raw)
	assert.Len(t, items(f.env.JSON("GET", "/api/v1/automations/"+aut+"/versions", nil, 200)), 2, "refused restores write nothing")

	restored := f.env.JSON("POST", "/api/v1/automations/"+aut+"/versions/1/restore", nil, 200)
	assert.EqualValues(t, 3, restored["version"])
	assert.Equal(t, "v1", restored["name"])
	three := f.env.JSON("GET", "/api/v1/automations/"+aut+"/versions/3", nil, 200)
	one["version"], three["version"] = nil, nil
	one["created_at"], three["created_at"] = nil, nil
	assert.Equal(t, one, three, "version 3 equals version 1")

	f.create(t, map[string]any{"Name": "a"})
	d := rcv.wait(t)
	assert.Equal(t, "one", d.Body["v"])
	assert.Equal(t, "Bearer s3cret-one", d.Header.Get("Authorization"), "the restored version keeps its secret")
	run := f.waitExactly(t, aut, 1)[0]
	assert.EqualValues(t, 3, run["version"])

	// A version that no longer fits the base is refused as a save would be
	// (422 at its place), and writes nothing.
	view := f.view(t, "Done", map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Name", "op": "is", "value": "x"}}})
	watching := f.env.JSON("PATCH", "/api/v1/automations/"+aut, map[string]any{"trigger": f.trigger("record_enters_view", map[string]any{"view_id": view})}, 200)["version"]
	f.env.JSON("PATCH", "/api/v1/automations/"+aut, map[string]any{"trigger": f.trigger("record_created", nil)}, 200)
	f.env.JSON("DELETE", "/api/v1/views/"+view, nil, 204)
	status, raw = f.env.Do("POST", "/api/v1/automations/"+aut+"/versions/"+fmt.Sprint(watching)+"/restore", apptest.AdminToken, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status, "%s", raw)
	assert.Contains(t, string(raw), "trigger.config.view_id")
	assert.Len(t, items(f.env.JSON("GET", "/api/v1/automations/"+aut+"/versions?limit=200", nil, 200)), 5)
}
