package bench

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// StatsTarget is the bound (#13 §3): stats over 1,000,000 runs
// answer in at most 200 ms at p99.
const StatsTarget = 200 * time.Millisecond

// StatsRow is the "stats over N runs" row: N runs of one automation (one
// step each, 30 days, 10 % failed, 1 % test runs) inserted with
// generate_series, the rollup filled from them as its triggers would,
// then stats requests through the HTTP API — GET /automations/{id}/stats
// and GET /bases/{id}/stats over the 30 days by day, and the automation's
// by hour (720 buckets) — one at a time. Legacy is the statistics query of
// before the rollup (percentile_cont over runs ⋈ run_steps, with its
// index) run in SQL directly, a few times, for comparison.
type StatsRow struct {
	Runs          int     `json:"runs"`
	InsertSec     float64 `json:"insert_sec"`
	RollupFillSec float64 `json:"rollup_fill_sec"`
	RollupRows    int64   `json:"rollup_rows"`
	Automation    Dist    `json:"automation_day"`
	Base          Dist    `json:"base_day"`
	Hourly        Dist    `json:"automation_hour"`
	Legacy        Dist    `json:"legacy_sql"`
	TargetMS      float64 `json:"target_p99_ms"`
	Met           bool    `json:"met"`
}

// String is the row as printed.
func (r StatsRow) String() string {
	return fmt.Sprintf("runs=%d (insert %.0f s, rollup fill %.0f s, %d rollup rows)\n  automation by day %s\n  base by day       %s\n  automation by hour %s\n  legacy SQL (before the rollup, n=%d) %s\n  target p99 ≤ %.0f ms: %v",
		r.Runs, r.InsertSec, r.RollupFillSec, r.RollupRows, r.Automation, r.Base, r.Hourly, r.Legacy.N, r.Legacy, r.TargetMS, map[bool]string{true: "met", false: "NOT met"}[r.Met])
}

// statsRuns inserts n runs of automation aut in batches, with the rollup
// triggers off (session_replication_role = replica: one statement per
// batch instead of a trigger call per run), then fills the rollup with
// the same aggregation migrations/00150_run_rollup.sql back-fills with.
func statsRuns(ctx context.Context, pool *pgxpool.Pool, aut, baseID string, from time.Time, n int, row *StatsRow) error {
	const batch = 100000
	span := 30 * 24 * time.Hour
	step := span / time.Duration(n)
	t0 := time.Now()
	for lo := 1; lo <= n; lo += batch {
		if err := statsBatch(ctx, pool, aut, baseID, from, step, lo, min(lo+batch-1, n)); err != nil {
			return err
		}
	}
	row.InsertSec = time.Since(t0).Seconds()
	t0 = time.Now()
	if _, err := pool.Exec(ctx, `INSERT INTO run_rollup (automation_id, base_id, hour, status, n, latency, duration)
		SELECT automation_id, base_id, hour, status, count(*), rowflow_hist_array(array_agg(li)), rowflow_hist_array(array_agg(di))
		FROM (
		    SELECT r.automation_id, r.base_id, date_trunc('hour', r.created_at, 'UTC') AS hour, r.status,
		           coalesce(rowflow_hist_bin(extract(epoch FROM fs.started_at - r.created_at)::float8) + 1, 0) AS li,
		           coalesce(rowflow_hist_bin(extract(epoch FROM r.finished_at - r.created_at)::float8) + 1, 0) AS di
		    FROM runs r LEFT JOIN run_steps fs ON fs.run_id = r.id AND fs.step_index = 0
		    WHERE r.automation_id = $1 AND NOT r.is_test AND r.status IN ('succeeded', 'failed', 'skipped', 'cancelled')
		) x
		GROUP BY automation_id, base_id, hour, status`, aut); err != nil {
		return fmt.Errorf("filling the rollup: %w", err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO run_rollup_failures (automation_id, base_id, hour, step_id, n)
		SELECT r.automation_id, min(r.base_id), date_trunc('hour', r.created_at, 'UTC'), s.step_id, count(*)
		FROM runs r JOIN run_steps s ON s.run_id = r.id AND s.status = 'failed'
		WHERE r.automation_id = $1 AND NOT r.is_test AND r.status IN ('succeeded', 'failed', 'skipped', 'cancelled')
		GROUP BY r.automation_id, date_trunc('hour', r.created_at, 'UTC'), s.step_id`, aut); err != nil {
		return fmt.Errorf("filling the rollup's failures: %w", err)
	}
	row.RollupFillSec = time.Since(t0).Seconds()
	for _, t := range []string{"runs", "run_steps", "run_rollup", "run_rollup_failures"} {
		if _, err := pool.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
			return err
		}
	}
	return pool.QueryRow(ctx, `SELECT count(*) FROM run_rollup WHERE automation_id = $1`, aut).Scan(&row.RollupRows)
}

// statsBatch inserts runs lo..hi (and their first steps) in one
// transaction without the rollup triggers. Latency 1–50 ms, duration
// latency + 0–999 ms.
func statsBatch(ctx context.Context, pool *pgxpool.Pool, aut, baseID string, from time.Time, step time.Duration, lo, hi int) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO runs (id, automation_id, version, base_id, trigger_type, trigger_data, status, is_test, event_key, created_at, started_at, finished_at)
		SELECT 'run_st' || g, $1, 1, $2, 'record_created', '{}', CASE WHEN g % 10 = 0 THEN 'failed' ELSE 'succeeded' END, g % 100 = 0, 'st' || g,
		       $3::timestamptz + g * $4::interval, $3::timestamptz + g * $4::interval,
		       $3::timestamptz + g * $4::interval + (1 + g % 50 + g % 1000) * interval '1 millisecond'
		FROM generate_series($5::int, $6::int) g`, aut, baseID, from, step, lo, hi); err != nil {
		return fmt.Errorf("inserting runs: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO run_steps (run_id, step_index, step_id, type, status, attempts, started_at, finished_at)
		SELECT 'run_st' || g, 0, 'call', 'send_webhook', CASE WHEN g % 10 = 0 THEN 'failed' ELSE 'succeeded' END, 1,
		       $1::timestamptz + g * $2::interval + (1 + g % 50) * interval '1 millisecond',
		       $1::timestamptz + g * $2::interval + (1 + g % 50 + g % 1000) * interval '1 millisecond'
		FROM generate_series($3::int, $4::int) g`, from, step, lo, hi); err != nil {
		return fmt.Errorf("inserting steps: %w", err)
	}
	return tx.Commit(ctx)
}

// legacyStatsSQL is the automation statistics statement of before the
// rollup (queries/stats.sql at 25fde5c), kept here to measure against.
const legacyStatsSQL = `SELECT
    (grouping(date_trunc('day', r.created_at, 'UTC')) = 1)::bool AS is_total,
    count(*) AS runs,
    count(*) FILTER (WHERE r.status = 'failed') AS failed,
    (percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP (ORDER BY extract(epoch FROM fs.started_at - r.created_at)::float8))::float8[] AS latency,
    (percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.created_at)::float8))::float8[] AS duration
FROM runs r
LEFT JOIN run_steps fs ON fs.run_id = r.id AND fs.step_index = 0
WHERE r.automation_id = $1 AND NOT r.is_test AND r.created_at >= $2 AND r.created_at < $3
GROUP BY GROUPING SETS ((date_trunc('day', r.created_at, 'UTC')), ())`

// statsRow measures the stats row over n runs: requests sequential
// requests of each kind after a few warm-up ones, and legacy runs of the
// old statement (0: none).
func statsRow(ctx context.Context, a *api, pool *pgxpool.Pool, n, requests, legacy int) (StatsRow, error) {
	row := StatsRow{Runs: n, TargetMS: float64(StatsTarget.Milliseconds())}
	baseID, tableID, err := a.setupTable("bench stats")
	if err != nil {
		return row, err
	}
	var aut idOnly
	if err := a.do("POST", "/api/v1/bases/"+baseID+"/automations", map[string]any{"name": "bench stats",
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": tableID}}, "steps": []any{}}, &aut, 201); err != nil {
		return row, err
	}
	to := time.Now().UTC().Truncate(time.Hour)
	from := to.Add(-30 * 24 * time.Hour)
	if err := statsRuns(ctx, pool, aut.ID, baseID, from, n, &row); err != nil {
		return row, err
	}
	want := n - n/100
	measure := func(path, bucket string) (Dist, error) {
		q := url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}, "bucket": {bucket}}.Encode()
		var ds []time.Duration
		for i := -3; i < requests && ctx.Err() == nil; i++ {
			var out struct {
				Total struct {
					Runs int `json:"runs"`
				} `json:"total"`
			}
			t0 := time.Now()
			if err := a.do("GET", path+"?"+q, nil, &out, 200); err != nil {
				return Dist{}, err
			}
			if i >= 0 {
				ds = append(ds, time.Since(t0))
			}
			if out.Total.Runs != want {
				return Dist{}, fmt.Errorf("%s: %d runs counted, want %d (test runs excluded)", path, out.Total.Runs, want)
			}
		}
		return distOf(ds), nil
	}
	if row.Automation, err = measure("/api/v1/automations/"+aut.ID+"/stats", "day"); err != nil {
		return row, err
	}
	if row.Base, err = measure("/api/v1/bases/"+baseID+"/stats", "day"); err != nil {
		return row, err
	}
	if row.Hourly, err = measure("/api/v1/automations/"+aut.ID+"/stats", "hour"); err != nil {
		return row, err
	}
	row.Met = row.Automation.P99 <= row.TargetMS && row.Base.P99 <= row.TargetMS && row.Hourly.P99 <= row.TargetMS
	if legacy > 0 {
		// The old statement with the index it had (migration 00112).
		if _, err := pool.Exec(ctx, `CREATE INDEX IF NOT EXISTS bench_runs_stats_automation ON runs (automation_id, created_at) INCLUDE (status, finished_at) WHERE NOT is_test`); err != nil {
			return row, err
		}
		var ds []time.Duration
		for i := 0; i < legacy && ctx.Err() == nil; i++ {
			t0 := time.Now()
			if err := legacyOnce(ctx, pool, aut.ID, from, to); err != nil {
				return row, err
			}
			ds = append(ds, time.Since(t0))
		}
		row.Legacy = distOf(ds)
		if _, err := pool.Exec(ctx, `DROP INDEX bench_runs_stats_automation`); err != nil {
			return row, err
		}
	}
	return row, nil
}

// legacyOnce runs legacyStatsSQL as the runtime ran it (read-only, JIT
// off, 32 MB work_mem) and reads every row.
func legacyOnce(ctx context.Context, pool *pgxpool.Pool, aut string, from, to time.Time) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SET TRANSACTION READ ONLY; SET LOCAL jit = off; SET LOCAL work_mem = '32MB'`); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, legacyStatsSQL, aut, from, to)
	if err != nil {
		return err
	}
	for rows.Next() {
	}
	rows.Close()
	return rows.Err()
}
