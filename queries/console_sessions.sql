-- Browser sessions of the runs console (auth/session.go).

-- name: CreateConsoleSession :exec
INSERT INTO console_sessions (id_hash, token_id, admin_hash, csrf, expires_at)
VALUES (@id_hash, sqlc.narg('token_id'), sqlc.narg('admin_hash'), @csrf, @expires_at);

-- name: GetConsoleSession :one
-- A live session with its token's role, bases and user (NULL for an admin
-- session).
SELECT s.token_id, s.admin_hash, s.csrf, s.expires_at, t.role, t.base_ids, t.user_id
FROM console_sessions s
LEFT JOIN api_tokens t ON t.id = s.token_id
WHERE s.id_hash = @id_hash AND s.expires_at > now();

-- name: DeleteConsoleSession :exec
DELETE FROM console_sessions WHERE id_hash = @id_hash;

-- name: DeleteExpiredConsoleSessions :execrows
DELETE FROM console_sessions WHERE expires_at <= now();
