-- name: CreateUser :one
INSERT INTO users (id, email, name) VALUES ($1, $2, $3) RETURNING *;

-- name: GetUser :one
SELECT * FROM users WHERE id = $1;

-- name: GetUserByEmail :one
SELECT * FROM users WHERE lower(email) = lower(@email::text);

-- name: ListUsers :many
SELECT * FROM users WHERE id > @after::text ORDER BY id LIMIT @lim;

-- name: UpdateUser :one
UPDATE users SET email = coalesce(sqlc.narg('email')::text, email), name = coalesce(sqlc.narg('name')::text, name)
WHERE id = @id RETURNING *;

-- name: DeleteUser :execrows
DELETE FROM users WHERE id = $1;
