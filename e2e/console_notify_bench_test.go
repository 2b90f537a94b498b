package e2e_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
)

// TestRunFeedWriteCost measures what the run feed's triggers
// (migrations/00140_console.sql) cost the write path: rounds of 1,000
// record writes through the API by 8 concurrent clients, each firing one
// run whose send_webhook step runs inline, in turn with the triggers
// disabled ("off"), enabled with nobody watching ("unwatched": the
// console is closed) and enabled while a console page watches the
// automation ("watched": every run NOTIFYs). It reports the writes'
// p50/p95 latency and the time until every run finished. It runs only
// with ROWFLOW_CONSOLE_BENCH=1.
func TestRunFeedWriteCost(t *testing.T) {
	if os.Getenv("ROWFLOW_CONSOLE_BENCH") == "" {
		t.Skip("set ROWFLOW_CONSOLE_BENCH=1 to measure the run feed's cost on the write path")
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer hook.Close()
	f := setup(t)
	env := f.env
	automationID := f.automation(t, map[string]any{"name": "hook", "trigger": f.trigger("record_created", nil),
		"steps": []any{webhookStep("send", hook.URL+"/in", nil)}})
	pool := env.App.Pool
	setTriggers := func(on bool) {
		verb := "DISABLE"
		if on {
			verb = "ENABLE"
		}
		_, err := pool.Exec(t.Context(), fmt.Sprintf(`ALTER TABLE runs %[1]s TRIGGER runs_feed_insert; ALTER TABLE runs %[1]s TRIGGER runs_feed_status; ALTER TABLE run_steps %[1]s TRIGGER run_steps_feed`, verb))
		require.NoError(t, err)
	}
	const writes, clients = 1000, 8
	round := func(mode string) (p50, p95, all time.Duration) {
		setTriggers(mode != "off")
		if mode == "watched" {
			sub, err := env.App.RunFeed.Subscribe(t.Context(), automationID)
			require.NoError(t, err)
			defer sub.Close()
			go func() {
				for {
					select {
					case <-sub.C:
					case <-sub.Done():
						return
					}
				}
			}()
		}
		return writeCostRound(t, f, writes, clients)
	}
	round("unwatched") // warm-up
	// ABBA order (off and unwatched alternate both ways), then watched:
	// a loaded machine drifts, and each mode gets early and late rounds.
	for _, mode := range []string{"off", "unwatched", "unwatched", "off", "off", "unwatched", "unwatched", "off", "watched", "watched"} {
		p50, p95, all := round(mode)
		t.Logf("%-9s: %d writes by %d clients: write p50 %.2f ms, p95 %.2f ms; all runs finished after %v (%.0f runs/s)",
			mode, writes, clients, ms(p50), ms(p95), all.Round(time.Millisecond), float64(writes)/all.Seconds())
	}

	// The per-row price of an unwatched trigger, apart from commits and
	// HTTP: one statement inserting 20,000 runs, triggers off and on.
	perRow := func(on bool, round int) time.Duration {
		setTriggers(on)
		start := time.Now()
		_, err := pool.Exec(t.Context(), `INSERT INTO runs (id, automation_id, version, base_id, trigger_type, trigger_data, status, event_key)
			SELECT 'run_cost' || $2::int || '_' || i, $1, 1, (SELECT base_id FROM automations WHERE id = $1), 'record_created', '{}', 'queued', 'cost:' || $2::int || ':' || i
			FROM generate_series(1, 20000) i`, automationID, round)
		require.NoError(t, err)
		return time.Since(start) / 20000
	}
	for i := range 6 {
		on := i%2 == 1
		t.Logf("one statement of 20,000 run inserts, triggers %-5v: %v per row", on, perRow(on, i))
	}
	setTriggers(true)
}

// writeCostRound writes writes records through the API from clients
// concurrent clients, each firing the fixture's automation, and returns
// the writes' p50 and p95 and the time until every run they started
// finished (the write-path cost measurements).
func writeCostRound(t *testing.T, f *fixture, writes, clients int) (p50, p95, all time.Duration) {
	t.Helper()
	pool := f.env.App.Pool
	var before int
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT count(*) FROM runs`).Scan(&before))
	lat := make([]time.Duration, writes)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := c; i < writes; i += clients {
				s := time.Now()
				status, body := f.env.Do("POST", "/api/v1/tables/"+f.tableID+"/records", apptest.AdminToken, map[string]any{"fields": map[string]any{"Name": "n"}})
				if status != 201 {
					t.Errorf("write: %d %s", status, body)
					return
				}
				lat[i] = time.Since(s)
			}
		})
	}
	wg.Wait()
	require.Eventually(t, func() bool {
		var done int
		require.NoError(t, pool.QueryRow(t.Context(), `SELECT count(*) FROM runs WHERE finished_at IS NOT NULL`).Scan(&done))
		return done >= before+writes
	}, 2*time.Minute, 5*time.Millisecond)
	all = time.Since(start)
	slices.Sort(lat)
	return lat[writes/2], lat[writes*95/100], all
}
