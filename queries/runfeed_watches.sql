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

-- name: RaiseRunFeedFlag :exec
-- Tells the triggers that some process watches until now + ttl seconds
-- (never lowering a later time another process set).
SELECT setval('runfeed_flag', greatest(coalesce(pg_sequence_last_value('runfeed_flag'), 0), (extract(epoch FROM now()) + @ttl_seconds::int)::bigint), true);
