-- The runs console's automations list (automation/health.go): each
-- automation's health over a window, for every automation of a base at
-- once.

-- name: BaseAutomationHealth :many
-- Per automation of the base: real runs (not is_test) created in
-- [from, to): count, succeeded, failed, the p95 in seconds of the
-- duration (created_at → finished_at; unfinished runs left out; -1
-- without any), and the runs per hour as (hour index from from, count)
-- pairs; automations without runs in the window are absent.
WITH w AS (
    SELECT r.automation_id, r.status, r.created_at, r.finished_at
    FROM runs r
    WHERE r.base_id = sqlc.arg(base_id)::text AND NOT r.is_test
      AND r.created_at >= sqlc.arg(created_from)::timestamptz AND r.created_at < sqlc.arg(created_to)::timestamptz
), hours AS (
    SELECT automation_id, floor(extract(epoch FROM created_at - sqlc.arg(created_from)::timestamptz) / 3600)::int AS hour, count(*) AS n
    FROM w GROUP BY 1, 2
)
SELECT w.automation_id,
       count(*) AS runs,
       count(*) FILTER (WHERE w.status = 'succeeded') AS succeeded,
       count(*) FILTER (WHERE w.status = 'failed') AS failed,
       coalesce(percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM w.finished_at - w.created_at)::float8), -1)::float8 AS duration_p95,
       (SELECT array_agg(h.hour ORDER BY h.hour) FROM hours h WHERE h.automation_id = w.automation_id)::int[] AS hour_index,
       (SELECT array_agg(h.n ORDER BY h.hour) FROM hours h WHERE h.automation_id = w.automation_id)::bigint[] AS hour_runs
FROM w
GROUP BY w.automation_id;

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
