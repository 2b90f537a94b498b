package e2e_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
)

// BenchmarkRunStats is one stats request (GET /automations/{id}/stats and
// GET /bases/{id}/stats, 30 days by day) over 100,000 runs of one
// automation with a step each (inserted with generate_series, spread over
// the 30 days, 10% failed, 1% test runs), through the HTTP API.
// Run: go test ./e2e -run '^$' -bench RunStats -benchtime 20x.
func BenchmarkRunStats(b *testing.B) {
	env := apptest.Start(b)
	baseID := env.JSON("POST", "/api/v1/bases", map[string]any{"name": "B"}, 201)["id"].(string)
	tableID := env.JSON("POST", "/api/v1/bases/"+baseID+"/tables", map[string]any{"name": "T",
		"fields": []any{map[string]any{"name": "Name", "type": "text"}}}, 201)["id"].(string)
	aut := env.JSON("POST", "/api/v1/bases/"+baseID+"/automations", map[string]any{"name": "bench",
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": tableID}}, "steps": []any{}}, 201)["id"].(string)
	ctx := context.Background()
	to := time.Now().UTC().Truncate(time.Hour)
	from := to.Add(-30 * 24 * time.Hour)
	_, err := env.App.Pool.Exec(ctx, `INSERT INTO runs (id, automation_id, version, base_id, trigger_type, trigger_data, status, is_test, event_key, created_at, started_at, finished_at)
		SELECT 'run_b' || n, $1, 1, $2, 'record_created', '{}', CASE WHEN n % 10 = 0 THEN 'failed' ELSE 'succeeded' END, n % 100 = 0, 'b' || n,
		       $3::timestamptz + (n * interval '25 seconds'), $3::timestamptz + (n * interval '25 seconds'), $3::timestamptz + (n * interval '25 seconds') + (n % 1000) * interval '1 millisecond'
		FROM generate_series(1, 100000) n`, aut, baseID, from)
	require.NoError(b, err)
	_, err = env.App.Pool.Exec(ctx, `INSERT INTO run_steps (run_id, step_index, step_id, type, status, started_at, finished_at)
		SELECT r.id, 0, 'call', 'send_webhook', CASE WHEN r.status = 'failed' THEN 'failed' ELSE 'succeeded' END, r.created_at + interval '3 milliseconds', r.finished_at
		FROM runs r WHERE r.automation_id = $1`, aut)
	require.NoError(b, err)
	_, err = env.App.Pool.Exec(ctx, `ANALYZE runs; ANALYZE run_steps`)
	require.NoError(b, err)
	if testing.Verbose() {
		// The plan of the base statement as the runtime runs it (statsTx).
		tx, err := env.App.Pool.Begin(ctx)
		require.NoError(b, err)
		defer func() { _ = tx.Rollback(ctx) }()
		_, err = tx.Exec(ctx, `SET LOCAL jit = off; SET LOCAL work_mem = '32MB'`)
		require.NoError(b, err)
		rows, err := tx.Query(ctx, `EXPLAIN (ANALYZE, BUFFERS) SELECT
    (grouping(date_trunc('day', r.created_at, 'UTC')) = 1)::bool AS is_total,
    count(*) FILTER (WHERE r.status = 'failed') AS failed,
    (percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP (ORDER BY extract(epoch FROM fs.started_at - r.created_at)::float8))::float8[] AS latency,
    (percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.created_at)::float8))::float8[] AS duration
FROM runs r
LEFT JOIN run_steps fs ON fs.run_id = r.id AND fs.step_index = 0
WHERE r.base_id = $1 AND NOT r.is_test AND r.created_at >= $2 AND r.created_at < $3
GROUP BY GROUPING SETS ((date_trunc('day', r.created_at, 'UTC')), ())`, baseID, from, to)
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
