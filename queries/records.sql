-- name: InsertRecord :one
INSERT INTO records (id, table_id, cells) VALUES ($1, $2, $3) RETURNING *;

-- name: CreateRecordsWithEvent :many
-- Inserts records of one table and the write's record_event job (as
-- queries/jobs.sql) in ONE statement: one round trip, its own implicit
-- transaction. Nothing is written, and no row returned, unless the table's
-- schema is still at schema_version (the caller validated the cells
-- against that version of a cached definition and reloads it otherwise).
-- The table's row is share-locked: a field change (which bumps the
-- version) waits for this write or makes it see the new version, never
-- slips in between.
-- event_scheduled_at is as in queries/jobs.sql (a zero time: available now;
-- later: scheduled, for an event the writing process matches itself).
-- The event carries the table's automations_version as of the write
-- (RecordEventArgs.AutomationsVersion).
WITH tv AS (
    SELECT t.automations_version FROM tables t
    WHERE t.id = sqlc.arg(table_id)::text AND t.schema_version = sqlc.arg(schema_version)::bigint
    FOR SHARE
), rec AS (
    INSERT INTO records (id, table_id, cells)
    SELECT r.id, sqlc.arg(table_id)::text, r.cells::jsonb
    FROM (SELECT unnest(sqlc.arg(ids)::text[]) AS id, unnest(sqlc.arg(cells)::text[]) AS cells) AS r
    WHERE EXISTS (SELECT 1 FROM tv)
    RETURNING *
), job AS (
    INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, scheduled_at, metadata, tags)
    SELECT jsonb_set(sqlc.arg(event_args)::jsonb, '{automations_version}', to_jsonb((SELECT tv.automations_version FROM tv))), 'record_event', sqlc.arg(event_max_attempts)::smallint,
           rowflow_job_priority(sqlc.arg(event_args)::jsonb), rowflow_job_queue(sqlc.arg(event_args)::jsonb),
           (CASE WHEN sqlc.arg(event_scheduled_at)::timestamptz = '0001-01-01 00:00:00+00' THEN 'available' ELSE 'scheduled' END)::river_job_state,
           CASE WHEN sqlc.arg(event_scheduled_at)::timestamptz = '0001-01-01 00:00:00+00' THEN now() ELSE sqlc.arg(event_scheduled_at)::timestamptz END,
           '{}', '{}'
    WHERE EXISTS (SELECT 1 FROM rec)
    RETURNING id, queue
)
SELECT rec.id, rec.table_id, rec.cells, rec.version, rec.seq, rec.created_at, rec.updated_at,
       (SELECT job.id FROM job)::bigint AS event_job_id,
       (SELECT tv.automations_version FROM tv)::bigint AS automations_version,
       (SELECT count(pg_notify(current_schema() || '.river_insert', json_build_object('queue', x.queue)::text))
        FROM (SELECT DISTINCT queue FROM job) x WHERE sqlc.arg(notify)::bool)::int AS notified
FROM rec ORDER BY rec.seq;

-- name: GetRecord :one
SELECT * FROM records WHERE id = $1 AND table_id = $2;

-- name: GetRecordForUpdate :one
SELECT * FROM records WHERE id = $1 AND table_id = $2 FOR UPDATE;

-- name: GetRecordsForUpdate :many
SELECT * FROM records WHERE table_id = $1 AND id = ANY (sqlc.arg(ids)::text[]) ORDER BY id FOR UPDATE;

-- name: UpdateRecordCells :one
UPDATE records SET cells = $2, version = version + 1, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: DeleteRecord :execrows
DELETE FROM records WHERE id = $1;

-- name: ListRecords :many
SELECT * FROM records WHERE table_id = $1 ORDER BY seq;

-- name: CountExistingRecords :one
SELECT count(*) FROM records WHERE table_id = $1 AND id = ANY (sqlc.arg(ids)::text[]);

-- name: RemoveLinkValue :many
-- Removes record id sqlc.arg(target) from the link cell field_id of every
-- record of the table that holds it; returns the changed records.
UPDATE records
SET cells = CASE
        WHEN jsonb_array_length(cells -> sqlc.arg(field_id)::text) <= 1 THEN cells - sqlc.arg(field_id)::text
        ELSE jsonb_set(cells, ARRAY[sqlc.arg(field_id)::text], (cells -> sqlc.arg(field_id)::text) - sqlc.arg(target)::text)
    END,
    version = version + 1, updated_at = now()
WHERE table_id = sqlc.arg(table_id) AND cells -> sqlc.arg(field_id)::text ? sqlc.arg(target)::text
RETURNING *;

-- name: StripField :exec
UPDATE records SET cells = cells - sqlc.arg(field_id)::text
WHERE table_id = sqlc.arg(table_id) AND cells ? sqlc.arg(field_id)::text;

-- name: CreateRecordsAndRuns :many
-- Inserts records of one table AND the runs their creation fires, in ONE
-- statement (one round trip, one synchronous commit): the writer matched
-- the new records against the table's automations itself, so the runs are
-- as durable as the records and no event job is needed. Nothing is
-- written, and no row returned, unless the table is still at both
-- versions the writer used (schema_version for the cells,
-- automations_version for the automations it matched against); the
-- table's row is share-locked as in CreateRecordsWithEvent. Runs are
-- inserted as StartRuns does (the same arrays, queued or running with a
-- backstop; queued ones get their first step's job). Every row returned
-- carries the inserted runs as JSON: [{"id", "job_id"}].
WITH tv AS (
    SELECT t.id FROM tables t
    WHERE t.id = sqlc.arg(table_id)::text AND t.schema_version = sqlc.arg(schema_version)::bigint
      AND t.automations_version = sqlc.arg(automations_version)::bigint
    FOR SHARE
), rec AS (
    INSERT INTO records (id, table_id, cells)
    SELECT r.id, sqlc.arg(table_id)::text, r.cells::jsonb
    FROM (SELECT unnest(sqlc.arg(ids)::text[]) AS id, unnest(sqlc.arg(cells)::text[]) AS cells) AS r
    WHERE EXISTS (SELECT 1 FROM tv)
    RETURNING *
), r AS (
    SELECT unnest(sqlc.arg(run_ids)::text[]) AS id, unnest(sqlc.arg(automation_ids)::text[]) AS automation_id,
           unnest(sqlc.arg(versions)::int[]) AS version, unnest(sqlc.arg(base_ids)::text[]) AS base_id,
           unnest(sqlc.arg(trigger_types)::text[]) AS trigger_type, unnest(sqlc.arg(trigger_datas)::text[]) AS trigger_data,
           unnest(sqlc.arg(statuses)::text[]) AS status, unnest(sqlc.arg(errors)::text[]) AS error,
           unnest(sqlc.arg(depths)::int[]) AS depth, unnest(sqlc.arg(origin_run_ids)::text[]) AS origin_run_id,
           unnest(sqlc.arg(event_keys)::text[]) AS event_key,
           unnest(sqlc.arg(job_args)::text[]) AS job_args, unnest(sqlc.arg(job_max_attempts)::int[]) AS job_max_attempts,
           unnest(sqlc.arg(job_scheduled_at)::timestamptz[]) AS job_scheduled_at,
           unnest(sqlc.arg(condition_traces)::text[]) AS condition_trace
), ins AS (
    INSERT INTO runs (id, automation_id, version, base_id, trigger_type, trigger_data, status, error, depth, origin_run_id, is_test, event_key, created_at, started_at, finished_at, backstop_at, condition_trace)
    SELECT r.id, r.automation_id, r.version, r.base_id, r.trigger_type, r.trigger_data::jsonb, r.status,
           nullif(r.error, ''), r.depth, nullif(r.origin_run_id, ''), false, r.event_key,
           r.at, CASE WHEN r.status <> 'queued' THEN r.at END,
           CASE WHEN r.status NOT IN ('queued', 'running') THEN r.at END,
           CASE WHEN r.status = 'running' THEN r.job_scheduled_at END,
           nullif(r.condition_trace, '')::jsonb
    -- One clock reading per run for created_at, started_at and finished_at,
    -- so a run never starts before it was created.
    FROM (SELECT r.*, clock_timestamp() AS at FROM r) r
    WHERE EXISTS (SELECT 1 FROM tv)
    -- In one order (automation, status, shard): the stats rollup rows the triggers
    -- of runs inserted already ended upsert are locked in that order by
    -- every statement, so two cannot deadlock (migrations 00150, 00166).
    ORDER BY r.automation_id, r.status, hashtext(r.id) & 3
    ON CONFLICT (automation_id, event_key) DO NOTHING
    RETURNING id, status
), job AS (
    INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, scheduled_at, metadata, tags)
    SELECT r.job_args::jsonb, 'run_step', r.job_max_attempts::smallint, rowflow_job_priority(r.job_args::jsonb), rowflow_job_queue(r.job_args::jsonb), 'available', now(), '{}', '{}'
    FROM ins JOIN r ON r.id = ins.id
    WHERE ins.status = 'queued'
    RETURNING id, args->>'run_id' AS run_id, queue
)
SELECT rec.id, rec.table_id, rec.cells, rec.version, rec.seq, rec.created_at, rec.updated_at,
       (SELECT coalesce(json_agg(json_build_object('id', ins.id, 'job_id', coalesce(job.id, 0))), '[]')
        FROM ins LEFT JOIN job ON job.run_id = ins.id)::jsonb AS runs,
       (SELECT count(pg_notify(current_schema() || '.river_insert', json_build_object('queue', x.queue)::text))
        FROM (SELECT DISTINCT queue FROM job) x WHERE sqlc.arg(notify)::bool)::int AS notified
FROM rec ORDER BY rec.seq;
