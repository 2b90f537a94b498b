-- Analytics (GET /automations/{id}/stats, GET /bases/{id}/stats) and the
-- run retention sweep.

-- name: AutomationRunStats :many
-- An automation's run statistics:
-- real runs (not is_test) created in [from, to), one row per bucket
-- (date_trunc(unit, created_at) in UTC, unit hour or day) and one total
-- row (is_total, bucket = from): counts by status, and the p50/p95/p99 in
-- seconds of the trigger latency (created_at → the first step's (index
-- 0, also when skipped by its if) started_at; runs without one left out) and the duration
-- (created_at → finished_at; unfinished runs left out), NULL without runs.
SELECT
    (grouping(date_trunc(sqlc.arg(unit)::text, r.created_at, 'UTC')) = 1)::bool AS is_total,
    coalesce(date_trunc(sqlc.arg(unit)::text, r.created_at, 'UTC'), sqlc.arg(created_from)::timestamptz)::timestamptz AS bucket,
    count(*) AS runs,
    count(*) FILTER (WHERE r.status = 'queued') AS queued,
    count(*) FILTER (WHERE r.status = 'running') AS running,
    count(*) FILTER (WHERE r.status = 'waiting') AS waiting,
    count(*) FILTER (WHERE r.status = 'succeeded') AS succeeded,
    count(*) FILTER (WHERE r.status = 'failed') AS failed,
    count(*) FILTER (WHERE r.status = 'skipped') AS skipped,
    count(*) FILTER (WHERE r.status = 'cancelled') AS cancelled,
    (percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP (ORDER BY extract(epoch FROM fs.started_at - r.created_at)::float8))::float8[] AS latency,
    (percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.created_at)::float8))::float8[] AS duration
FROM runs r
LEFT JOIN run_steps fs ON fs.run_id = r.id AND fs.step_index = 0
WHERE r.automation_id = sqlc.arg(automation_id)::text AND NOT r.is_test
  AND r.created_at >= sqlc.arg(created_from)::timestamptz AND r.created_at < sqlc.arg(created_to)::timestamptz
GROUP BY GROUPING SETS ((date_trunc(sqlc.arg(unit)::text, r.created_at, 'UTC')), ())
ORDER BY is_total, bucket;

-- name: BaseRunStats :many
-- A base's run statistics (every automation's):
-- real runs (not is_test) created in [from, to), one row per bucket
-- (date_trunc(unit, created_at) in UTC, unit hour or day) and one total
-- row (is_total, bucket = from): counts by status, and the p50/p95/p99 in
-- seconds of the trigger latency (created_at → the first step's (index
-- 0, also when skipped by its if) started_at; runs without one left out) and the duration
-- (created_at → finished_at; unfinished runs left out), NULL without runs.
SELECT
    (grouping(date_trunc(sqlc.arg(unit)::text, r.created_at, 'UTC')) = 1)::bool AS is_total,
    coalesce(date_trunc(sqlc.arg(unit)::text, r.created_at, 'UTC'), sqlc.arg(created_from)::timestamptz)::timestamptz AS bucket,
    count(*) AS runs,
    count(*) FILTER (WHERE r.status = 'queued') AS queued,
    count(*) FILTER (WHERE r.status = 'running') AS running,
    count(*) FILTER (WHERE r.status = 'waiting') AS waiting,
    count(*) FILTER (WHERE r.status = 'succeeded') AS succeeded,
    count(*) FILTER (WHERE r.status = 'failed') AS failed,
    count(*) FILTER (WHERE r.status = 'skipped') AS skipped,
    count(*) FILTER (WHERE r.status = 'cancelled') AS cancelled,
    (percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP (ORDER BY extract(epoch FROM fs.started_at - r.created_at)::float8))::float8[] AS latency,
    (percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.created_at)::float8))::float8[] AS duration
FROM runs r
LEFT JOIN run_steps fs ON fs.run_id = r.id AND fs.step_index = 0
WHERE r.base_id = sqlc.arg(base_id)::text AND NOT r.is_test
  AND r.created_at >= sqlc.arg(created_from)::timestamptz AND r.created_at < sqlc.arg(created_to)::timestamptz
GROUP BY GROUPING SETS ((date_trunc(sqlc.arg(unit)::text, r.created_at, 'UTC')), ())
ORDER BY is_total, bucket;

-- name: AutomationStepFailures :many
-- An automation's step failures:
-- the failed steps of real runs created in [from, to), counted by bucket
-- (as the run stats) and step id.
SELECT
    date_trunc(sqlc.arg(unit)::text, r.created_at, 'UTC')::timestamptz AS bucket,
    s.step_id,
    count(*) AS failures
FROM runs r
JOIN run_steps s ON s.run_id = r.id AND s.status = 'failed'
WHERE r.automation_id = sqlc.arg(automation_id)::text AND NOT r.is_test
  AND r.created_at >= sqlc.arg(created_from)::timestamptz AND r.created_at < sqlc.arg(created_to)::timestamptz
GROUP BY 1, 2
ORDER BY 1, 3 DESC, 2;

-- name: BaseStepFailures :many
-- A base's step failures:
-- the failed steps of real runs created in [from, to), counted by bucket
-- (as the run stats) and step id.
SELECT
    date_trunc(sqlc.arg(unit)::text, r.created_at, 'UTC')::timestamptz AS bucket,
    s.step_id,
    count(*) AS failures
FROM runs r
JOIN run_steps s ON s.run_id = r.id AND s.status = 'failed'
WHERE r.base_id = sqlc.arg(base_id)::text AND NOT r.is_test
  AND r.created_at >= sqlc.arg(created_from)::timestamptz AND r.created_at < sqlc.arg(created_to)::timestamptz
GROUP BY 1, 2
ORDER BY 1, 3 DESC, 2;

-- name: DeleteExpiredRuns :execrows
-- Deletes up to lim finished runs (their steps with them, ON DELETE
-- CASCADE) past their retention: failed runs finished before
-- failed_before, succeeded, skipped and cancelled ones before before.
-- Rows another process is deleting are skipped.
DELETE FROM runs WHERE id IN (
    SELECT id FROM runs
    WHERE finished_at < greatest(sqlc.arg(before)::timestamptz, sqlc.arg(failed_before)::timestamptz)
      AND ((status = 'failed' AND finished_at < sqlc.arg(failed_before)::timestamptz)
           OR (status IN ('succeeded', 'skipped', 'cancelled') AND finished_at < sqlc.arg(before)::timestamptz))
    ORDER BY finished_at
    LIMIT sqlc.arg(lim)
    FOR UPDATE SKIP LOCKED
);
