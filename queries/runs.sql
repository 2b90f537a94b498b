-- name: InsertRun :one
INSERT INTO runs (id, automation_id, version, base_id, trigger_type, trigger_data, status, error, depth, origin_run_id, is_test, event_key, started_at, finished_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (automation_id, event_key) DO NOTHING
RETURNING *;

-- name: GetRun :one
SELECT * FROM runs WHERE id = $1;

-- name: GetRunForUpdate :one
SELECT * FROM runs WHERE id = $1 FOR UPDATE;

-- name: ListRuns :many
SELECT * FROM runs
WHERE automation_id = sqlc.arg(automation_id)
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status)::text)
  AND (sqlc.narg(before_created)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(before_created)::timestamptz, sqlc.arg(before_id)::text))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(lim);

-- name: SetRunStatus :exec
UPDATE runs SET status = $2, error = $3,
    started_at = coalesce(started_at, CASE WHEN $2 = 'running' THEN clock_timestamp() END),
    finished_at = CASE WHEN $2 IN ('succeeded', 'failed', 'skipped', 'cancelled') THEN clock_timestamp() ELSE finished_at END
WHERE id = $1;

-- name: ListRunSteps :many
SELECT * FROM run_steps WHERE run_id = $1 ORDER BY step_index;

-- name: ListRunStepsOfRuns :many
SELECT * FROM run_steps WHERE run_id = ANY (sqlc.arg(run_ids)::text[]) ORDER BY run_id, step_index;

-- name: UpsertRunStep :execrows
-- Writes a step's row unless it is already final: a final row is the
-- step's completion record, and 0 rows tells a second, concurrent
-- execution of the same step that it lost.
INSERT INTO run_steps (run_id, step_index, step_id, type, status, attempts, snoozes, input, output, error, started_at, finished_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (run_id, step_index) DO UPDATE
SET status = EXCLUDED.status, attempts = EXCLUDED.attempts, snoozes = EXCLUDED.snoozes, input = EXCLUDED.input, output = EXCLUDED.output,
    error = EXCLUDED.error, started_at = coalesce(run_steps.started_at, EXCLUDED.started_at), finished_at = EXCLUDED.finished_at
WHERE run_steps.status NOT IN ('succeeded', 'failed', 'skipped');

-- name: StartRun :one
-- Marks a run running and returns it with the status of step step_index
-- (NULL before its first completion); no row when the run is no longer
-- queued or running.
UPDATE runs SET status = 'running', started_at = coalesce(started_at, clock_timestamp())
WHERE id = sqlc.arg(id) AND status IN ('queued', 'running')
RETURNING id, automation_id, version, base_id, trigger_type, trigger_data, depth,
    coalesce((SELECT s.status FROM run_steps s WHERE s.run_id = runs.id AND s.step_index = sqlc.arg(step_index)::int), '')::text AS step_status;

-- name: InsertRuns :many
-- Inserts many matched runs in one statement (a batch write's runs); those
-- that already exist for (automation, event) are skipped. Returns the ids
-- inserted.
INSERT INTO runs (id, automation_id, version, base_id, trigger_type, trigger_data, status, error, depth, origin_run_id, is_test, event_key, started_at, finished_at)
SELECT r.id, r.automation_id, r.version, r.base_id, r.trigger_type, r.trigger_data::jsonb, r.status,
       nullif(r.error, ''), r.depth, nullif(r.origin_run_id, ''), false, r.event_key,
       CASE WHEN r.status <> 'queued' THEN clock_timestamp() END,
       CASE WHEN r.status <> 'queued' THEN clock_timestamp() END
FROM (SELECT unnest(sqlc.arg(ids)::text[]) AS id, unnest(sqlc.arg(automation_ids)::text[]) AS automation_id,
             unnest(sqlc.arg(versions)::int[]) AS version, unnest(sqlc.arg(base_ids)::text[]) AS base_id,
             unnest(sqlc.arg(trigger_types)::text[]) AS trigger_type, unnest(sqlc.arg(trigger_datas)::text[]) AS trigger_data,
             unnest(sqlc.arg(statuses)::text[]) AS status, unnest(sqlc.arg(errors)::text[]) AS error,
             unnest(sqlc.arg(depths)::int[]) AS depth, unnest(sqlc.arg(origin_run_ids)::text[]) AS origin_run_id,
             unnest(sqlc.arg(event_keys)::text[]) AS event_key) AS r
ON CONFLICT (automation_id, event_key) DO NOTHING
RETURNING id;
