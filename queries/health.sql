-- The runs console's automations list (automation/health.go): each
-- automation's health over a window of whole hours, for every automation
-- of a base at once, from the stats rollup (bounded by automations ×
-- hours, whatever the number of runs) and the unfinished runs.

-- name: BaseAutomationRollup :many
-- Per automation of the base: its rollup rows (every shard) of the hours
-- in [from, to), as AutomationRollup (bucket: the hour).
SELECT automation_id, hour AS bucket, status, n,
       coalesce(array_lower(latency, 1), 0)::int AS latency_lo, array_replace(latency, NULL, 0)::int[] AS latency,
       coalesce(array_lower(duration, 1), 0)::int AS duration_lo, array_replace(duration, NULL, 0)::int[] AS duration
FROM run_rollup
WHERE base_id = sqlc.arg(base_id)::text
  AND hour >= sqlc.arg(hour_from)::timestamptz AND hour < sqlc.arg(hour_to)::timestamptz;

-- name: BaseAutomationUnfinished :many
-- Per automation of the base: its real runs not yet ended (not in the
-- rollup) created in [from, to), counted per hour and status.
SELECT r.automation_id, date_trunc('hour', r.created_at, 'UTC')::timestamptz AS bucket, r.status, count(*) AS n
FROM runs r
WHERE r.base_id = sqlc.arg(base_id)::text AND NOT r.is_test AND r.status IN ('queued', 'running', 'waiting')
  AND r.created_at >= sqlc.arg(created_from)::timestamptz AND r.created_at < sqlc.arg(created_to)::timestamptz
GROUP BY 1, 2, 3;

-- name: BaseLastFailures :many
-- Each automation's newest failed run (any time, test runs included: the
-- last thing that went wrong).
SELECT a.id AS automation_id, f.id AS run_id, f.finished_at
FROM automations a
CROSS JOIN LATERAL (
    SELECT r.id, r.finished_at FROM runs r
    WHERE r.automation_id = a.id AND r.status = 'failed'
    ORDER BY r.created_at DESC, r.id DESC LIMIT 1
) f
WHERE a.base_id = sqlc.arg(base_id)::text;
