-- The run statistics rollup (migrations/00150_run_rollup.sql): what the
-- stats endpoints read. The rollup is written by the triggers on runs,
-- never by a query here.

-- name: AutomationRollup :many
-- An automation's rollup of the hours in [from, to), summed per bucket
-- (date_trunc(unit, hour) in UTC, unit hour or day): one row per metric
-- value — status (label: the status), latency and duration (bin: the
-- histogram bin, -1: runs without one), failure (label: a step id) — with
-- its count n; sums of 0 (a run counted and uncounted again) left out.
SELECT bucket::timestamptz AS bucket,
       (CASE WHEN grouping(status) = 0 THEN 'status' WHEN grouping(latency_bin) = 0 THEN 'latency' ELSE 'duration' END)::text AS metric,
       coalesce(status, '')::text AS label, coalesce(latency_bin, duration_bin, 0)::smallint AS bin, sum(n)::bigint AS n
FROM (
    SELECT date_trunc(sqlc.arg(unit)::text, hour, 'UTC') AS bucket, status, latency_bin, duration_bin, n
    FROM run_rollup
    WHERE automation_id = sqlc.arg(automation_id)::text
      AND hour >= sqlc.arg(hour_from)::timestamptz AND hour < sqlc.arg(hour_to)::timestamptz
) r
GROUP BY GROUPING SETS ((bucket, status), (bucket, latency_bin), (bucket, duration_bin))
HAVING sum(n) <> 0
UNION ALL
SELECT date_trunc(sqlc.arg(unit)::text, hour, 'UTC'), 'failure', step_id, 0::smallint, sum(n)::bigint
FROM run_rollup_failures
WHERE automation_id = sqlc.arg(automation_id)::text
  AND hour >= sqlc.arg(hour_from)::timestamptz AND hour < sqlc.arg(hour_to)::timestamptz
GROUP BY 1, 3
HAVING sum(n) <> 0
ORDER BY 1;

-- name: BaseRollup :many
-- A base's rollup (every automation's), as AutomationRollup.
SELECT bucket::timestamptz AS bucket,
       (CASE WHEN grouping(status) = 0 THEN 'status' WHEN grouping(latency_bin) = 0 THEN 'latency' ELSE 'duration' END)::text AS metric,
       coalesce(status, '')::text AS label, coalesce(latency_bin, duration_bin, 0)::smallint AS bin, sum(n)::bigint AS n
FROM (
    SELECT date_trunc(sqlc.arg(unit)::text, hour, 'UTC') AS bucket, status, latency_bin, duration_bin, n
    FROM run_rollup
    WHERE base_id = sqlc.arg(base_id)::text
      AND hour >= sqlc.arg(hour_from)::timestamptz AND hour < sqlc.arg(hour_to)::timestamptz
) r
GROUP BY GROUPING SETS ((bucket, status), (bucket, latency_bin), (bucket, duration_bin))
HAVING sum(n) <> 0
UNION ALL
SELECT date_trunc(sqlc.arg(unit)::text, hour, 'UTC'), 'failure', step_id, 0::smallint, sum(n)::bigint
FROM run_rollup_failures
WHERE base_id = sqlc.arg(base_id)::text
  AND hour >= sqlc.arg(hour_from)::timestamptz AND hour < sqlc.arg(hour_to)::timestamptz
GROUP BY 1, 3
HAVING sum(n) <> 0
ORDER BY 1;

-- name: AutomationUnfinishedRuns :many
-- An automation's real runs not yet ended (queued, running, waiting: not
-- in the rollup) created in [from, to), counted per bucket, status and
-- trigger latency bin (rowflow_hist_bin of the first step's start; -1:
-- no first step started yet).
SELECT date_trunc(sqlc.arg(unit)::text, r.created_at, 'UTC')::timestamptz AS bucket, r.status,
       coalesce(rowflow_hist_bin(extract(epoch FROM fs.started_at - r.created_at)::float8), -1)::smallint AS latency_bin,
       count(*) AS n
FROM runs r
LEFT JOIN run_steps fs ON fs.run_id = r.id AND fs.step_index = 0
WHERE r.automation_id = sqlc.arg(automation_id)::text AND NOT r.is_test AND r.status IN ('queued', 'running', 'waiting')
  AND r.created_at >= sqlc.arg(created_from)::timestamptz AND r.created_at < sqlc.arg(created_to)::timestamptz
GROUP BY 1, 2, 3
ORDER BY 1;

-- name: BaseUnfinishedRuns :many
-- A base's real runs not yet ended, as AutomationUnfinishedRuns.
SELECT date_trunc(sqlc.arg(unit)::text, r.created_at, 'UTC')::timestamptz AS bucket, r.status,
       coalesce(rowflow_hist_bin(extract(epoch FROM fs.started_at - r.created_at)::float8), -1)::smallint AS latency_bin,
       count(*) AS n
FROM runs r
LEFT JOIN run_steps fs ON fs.run_id = r.id AND fs.step_index = 0
WHERE r.base_id = sqlc.arg(base_id)::text AND NOT r.is_test AND r.status IN ('queued', 'running', 'waiting')
  AND r.created_at >= sqlc.arg(created_from)::timestamptz AND r.created_at < sqlc.arg(created_to)::timestamptz
GROUP BY 1, 2, 3
ORDER BY 1;

-- name: HistBin :one
-- rowflow_hist_bin(seconds): the histogram bin SQL gives a value (tests
-- check automation.HistBin against it).
SELECT rowflow_hist_bin(sqlc.arg(seconds)::float8)::smallint;
