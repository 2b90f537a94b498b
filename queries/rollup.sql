-- The run statistics rollup (migrations/00150_run_rollup.sql): what the
-- stats endpoints read. The rollup is written by the triggers on runs,
-- never by a query here.

-- name: AutomationRollup :many
-- An automation's rollup rows (every shard) of the hours in [from, to), oldest first,
-- with their bucket (date_trunc(unit, hour) in UTC, unit hour or day): n
-- runs of a status and the histogram arrays from their lower bound on
-- (element i counts the index lo + i; NULL elements read as 0).
SELECT date_trunc(sqlc.arg(unit)::text, hour, 'UTC')::timestamptz AS bucket, status, n,
       coalesce(array_lower(latency, 1), 0)::int AS latency_lo, array_replace(latency, NULL, 0)::int[] AS latency,
       coalesce(array_lower(duration, 1), 0)::int AS duration_lo, array_replace(duration, NULL, 0)::int[] AS duration
FROM run_rollup
WHERE automation_id = sqlc.arg(automation_id)::text
  AND hour >= sqlc.arg(hour_from)::timestamptz AND hour < sqlc.arg(hour_to)::timestamptz
ORDER BY hour;

-- name: BaseRollup :many
-- A base's rollup rows (every automation's), as AutomationRollup.
SELECT date_trunc(sqlc.arg(unit)::text, hour, 'UTC')::timestamptz AS bucket, status, n,
       coalesce(array_lower(latency, 1), 0)::int AS latency_lo, array_replace(latency, NULL, 0)::int[] AS latency,
       coalesce(array_lower(duration, 1), 0)::int AS duration_lo, array_replace(duration, NULL, 0)::int[] AS duration
FROM run_rollup
WHERE base_id = sqlc.arg(base_id)::text
  AND hour >= sqlc.arg(hour_from)::timestamptz AND hour < sqlc.arg(hour_to)::timestamptz
ORDER BY hour;

-- name: AutomationRollupFailures :many
-- An automation's failed steps of the hours in [from, to), summed per
-- bucket, step id and error class (sums of 0 — a run counted and
-- uncounted — left out).
SELECT date_trunc(sqlc.arg(unit)::text, hour, 'UTC')::timestamptz AS bucket, step_id, error_class, sum(n)::bigint AS n
FROM run_rollup_failures
WHERE automation_id = sqlc.arg(automation_id)::text
  AND hour >= sqlc.arg(hour_from)::timestamptz AND hour < sqlc.arg(hour_to)::timestamptz
GROUP BY 1, 2, 3
HAVING sum(n) <> 0
ORDER BY 1;

-- name: BaseRollupFailures :many
-- A base's failed steps, as AutomationRollupFailures.
SELECT date_trunc(sqlc.arg(unit)::text, hour, 'UTC')::timestamptz AS bucket, step_id, error_class, sum(n)::bigint AS n
FROM run_rollup_failures
WHERE base_id = sqlc.arg(base_id)::text
  AND hour >= sqlc.arg(hour_from)::timestamptz AND hour < sqlc.arg(hour_to)::timestamptz
GROUP BY 1, 2, 3
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

-- name: ErrorClass :one
-- rowflow_error_class(msg): the class SQL gives a failed step's error
-- text (tests check automation.ErrorClass against it).
SELECT rowflow_error_class(sqlc.narg(msg)::text)::text;
