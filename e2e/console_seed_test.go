package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
)

// seedRuns inserts n finished runs of an automation (one send_webhook
// step "stepID" each) created over the span before now, in one
// statement: about 85 % succeeded, 10 % failed, 5 % skipped, durations of
// 20 ms to 2 s. It is history for the console's charts and its page-load
// measurement, not runs the runtime executed.
func seedRuns(t testing.TB, env *apptest.Env, baseID, automationID, stepID string, n int, span time.Duration) {
	t.Helper()
	ctx := context.Background()
	_, err := env.App.Pool.Exec(ctx, `
WITH g AS (
    SELECT i, now() - $4::float8 * random() * interval '1 second' AS created,
           random() AS r, (20 + 1980 * random() ^ 3) * interval '1 millisecond' AS took
    FROM generate_series(1, $3::int) i
), ins AS (
    INSERT INTO runs (id, automation_id, version, base_id, trigger_type, trigger_data, status, error, event_key, created_at, started_at, finished_at)
    SELECT 'run_seed' || substr(md5($2 || i), 1, 22), $2, 1, $1, 'record_created',
           jsonb_build_object('type', 'record_created', 'record', jsonb_build_object('id', 'rec_seed' || lpad(i::text, 22, '0'), 'fields', jsonb_build_object('Name', 'order ' || i))),
           CASE WHEN r < 0.85 THEN 'succeeded' WHEN r < 0.95 THEN 'failed' ELSE 'skipped' END,
           CASE WHEN r >= 0.85 AND r < 0.95 THEN 'step ' || $5 || ' (send_webhook) failed: outbound: delivery failed: status 503' END,
           'seed:' || i, created, created + interval '3 millisecond', created + took
    FROM g
    RETURNING id, status, started_at, finished_at
)
INSERT INTO run_steps (run_id, step_index, step_id, type, status, attempts, input, output, error, started_at, finished_at)
SELECT id, 0, $5, 'send_webhook', CASE status WHEN 'skipped' THEN 'skipped' ELSE status END, 1,
       '{"url": "https://inventory.example/reserve", "method": "POST"}',
       CASE status WHEN 'succeeded' THEN '{"status": 200, "body": {"reserved": true}}'::jsonb WHEN 'failed' THEN '{"status": 503}'::jsonb END,
       CASE status WHEN 'failed' THEN 'outbound: delivery failed: status 503' END,
       started_at, finished_at
FROM ins`, baseID, automationID, n, span.Seconds(), stepID)
	require.NoError(t, err)
}
