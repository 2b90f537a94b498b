-- name: CreateField :one
INSERT INTO fields (id, table_id, name, type, options, position)
VALUES ($1, $2, $3, $4, $5,
        (SELECT coalesce(max(position), 0) + 1 FROM fields f WHERE f.table_id = $2))
RETURNING *;

-- name: ListFields :many
SELECT * FROM fields WHERE table_id = $1 ORDER BY position;

-- name: ListFieldsOfTables :many
SELECT * FROM fields WHERE table_id = ANY (sqlc.arg(table_ids)::text[]) ORDER BY table_id, position;

-- name: GetField :one
SELECT * FROM fields WHERE id = $1;

-- name: UpdateFieldOptions :exec
UPDATE fields SET options = $2 WHERE id = $1;

-- name: DeleteField :execrows
DELETE FROM fields WHERE id = $1;

-- name: CountFieldsLocked :one
-- Locks the table's row (concurrent field creations wait for this
-- transaction) and counts its fields.
SELECT count(*)::int AS n FROM fields
WHERE table_id = (SELECT t.id FROM tables t WHERE t.id = sqlc.arg(table_id) FOR UPDATE);
