-- name: InsertRecord :one
INSERT INTO records (id, table_id, cells) VALUES ($1, $2, $3) RETURNING *;

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
