package e2e_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/apptest"
	"github.com/rowflow/rowflow/jobs"
)

// fastSchedules lets schedules fire every second (the default minimum is a
// minute) and ticks often.
func fastSchedules(c *app.Config) {
	c.ScheduleMinInterval = time.Second
	c.ScheduleTick = 200 * time.Millisecond
	c.ScheduleLookahead = time.Second
}

// scheduledStep posts the fire's trigger data to url.
func scheduledStep(url string) map[string]any {
	return map[string]any{"id": "post", "type": "send_webhook", "config": map[string]any{"url": url, "body": map[string]any{
		"automation":    "{{run.automation_id}}",
		"scheduled_for": "{{trigger.scheduled_for}}",
		"fired_at":      "{{trigger.fired_at}}",
	}}}
}

// pool opens a pool on the app's database for the test's own statements.
func pool(t *testing.T, env *apptest.Env) *pgxpool.Pool {
	p, err := pgxpool.New(context.Background(), env.App.Config.DatabaseURL)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	return p
}

// TestScheduledFires: an automation every 2 seconds runs with the fire's
// trigger data, its answer lists the next fires in its zone and UTC, and
// disabling it removes its schedule at once.
func TestScheduledFires(t *testing.T) {
	t.Parallel()
	f := setup(t, fastSchedules)
	rcv := newReceiver(t)
	a := f.env.JSON("POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{
		"name":    "tick",
		"trigger": map[string]any{"type": "scheduled", "config": map[string]any{"every": "2s", "time_zone": "Europe/Berlin"}},
		"steps":   []any{scheduledStep(rcv.URL)},
	}, 201)
	id := a["id"].(string)
	fires := a["next_fires"].([]any)
	require.Len(t, fires, 5)
	first := fires[0].(map[string]any)
	local, err := time.Parse(time.RFC3339, first["local"].(string))
	require.NoError(t, err)
	utc, err := time.Parse(time.RFC3339, first["utc"].(string))
	require.NoError(t, err)
	require.True(t, local.Equal(utc))
	require.Contains(t, first["utc"], "Z")
	_, off := local.Zone()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	_, want := utc.In(berlin).Zone()
	require.Equal(t, want, off, "local is in the schedule's zone")
	require.Zero(t, utc.Unix()%2, "every 2s fires at even seconds")

	d1, d2 := rcv.wait(t), rcv.wait(t)
	s1, err := time.Parse(time.RFC3339, d1.Body["scheduled_for"].(string))
	require.NoError(t, err)
	s2, err := time.Parse(time.RFC3339, d2.Body["scheduled_for"].(string))
	require.NoError(t, err)
	if s2.Before(s1) { // two runs' steps may deliver in either order
		s1, s2, d1 = s2, s1, d2
	}
	require.Equal(t, 2*time.Second, s2.Sub(s1), "consecutive fires")
	fired, err := time.Parse(time.RFC3339Nano, d1.Body["fired_at"].(string))
	require.NoError(t, err)
	require.False(t, fired.Before(s1))
	require.Equal(t, id, d1.Body["automation"])

	off1 := f.env.JSON("POST", "/api/v1/automations/"+id+"/disable", nil, 200)
	require.Nil(t, off1["next_fires"], "a disabled automation has no next fires")
	var n int
	require.NoError(t, pool(t, f.env).QueryRow(context.Background(), "SELECT count(*) FROM automation_schedules").Scan(&n))
	require.Zero(t, n)
	// Enabled again: the row is back, with the next fire after now.
	on := f.env.JSON("POST", "/api/v1/automations/"+id+"/enable", nil, 200)
	require.Len(t, on["next_fires"], 5)
	f.env.JSON("DELETE", "/api/v1/automations/"+id, nil, 204)
	require.NoError(t, pool(t, f.env).QueryRow(context.Background(), "SELECT count(*) FROM automation_schedules").Scan(&n))
	require.Zero(t, n)
}

// TestScheduledValidation: bad timings are refused at save time with the
// place named, and nothing is written.
func TestScheduledValidation(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, tc := range []struct {
		cfg map[string]any
		loc string
	}{
		{map[string]any{"cron": "0 0 30 2 *"}, "trigger.config.cron"},
		{map[string]any{"cron": "CRON_TZ=Europe/Berlin 0 9 * * *"}, "trigger.config.cron"},
		{map[string]any{"cron": "TZ=UTC 0 9 * * *"}, "trigger.config.cron"},
		{map[string]any{"cron": "not cron"}, "trigger.config.cron"},
		{map[string]any{"cron": "* * * * * *"}, "trigger.config.cron"}, // every second: below the minimum
		{map[string]any{"cron": "0 9 * * *", "time_zone": "Europe/Nowhere"}, "trigger.config.time_zone"},
		{map[string]any{"every": "30s"}, "trigger.config.every"},
		{map[string]any{"every": "15m", "catch_up": "sometimes"}, "trigger.config.catch_up"},
		{map[string]any{}, "trigger.config.cron"},
	} {
		status, p, raw := f.send(t, "POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{
			"name": "bad", "trigger": map[string]any{"type": "scheduled", "config": tc.cfg}, "steps": []any{},
		})
		require.Equal(t, 422, status, "%v: %s", tc.cfg, raw)
		require.Contains(t, string(raw), tc.loc, "%v", tc.cfg)
		_ = p
	}
	list := f.env.JSON("GET", "/api/v1/bases/"+f.baseID+"/automations", nil, 200)
	require.Empty(t, list["items"])
	var n int
	require.NoError(t, pool(t, f.env).QueryRow(context.Background(), "SELECT count(*) FROM automation_schedules").Scan(&n))
	require.Zero(t, n)
	// A good one, the default minimum interval.
	a := f.env.JSON("POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{
		"name": "weekday mornings", "trigger": map[string]any{"type": "scheduled", "config": map[string]any{"cron": "0 9 * * 1-5", "time_zone": "America/New_York"}},
	}, 201)
	for _, fi := range a["next_fires"].([]any) {
		local := fi.(map[string]any)["local"].(string)
		lt, err := time.Parse(time.RFC3339, local)
		require.NoError(t, err)
		require.Equal(t, 9, lt.Hour(), local)
		require.NotContains(t, []time.Weekday{time.Saturday, time.Sunday}, lt.Weekday())
	}
}

// TestScheduledCatchUpAfterDowntime: a schedule hourly at a minute half an
// hour from now, whose row was last advanced 3 hours ago (nobody ticked
// since), missed 3 fires; skip runs none, once the latest, all each — and
// under every policy the next fire is the coming one.
func TestScheduledCatchUpAfterDowntime(t *testing.T) {
	t.Parallel()
	f := setup(t)
	db := pool(t, f.env)
	now := time.Now().UTC()
	minute := (now.Minute() + 30) % 60
	cron := fmt.Sprintf("%d * * * *", minute)
	// The fires of the last 3 hours: -2h30, -1h30, -0h30 (about).
	lastFire := time.Date(now.Year(), now.Month(), now.Day(), now.Hour(), minute, 0, 0, time.UTC)
	for !lastFire.Before(now) {
		lastFire = lastFire.Add(-time.Hour)
	}
	missed := []time.Time{lastFire.Add(-2 * time.Hour), lastFire.Add(-time.Hour), lastFire}
	for _, tc := range []struct {
		policy string
		want   []time.Time
	}{
		{"skip", nil},
		{"once", missed[2:]},
		{"all", missed},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			rcv := newReceiver(t)
			id := f.automation(t, map[string]any{
				"name":    "hourly " + tc.policy,
				"trigger": map[string]any{"type": "scheduled", "config": map[string]any{"cron": cron, "catch_up": tc.policy}},
				"steps":   []any{scheduledStep(rcv.URL)},
			})
			// Downtime: the row's next fire is the first one after 3 h ago.
			_, err := db.Exec(context.Background(), "UPDATE automation_schedules SET next_fire_at = $2 WHERE automation_id = $1", id, missed[0])
			require.NoError(t, err)
			var next time.Time
			require.Eventually(t, func() bool {
				require.NoError(t, db.QueryRow(context.Background(), "SELECT next_fire_at FROM automation_schedules WHERE automation_id = $1", id).Scan(&next))
				return next.After(now)
			}, 30*time.Second, 20*time.Millisecond, "the tick advances the schedule")
			require.Equal(t, lastFire.Add(time.Hour), next.UTC())
			runs := f.waitRuns(t, id, len(tc.want))
			require.Len(t, runs, len(tc.want))
			var got []time.Time
			for _, r := range runs {
				require.Equal(t, "succeeded", r["status"])
				s, err := time.Parse(time.RFC3339, r["trigger"].(map[string]any)["data"].(map[string]any)["scheduled_for"].(string))
				require.NoError(t, err)
				got = append(got, s)
			}
			sort.Slice(got, func(i, j int) bool { return got[i].Before(got[j]) })
			if tc.want == nil {
				require.Empty(t, got)
			} else {
				require.Equal(t, tc.want, got)
			}
		})
	}
}

// TestScheduledTwoProcessesNeverDoubleFire: two processes on one database,
// each with River ticking as well as 4 extra tickers hammering the claim
// (a leader change, a tick that runs twice), fire 5 schedules of 1 second
// that were 24 s behind with catch_up=all: at least 100 fires, every fire
// time of every schedule once, each delivered by exactly one run.
func TestScheduledTwoProcessesNeverDoubleFire(t *testing.T) {
	t.Parallel()
	f := setup(t, fastSchedules)
	other := apptest.Start(t, func(c *app.Config) {
		fastSchedules(c)
		c.DatabaseURL = f.env.App.Config.DatabaseURL
	})
	db := pool(t, f.env)
	rcv := newReceiver(t)
	var ids []string
	ctx := context.Background()
	// Created disabled: the rows appear together when enabled.
	for i := range 5 {
		ids = append(ids, f.automation(t, map[string]any{
			"name":    fmt.Sprintf("every second %d", i),
			"enabled": false,
			"trigger": map[string]any{"type": "scheduled", "config": map[string]any{"every": "1s", "catch_up": "all"}},
			"steps":   []any{scheduledStep(rcv.URL)},
		}))
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, a := range []*app.App{f.env.App, other.App, f.env.App, other.App} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := jobs.StartFires(a.Automations)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := a.Schedules.Tick(ctx, start); err != nil {
					t.Errorf("tick: %v", err)
					return
				}
				time.Sleep(5 * time.Millisecond) // pacing, not a wait
			}
		}()
	}
	t.Cleanup(func() { close(stop); wg.Wait() })
	var t0 time.Time
	require.NoError(t, db.QueryRow(ctx, "SELECT date_trunc('second', now()) - interval '24 seconds'").Scan(&t0))
	tx, err := db.Begin(ctx)
	require.NoError(t, err)
	for _, id := range ids {
		_, err := tx.Exec(ctx, "UPDATE automations SET enabled = true WHERE id = $1", id)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, `INSERT INTO automation_schedules (automation_id, version, every_seconds, catch_up, next_fire_at)
			VALUES ($1, 1, 1, 'all', $2)`, id, t0)
		require.NoError(t, err)
	}
	require.NoError(t, tx.Commit(ctx))

	// Wait for at least 100 deliveries beyond 20 per schedule.
	require.Eventually(t, func() bool { return rcv.count() >= 125 }, 60*time.Second, 20*time.Millisecond)
	for _, id := range ids {
		f.env.JSON("POST", "/api/v1/automations/"+id+"/disable", nil, 200)
	}
	// Every run that started finishes; then compare runs and deliveries.
	var pending int
	require.Eventually(t, func() bool {
		require.NoError(t, db.QueryRow(ctx, "SELECT count(*) FROM runs WHERE status IN ('queued', 'running')").Scan(&pending))
		return pending == 0
	}, 60*time.Second, 20*time.Millisecond)
	rcv.mu.Lock()
	got := append([]delivery(nil), rcv.got...)
	rcv.mu.Unlock()
	seen := map[string]bool{}
	perAutomation := map[string][]time.Time{}
	for _, d := range got {
		key := fmt.Sprint(d.Body["automation"], d.Body["scheduled_for"])
		require.False(t, seen[key], "fire %s delivered twice", key)
		seen[key] = true
		s, err := time.Parse(time.RFC3339, d.Body["scheduled_for"].(string))
		require.NoError(t, err)
		perAutomation[d.Body["automation"].(string)] = append(perAutomation[d.Body["automation"].(string)], s)
	}
	var succeeded, skipped int
	require.NoError(t, db.QueryRow(ctx, "SELECT count(*) FILTER (WHERE status = 'succeeded'), count(*) FILTER (WHERE status = 'skipped') FROM runs").Scan(&succeeded, &skipped))
	require.Equal(t, len(got), succeeded, "one delivery per succeeded run")
	require.GreaterOrEqual(t, len(got), 100)
	for _, id := range ids {
		times := perAutomation[id]
		sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
		require.NotEmpty(t, times)
		require.True(t, t0.Equal(times[0]), "the first fire is the row's: %s, not %s", t0, times[0])
		for i := 1; i < len(times); i++ {
			require.Equal(t, time.Second, times[i].Sub(times[i-1]), "%s: no fire missing between %s and %s", id, times[i-1], times[i])
		}
	}
	t.Logf("%d fires over %d schedules, %d runs skipped after the disable", len(got), len(ids), skipped)
}

// TestScheduledDisableBetweenClaimAndRun: an API-only process (no
// workers) ticks once and claims a due fire: its run is inserted, queued.
// The automation is disabled before any worker runs it, and the run ends
// skipped without executing its step when a worker process starts. Saved
// as a new version instead, the waiting run is moved to it and the fire
// runs once, as the new version.
func TestScheduledDisableBetweenClaimAndRun(t *testing.T) {
	t.Parallel()
	for _, change := range []string{"disable", "new version"} {
		t.Run(change, func(t *testing.T) {
			t.Parallel()
			f := setup(t, func(c *app.Config) { c.Role = "api" })
			db := pool(t, f.env)
			ctx := context.Background()
			rcv := newReceiver(t)
			id := f.automation(t, map[string]any{
				"name":    "claimed " + change,
				"trigger": map[string]any{"type": "scheduled", "config": map[string]any{"every": "1h"}},
				"steps":   []any{scheduledStep(rcv.URL)},
			})
			var fireAt time.Time
			require.NoError(t, db.QueryRow(ctx, `UPDATE automation_schedules SET next_fire_at = date_trunc('second', now())
				WHERE automation_id = $1 RETURNING next_fire_at`, id).Scan(&fireAt))
			n, err := f.env.App.Schedules.Tick(ctx, jobs.StartFires(f.env.App.Automations))
			require.NoError(t, err)
			require.Equal(t, 1, n, "the tick claimed the fire")
			runs := f.runs(t, id)
			require.Len(t, runs, 1)
			require.Equal(t, "queued", runs[0]["status"])
			if change == "disable" {
				f.env.JSON("POST", "/api/v1/automations/"+id+"/disable", nil, 200)
			} else {
				f.env.JSON("PATCH", "/api/v1/automations/"+id, map[string]any{"name": "renamed"}, 200)
			}
			apptest.Start(t, func(c *app.Config) {
				c.DatabaseURL = f.env.App.Config.DatabaseURL
				c.Role = "worker"
			})
			run := f.waitRuns(t, id, 1)[0]
			if change == "disable" {
				require.Equal(t, "skipped", run["status"], "%v", run)
				require.Contains(t, run["error"], "since this run was scheduled")
				require.Zero(t, rcv.count(), "the step never ran")
				return
			}
			// The save moved the waiting run of version 1: the fire runs
			// once, as version 2.
			require.Equal(t, "succeeded", run["status"], "%v", run)
			d := rcv.wait(t)
			require.Equal(t, fireAt.UTC().Format(time.RFC3339), d.Body["scheduled_for"])
			var versions []int
			rows, err := db.Query(ctx, "SELECT version FROM runs WHERE automation_id = $1", id)
			require.NoError(t, err)
			for rows.Next() {
				var v int
				require.NoError(t, rows.Scan(&v))
				versions = append(versions, v)
			}
			require.NoError(t, rows.Err())
			require.Equal(t, []int{2}, versions)
			require.Equal(t, 1, rcv.count())
		})
	}
}
