-- name: CreateWebhook :one
INSERT INTO webhooks (id, base_id, name, auth_mode, secret, mapping, max_body_bytes, rate_per_second, rate_burst)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *;

-- name: GetWebhook :one
SELECT * FROM webhooks WHERE id = $1;

-- name: ListWebhooks :many
SELECT * FROM webhooks WHERE base_id = $1 ORDER BY created_at, id;

-- name: UpdateWebhook :one
UPDATE webhooks SET name = $2, mapping = $3, max_body_bytes = $4, rate_per_second = $5, rate_burst = $6, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: RotateWebhookSecret :one
-- The new secret replaces the current one, which stays valid until
-- previous_until.
UPDATE webhooks SET previous_secret = secret, previous_until = sqlc.arg(previous_until), secret = sqlc.arg(secret), updated_at = now()
WHERE id = sqlc.arg(id) RETURNING *;

-- name: DeleteWebhook :execrows
DELETE FROM webhooks WHERE id = $1;

-- name: GetDelivery :one
SELECT r.id, r.runs FROM webhook_deliveries d JOIN webhook_requests r ON r.id = d.request_id
WHERE d.webhook_id = $1 AND d.delivery_id = $2;

-- name: PruneDeliveries :execrows
DELETE FROM webhook_deliveries WHERE ctid = ANY (ARRAY(SELECT ctid FROM webhook_deliveries WHERE expires_at <= now() LIMIT 1000));

-- name: ClaimWebhookDeliveries :many
-- Claims the delivery ids of a batch of requests (group commit, one per
-- webhook and id, in a fixed order so concurrent batches cannot deadlock)
-- and returns the ids claimed; an id with a live entry is not returned
-- (the caller answers it with that entry's request). An expired entry is
-- taken over; a concurrent first delivery is waited for.
INSERT INTO webhook_deliveries (webhook_id, delivery_id, request_id, expires_at)
SELECT t.w, t.d, t.r, sqlc.arg(expires_at)
FROM (SELECT unnest(sqlc.arg(webhook_ids)::text[]) AS w, unnest(sqlc.arg(delivery_ids)::text[]) AS d,
             unnest(sqlc.arg(request_ids)::text[]) AS r) AS t
ORDER BY t.w, t.d
ON CONFLICT (webhook_id, delivery_id) DO UPDATE
SET request_id = EXCLUDED.request_id, expires_at = EXCLUDED.expires_at
WHERE webhook_deliveries.expires_at <= now()
RETURNING request_id;

-- name: InsertWebhookRequests :exec
-- Stores a batch of requests whose delivery ids (if any) were claimed in
-- the same transaction. bodies, delivery_ids, replay_ofs: '' for none.
INSERT INTO webhook_requests (id, webhook_id, method, content_type, headers, query, raw_body, body, delivery_id, replay_of, runs)
SELECT t.i, t.w, t.m, t.ct, t.h::jsonb, t.q::jsonb, t.rb, nullif(t.b, '')::jsonb, nullif(t.d, ''), nullif(t.ro, ''), t.r::jsonb
FROM (SELECT unnest(sqlc.arg(ids)::text[]) AS i, unnest(sqlc.arg(webhook_ids)::text[]) AS w,
             unnest(sqlc.arg(methods)::text[]) AS m, unnest(sqlc.arg(content_types)::text[]) AS ct,
             unnest(sqlc.arg(headers)::text[]) AS h, unnest(sqlc.arg(queries)::text[]) AS q,
             unnest(sqlc.arg(raw_bodies)::bytea[]) AS rb, unnest(sqlc.arg(bodies)::text[]) AS b,
             unnest(sqlc.arg(delivery_ids)::text[]) AS d, unnest(sqlc.arg(replay_ofs)::text[]) AS ro,
             unnest(sqlc.arg(runs)::text[]) AS r) AS t;

-- name: GetWebhookRequest :one
SELECT * FROM webhook_requests WHERE id = $1 AND webhook_id = $2;

-- name: ListWebhookRequests :many
SELECT * FROM webhook_requests
WHERE webhook_id = sqlc.arg(webhook_id)
  AND (sqlc.narg(before_received)::timestamptz IS NULL
       OR (received_at, id) < (sqlc.narg(before_received)::timestamptz, sqlc.arg(before_id)::text))
ORDER BY received_at DESC, id DESC
LIMIT sqlc.arg(lim);

-- name: DeleteExpiredWebhookRequests :one
-- Deletes at most lim stored requests received before before (the
-- retention sweep), and the expired delivery ids.
WITH gone AS (
    DELETE FROM webhook_requests WHERE ctid = ANY (ARRAY(
        SELECT o.ctid FROM webhook_requests o WHERE o.received_at < sqlc.arg(before)::timestamptz ORDER BY o.received_at LIMIT sqlc.arg(lim)::int))
    RETURNING 1
), pruned AS (
    DELETE FROM webhook_deliveries WHERE ctid = ANY (ARRAY(
        SELECT e.ctid FROM webhook_deliveries e WHERE e.expires_at <= now() LIMIT sqlc.arg(lim)::int))
    RETURNING 1
)
SELECT ((SELECT count(*) FROM gone) + (SELECT count(*) FROM pruned))::int AS deleted;
