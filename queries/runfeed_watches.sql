-- What the run feed's listeners watch (runfeed/): the NOTIFY triggers of
-- runs and run_steps send only for watched keys.

-- name: WatchRunFeedKeys :exec
-- Watches keys for listener until expires_at (a later call extends it).
INSERT INTO runfeed_watches (key, listener, expires_at)
SELECT unnest(@keys::text[]), @listener::text, @expires_at::timestamptz
ON CONFLICT (key, listener) DO UPDATE SET expires_at = excluded.expires_at;

-- name: UnwatchRunFeedKey :exec
DELETE FROM runfeed_watches WHERE key = @key AND listener = @listener;

-- name: UnwatchRunFeedListener :exec
DELETE FROM runfeed_watches WHERE listener = @listener;

-- name: DeleteExpiredRunFeedWatches :exec
DELETE FROM runfeed_watches WHERE expires_at < now();
