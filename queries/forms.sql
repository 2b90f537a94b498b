-- name: CreateForm :one
INSERT INTO forms (id, table_id, name, fields, public) VALUES ($1, $2, $3, $4, $5) RETURNING *;

-- name: GetForm :one
SELECT * FROM forms WHERE id = $1;

-- name: ListForms :many
SELECT * FROM forms WHERE table_id = $1 ORDER BY created_at, id;

-- name: DeleteForm :execrows
DELETE FROM forms WHERE id = $1;
