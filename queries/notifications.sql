-- name: InsertNotification :one
-- A step executed again finds its notification already there and inserts
-- nothing (no row returned).
INSERT INTO notifications (id, user_id, title, body, link, base_id, automation_id, run_id, step_id, record_id)
VALUES (@id, @user_id, @title, @body, @link, sqlc.narg('base_id'), sqlc.narg('automation_id'), sqlc.narg('run_id'), sqlc.narg('step_id'), sqlc.narg('record_id'))
ON CONFLICT (run_id, step_id, user_id) WHERE run_id IS NOT NULL DO NOTHING
RETURNING *;

-- name: NotifyNotification :exec
SELECT pg_notify('rowflow_notifications', @payload::text);

-- name: GetNotification :one
SELECT * FROM notifications WHERE id = $1;

-- name: ListNotifications :many
-- allowed (NULL: every base) keeps a base-scoped token to its bases.
-- Newest first; before is the cursor (the last id of the previous page).
SELECT * FROM notifications
WHERE user_id = @user_id AND (@before::text = '' OR id < @before::text) AND (NOT @unread_only::boolean OR read_at IS NULL)
  AND (sqlc.narg('allowed')::text[] IS NULL OR base_id = ANY(sqlc.narg('allowed')::text[]))
ORDER BY id DESC LIMIT @lim;

-- name: ListNotificationsAfter :many
-- Oldest first after id after: what a reconnecting stream missed.
SELECT * FROM notifications WHERE user_id = @user_id AND id > @after::text AND (sqlc.narg('allowed')::text[] IS NULL OR base_id = ANY(sqlc.narg('allowed')::text[])) ORDER BY id LIMIT @lim;

-- name: MarkNotificationRead :one
UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = @id AND user_id = @user_id AND (sqlc.narg('allowed')::text[] IS NULL OR base_id = ANY(sqlc.narg('allowed')::text[])) RETURNING *;

-- name: MarkAllNotificationsRead :execrows
UPDATE notifications SET read_at = now() WHERE user_id = @user_id AND read_at IS NULL AND (sqlc.narg('allowed')::text[] IS NULL OR base_id = ANY(sqlc.narg('allowed')::text[]));

-- name: CountUnreadNotifications :one
SELECT count(*) FROM notifications WHERE user_id = @user_id AND read_at IS NULL AND (sqlc.narg('allowed')::text[] IS NULL OR base_id = ANY(sqlc.narg('allowed')::text[]));

-- name: GetStepNotification :one
SELECT * FROM notifications WHERE run_id = @run_id AND step_id = @step_id AND user_id = @user_id;

-- name: NewestNotificationID :one
SELECT coalesce(max(id), '')::text FROM notifications WHERE user_id = @user_id;
