package e2e_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/apptest"
)

func delayStep(id string, cfg map[string]any) map[string]any {
	return map[string]any{"id": id, "type": "delay", "config": cfg}
}

// waitWaiting waits until the automation's only run is waiting and
// returns it with its resume_at.
func (f *fixture) waitWaiting(t *testing.T, automationID string) (map[string]any, time.Time) {
	t.Helper()
	var run map[string]any
	require.Eventually(t, func() bool {
		items := f.runsWhere(t, automationID, url.Values{"status": {"waiting"}})["items"].([]any)
		if len(items) != 1 {
			return false
		}
		run = items[0].(map[string]any)
		return true
	}, 30*time.Second, 10*time.Millisecond, "waiting for a waiting run")
	resume, err := time.Parse(time.RFC3339Nano, run["resume_at"].(string))
	require.NoError(t, err, "resume_at %v", run["resume_at"])
	return run, resume
}

// TestDelayWaitsBetweenSteps: a delay of 2 s between two webhook steps
// completes at once, the run shows waiting with resume_at meanwhile (the
// step after it has not run), and the second call arrives after
// resume_at; then the run succeeds without resume_at.
func TestDelayWaitsBetweenSteps(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	aut := f.automation(t, map[string]any{"name": "wait", "trigger": f.trigger("record_created", nil),
		"steps": []any{webhookStep("a", rcv.URL, nil), delayStep("pause", map[string]any{"for": "2s"}), webhookStep("b", rcv.URL, nil)}})
	f.create(t, map[string]any{"Name": "x"})
	rcv.wait(t)
	first := time.Now()
	run, resume := f.waitWaiting(t, aut)
	require.WithinDuration(t, first.Add(2*time.Second), resume, time.Second)
	steps := stepsOf(f.getRun(t, run["id"].(string)))
	require.Len(t, steps, 2, "the step after the delay has not started")
	require.Equal(t, "succeeded", steps[1]["status"], "the delay step completed at once")
	require.Equal(t, 1, rcv.count())

	rcv.wait(t)
	require.False(t, time.Now().Before(resume.Add(-50*time.Millisecond)), "second call before resume_at %s", resume)
	done := f.waitRuns(t, aut, 1)[0]
	require.Equal(t, "succeeded", done["status"])
	require.Nil(t, done["resume_at"])
	out := stepsOf(f.getRun(t, done["id"].(string)))[1]["output"].(map[string]any)
	require.Equal(t, resume.UTC().Format(time.RFC3339Nano), out["resume_at"])
	require.InDelta(t, 2000, out["wait_ms"], 500)
	require.Equal(t, 2, rcv.count())
}

// TestDelayFirstStep: a delay that is the first step (executed inline by
// the writer) waits the same way.
func TestDelayFirstStep(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	aut := f.automation(t, map[string]any{"name": "wait", "trigger": f.trigger("record_created", nil),
		"steps": []any{delayStep("pause", map[string]any{"for": "1s"}), webhookStep("b", rcv.URL, nil)}})
	f.create(t, map[string]any{"Name": "x"})
	_, resume := f.waitWaiting(t, aut)
	require.Equal(t, 0, rcv.count())
	rcv.wait(t)
	require.False(t, time.Now().Before(resume.Add(-50*time.Millisecond)))
	require.Equal(t, "succeeded", f.waitRuns(t, aut, 1)[0]["status"])
}

// TestDelaySurvivesRestart: a run waiting in one app goes on in another
// started on the same database after the first was closed: the next
// step's job is in River's table, no worker held it. The step before the
// delay is not repeated.
func TestDelaySurvivesRestart(t *testing.T) {
	t.Parallel()
	first := apptest.Start(t)
	f := setupOn(t, first)
	rcv := newReceiver(t)
	aut := f.automation(t, map[string]any{"name": "wait", "trigger": f.trigger("record_created", nil),
		"steps": []any{webhookStep("a", rcv.URL, nil), delayStep("pause", map[string]any{"for": "2s"}), webhookStep("b", rcv.URL, nil)}})
	f.create(t, map[string]any{"Name": "x"})
	rcv.wait(t)
	f.waitWaiting(t, aut)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, first.App.Close(ctx))

	second := apptest.Start(t, func(c *app.Config) { c.DatabaseURL = first.App.Config.DatabaseURL })
	f2 := &fixture{env: second, baseID: f.baseID, tableID: f.tableID}
	d := rcv.wait(t)
	require.Equal(t, "x", d.Body["name"])
	run := f2.waitRuns(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"])
	require.Equal(t, 2, rcv.count(), "step a ran once, b once")
}

// TestDelayUntilPastRunsOn: an until (templated) in the past means no
// wait: the next step runs at once; an until beyond 30 days fails the
// step saying so.
func TestDelayUntilPastRunsOn(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	aut := f.automation(t, map[string]any{"name": "until", "trigger": f.trigger("record_created", nil),
		"steps": []any{delayStep("pause", map[string]any{"until": "{{trigger.record.fields.Name}}"}), webhookStep("b", rcv.URL, nil)}})
	start := time.Now()
	f.create(t, map[string]any{"Name": "2020-01-01T08:00:00Z"})
	rcv.wait(t)
	require.Less(t, time.Since(start), 2*time.Second)
	run := f.waitRuns(t, aut, 1)[0]
	require.Equal(t, "succeeded", run["status"])
	require.Nil(t, run["resume_at"])
	out := stepsOf(f.getRun(t, run["id"].(string)))[0]["output"].(map[string]any)
	require.Equal(t, 0.0, out["wait_ms"])

	f.create(t, map[string]any{"Name": time.Now().AddDate(0, 0, 31).Format("2006-01-02")})
	runs := f.waitRuns(t, aut, 2)
	require.Equal(t, "failed", runs[0]["status"])
	require.Contains(t, runs[0]["error"], "more than 30 days ahead")
	require.Equal(t, 1, rcv.count())
}

// TestDelayValidation: exactly one of for and until; bad or too long
// literals are refused at save at their place; nothing is written.
func TestDelayValidation(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, tc := range []struct {
		cfg map[string]any
		loc string
	}{
		{map[string]any{}, "steps[0].config.for"},
		{map[string]any{"for": "1m", "until": "2026-01-01"}, "steps[0].config.until"},
		{map[string]any{"for": "soon"}, "steps[0].config.for"},
		{map[string]any{"for": "-1s"}, "steps[0].config.for"},
		{map[string]any{"for": "31d"}, "steps[0].config.for"},
		{map[string]any{"for": "721h"}, "steps[0].config.for"},
		{map[string]any{"until": "tomorrow"}, "steps[0].config.until"},
		{map[string]any{"until": time.Now().AddDate(0, 0, 31).Format(time.RFC3339)}, "steps[0].config.until"},
	} {
		status, p, raw := f.send(t, "POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{"name": "bad", "trigger": f.trigger("record_created", nil),
			"steps": []any{delayStep("pause", tc.cfg)}})
		require.Equal(t, 422, status, "%v: %s", tc.cfg, raw)
		require.Len(t, p.Errors, 1, "%v: %s", tc.cfg, raw)
		require.Equal(t, tc.loc, p.Errors[0].Location, "%v: %s", tc.cfg, raw)
	}
	list := f.env.JSON("GET", "/api/v1/bases/"+f.baseID+"/automations", nil, 200)
	require.Empty(t, list["items"])
	for _, ok := range []map[string]any{{"for": "0s"}, {"for": "30d"}, {"for": "1d12h"}, {"until": "2020-01-01"}, {"until": "{{trigger.record.fields.Name}}"}} {
		f.env.JSON("POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{"name": "ok", "trigger": f.trigger("record_created", nil),
			"steps": []any{delayStep("pause", ok)}}, 201)
	}
}

// TestCancelEndsAWait: cancelling a run that waits after a delay ends it
// (cancelled, no resume_at); when the wait is over, the next step's job
// finds the run ended and the step never runs.
func TestCancelEndsAWait(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	aut := f.automation(t, map[string]any{"name": "wait", "trigger": f.trigger("record_created", nil),
		"steps": []any{webhookStep("a", rcv.URL, nil), delayStep("pause", map[string]any{"for": "1s"}), webhookStep("b", rcv.URL, nil)}})
	f.create(t, map[string]any{"Name": "x"})
	rcv.wait(t)
	run, resume := f.waitWaiting(t, aut)
	cancelled := f.env.JSON("POST", "/api/v1/runs/"+run["id"].(string)+"/cancel", nil, 200)
	require.Equal(t, "cancelled", cancelled["status"])
	// Past the resume time, the next step's job has run and done nothing.
	require.Eventually(t, func() bool {
		var state string
		err := f.env.App.Pool.QueryRow(context.Background(), `SELECT state::text FROM river_job WHERE kind = 'run_step' AND args->>'run_id' = $1 AND (args->>'index')::int = 2`, run["id"]).Scan(&state)
		return err == nil && state == "completed" && time.Now().After(resume)
	}, 30*time.Second, 20*time.Millisecond, "the next step's job ran")
	require.Equal(t, 1, rcv.count(), "the step after the wait never ran")
	got := f.getRun(t, run["id"].(string))
	require.Equal(t, "cancelled", got["status"])
	require.Len(t, stepsOf(got), 3)
	require.Equal(t, "not_run", stepsOf(got)[2]["status"])
}
