-- name: CreateView :one
INSERT INTO views (id, table_id, name, filter, sort) VALUES ($1, $2, $3, $4, $5) RETURNING *;

-- name: GetView :one
SELECT * FROM views WHERE id = $1;

-- name: ListViews :many
SELECT * FROM views WHERE table_id = $1 ORDER BY created_at, id;

-- name: DeleteView :execrows
DELETE FROM views WHERE id = $1;
