-- name: CreateConnection :one
INSERT INTO connections (id, base_id, name, type, config, secrets)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING *;

-- name: GetConnection :one
SELECT * FROM connections WHERE id = $1;

-- name: ListConnections :many
SELECT * FROM connections WHERE base_id = $1 AND id > sqlc.arg(after)::text ORDER BY id LIMIT sqlc.arg(lim);

-- name: UpdateConnection :one
UPDATE connections SET name = $2, config = $3, secrets = $4, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: DeleteConnection :execrows
DELETE FROM connections WHERE id = $1;

-- name: ListAllConnections :many
-- Every connection after the cursor id (re-encryption with a new key).
SELECT * FROM connections WHERE id > sqlc.arg(after)::text ORDER BY id LIMIT sqlc.arg(lim);

-- name: SetConnectionSecrets :exec
UPDATE connections SET secrets = $2 WHERE id = $1;
