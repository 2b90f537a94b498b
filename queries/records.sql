-- name: InsertRecord :one
INSERT INTO records (id, table_id, cells) VALUES ($1, $2, $3) RETURNING *;

-- name: CreateRecordsWithEvent :many
-- Inserts records of one table and the write's record_event job (as
-- queries/jobs.sql) in ONE statement: one round trip, its own implicit
-- transaction. Nothing is written, and no row returned, unless the table's
-- schema is still at schema_version (the caller validated the cells
-- against that version of a cached definition and reloads it otherwise).
-- event_scheduled_at is as in queries/jobs.sql (a zero time: available now;
-- later: scheduled, for an event the writing process matches itself).
-- The event carries the table's automations_version as of the write
-- (RecordEventArgs.AutomationsVersion).
WITH tv AS (
    SELECT t.automations_version FROM tables t
    WHERE t.id = sqlc.arg(table_id)::text AND t.schema_version = sqlc.arg(schema_version)::bigint
), rec AS (
    INSERT INTO records (id, table_id, cells)
    SELECT r.id, sqlc.arg(table_id)::text, r.cells::jsonb
    FROM (SELECT unnest(sqlc.arg(ids)::text[]) AS id, unnest(sqlc.arg(cells)::text[]) AS cells) AS r
    WHERE EXISTS (SELECT 1 FROM tv)
    RETURNING *
), job AS (
    INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, scheduled_at, metadata, tags)
    SELECT jsonb_set(sqlc.arg(event_args)::jsonb, '{automations_version}', to_jsonb((SELECT tv.automations_version FROM tv))), 'record_event', sqlc.arg(event_max_attempts)::smallint, 1, 'default',
           (CASE WHEN sqlc.arg(event_scheduled_at)::timestamptz = '0001-01-01 00:00:00+00' THEN 'available' ELSE 'scheduled' END)::river_job_state,
           CASE WHEN sqlc.arg(event_scheduled_at)::timestamptz = '0001-01-01 00:00:00+00' THEN now() ELSE sqlc.arg(event_scheduled_at)::timestamptz END,
           '{}', '{}'
    WHERE EXISTS (SELECT 1 FROM rec)
    RETURNING id
)
SELECT rec.id, rec.table_id, rec.cells, rec.version, rec.seq, rec.created_at, rec.updated_at,
       (SELECT job.id FROM job)::bigint AS event_job_id,
       (SELECT tv.automations_version FROM tv)::bigint AS automations_version,
       (SELECT count(pg_notify(current_schema() || '.river_insert', '{"queue": "default"}'))
        FROM job WHERE sqlc.arg(notify)::bool)::int AS notified
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
