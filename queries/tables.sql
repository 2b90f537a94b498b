-- name: CreateTable :one
INSERT INTO tables (id, base_id, name) VALUES ($1, $2, $3) RETURNING *;

-- name: GetTable :one
SELECT * FROM tables WHERE id = $1;

-- name: ListTables :many
SELECT * FROM tables WHERE base_id = $1 ORDER BY created_at, id;

-- name: DeleteTable :execrows
DELETE FROM tables WHERE id = $1;
