package e2e_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
)

// BenchmarkRunStats is one stats request (GET /automations/{id}/stats and
// GET /bases/{id}/stats, 30 days by day) over 100,000 runs of one
// automation with a step each (inserted with generate_series, spread over
// the 30 days, 10% failed, 1% test runs, then ended by one UPDATE as the
// runtime ends runs: the rollup's trigger counts each), through the HTTP
// API. It logs what ending a run costs with the rollup trigger and
// without it (session_replication_role = replica skips triggers), per run.
// Run: go test ./e2e -run '^$' -bench RunStats -benchtime 20x.
func BenchmarkRunStats(b *testing.B) {
	env := apptest.Start(b)
	baseID := env.JSON("POST", "/api/v1/bases", map[string]any{"name": "B"}, 201)["id"].(string)
	tableID := env.JSON("POST", "/api/v1/bases/"+baseID+"/tables", map[string]any{"name": "T",
		"fields": []any{map[string]any{"name": "Name", "type": "text"}}}, 201)["id"].(string)
	automation := func(name string) string {
		return env.JSON("POST", "/api/v1/bases/"+baseID+"/automations", map[string]any{"name": name,
			"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": tableID}}, "steps": []any{}}, 201)["id"].(string)
	}
	aut, plain := automation("bench"), automation("no rollup")
	ctx := context.Background()
	to := time.Now().UTC().Truncate(time.Hour)
	from := to.Add(-30 * 24 * time.Hour)
	const runs = 100000
	insert := func(automationID, prefix string, n int) {
		_, err := env.App.Pool.Exec(ctx, `INSERT INTO runs (id, automation_id, version, base_id, trigger_type, trigger_data, status, is_test, event_key, created_at, started_at)
			SELECT $4 || n, $1, 1, $2, 'record_created', '{}', 'running', n % 100 = 0, $4 || n,
			       $3::timestamptz + (n * interval '25 seconds'), $3::timestamptz + (n * interval '25 seconds')
			FROM generate_series(1, $5::int) n`, automationID, baseID, from, prefix, n)
		require.NoError(b, err)
		_, err = env.App.Pool.Exec(ctx, `INSERT INTO run_steps (run_id, step_index, step_id, type, status, started_at, finished_at)
			SELECT r.id, 0, 'call', 'send_webhook', CASE WHEN substr(r.id, length($2) + 1)::int % 10 = 0 THEN 'failed' ELSE 'succeeded' END,
			       r.created_at + interval '3 milliseconds', r.created_at + (substr(r.id, length($2) + 1)::int % 1000) * interval '1 millisecond'
			FROM runs r WHERE r.automation_id = $1 AND r.id LIKE $2 || '%'`, automationID, prefix)
		require.NoError(b, err)
	}
	end := func(automationID, prefix string, triggers bool) time.Duration {
		tx, err := env.App.Pool.Begin(ctx)
		require.NoError(b, err)
		defer func() { _ = tx.Rollback(ctx) }()
		if !triggers {
			_, err = tx.Exec(ctx, `SET LOCAL session_replication_role = replica`)
			require.NoError(b, err)
		}
		t0 := time.Now()
		_, err = tx.Exec(ctx, `UPDATE runs SET status = CASE WHEN substr(id, length($2) + 1)::int % 10 = 0 THEN 'failed' ELSE 'succeeded' END,
			finished_at = created_at + (substr(id, length($2) + 1)::int % 1000) * interval '1 millisecond'
			WHERE automation_id = $1`, automationID, prefix)
		require.NoError(b, err)
		require.NoError(b, tx.Commit(ctx))
		return time.Since(t0)
	}
	insert(aut, "run_b", runs)
	insert(plain, "run_p", runs/10)
	withRollup, without := end(aut, "run_b", true), end(plain, "run_p", false)
	b.Logf("ending a run in one UPDATE of many: %.1f µs with the rollup trigger, %.1f µs without (%d / %d runs)",
		float64(withRollup.Microseconds())/runs, float64(without.Microseconds())/(runs/10), runs, runs/10)
	// As the runtime ends runs: one statement (and commit) per run, here
	// sequentially on one connection, first with the triggers, then
	// without (changing session_replication_role flushes the plan cache:
	// alternating would measure planning).
	const single = 2000
	insert(plain, "run_s", single)
	conn, err := env.App.Pool.Acquire(ctx)
	require.NoError(b, err)
	var per [2]time.Duration
	for i := 1; i <= single; i++ {
		replica := i > single/2
		if i == single/2+1 {
			_, err = conn.Exec(ctx, `SET session_replication_role = replica`)
			require.NoError(b, err)
		}
		t0 := time.Now()
		_, err = conn.Exec(ctx, `UPDATE runs SET status = 'succeeded', finished_at = created_at + interval '5 milliseconds' WHERE id = $1`, fmt.Sprintf("run_s%d", i))
		require.NoError(b, err)
		per[map[bool]int{false: 0, true: 1}[replica]] += time.Since(t0)
	}
	_, err = conn.Exec(ctx, `RESET session_replication_role`)
	require.NoError(b, err)
	conn.Release()
	b.Logf("ending a run in a statement of its own: %.1f µs with the rollup trigger, %.1f µs without (mean of %d each)",
		float64(per[0].Microseconds())/(single/2), float64(per[1].Microseconds())/(single/2), single/2)
	env.JSON("DELETE", "/api/v1/automations/"+plain, nil, 204)
	for _, t := range []string{"runs", "run_steps", "run_rollup"} {
		_, err = env.App.Pool.Exec(ctx, `ANALYZE `+t)
		require.NoError(b, err)
	}
	if testing.Verbose() {
		rows, err := env.App.Pool.Query(ctx, `EXPLAIN (ANALYZE, BUFFERS) SELECT date_trunc('day', hour, 'UTC') AS bucket, status, latency_bin, duration_bin, sum(n)
FROM run_rollup WHERE base_id = $1 AND hour >= $2 AND hour < $3
GROUP BY GROUPING SETS ((1, status), (1, latency_bin), (1, duration_bin))`, baseID, from, to)
		require.NoError(b, err)
		for rows.Next() {
			var line string
			require.NoError(b, rows.Scan(&line))
			b.Log(line)
		}
		require.NoError(b, rows.Err())
	}
	q := url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}, "bucket": {"day"}}.Encode()
	for _, path := range []string{"/api/v1/automations/" + aut + "/stats?", "/api/v1/bases/" + baseID + "/stats?"} {
		st := env.JSON("GET", path+q, nil, 200)
		require.EqualValues(b, 99000, st["total"].(map[string]any)["runs"], "test runs excluded")
	}
	b.Run("automation", func(b *testing.B) {
		for b.Loop() {
			env.JSON("GET", "/api/v1/automations/"+aut+"/stats?"+q, nil, 200)
		}
	})
	b.Run("base", func(b *testing.B) {
		for b.Loop() {
			env.JSON("GET", "/api/v1/bases/"+baseID+"/stats?"+q, nil, 200)
		}
	})
}
