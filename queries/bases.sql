-- name: CreateBase :one
INSERT INTO bases (id, name) VALUES ($1, $2) RETURNING *;

-- name: GetBase :one
SELECT * FROM bases WHERE id = $1;

-- name: ListBases :many
-- Bases after the cursor id, optionally only those in allowed (NULL = all).
SELECT * FROM bases
WHERE id > sqlc.arg(after)::text
  AND (sqlc.narg(allowed)::text[] IS NULL OR id = ANY (sqlc.narg(allowed)::text[]))
ORDER BY id
LIMIT sqlc.arg(lim);

-- name: DeleteBase :execrows
DELETE FROM bases WHERE id = $1;
