-- name: CreateToken :one
INSERT INTO api_tokens (id, name, role, base_ids, token_hash, user_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *;

-- name: GetTokenByHash :one
SELECT * FROM api_tokens WHERE token_hash = $1;

-- name: ListTokens :many
SELECT * FROM api_tokens ORDER BY created_at, id;

-- name: DeleteToken :execrows
DELETE FROM api_tokens WHERE id = $1;

-- name: TouchToken :exec
UPDATE api_tokens SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');
