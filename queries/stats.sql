-- The run retention sweep (the analytics read the rollup: queries/rollup.sql).

-- name: DeleteExpiredRuns :execrows
-- Deletes up to lim finished runs (their steps with them, ON DELETE
-- CASCADE) past their retention: failed runs finished before
-- failed_before, succeeded, skipped and cancelled ones before before.
-- Rows another process is deleting are skipped.
DELETE FROM runs WHERE id IN (
    SELECT id FROM runs
    WHERE finished_at < greatest(sqlc.arg(before)::timestamptz, sqlc.arg(failed_before)::timestamptz)
      AND ((status = 'failed' AND finished_at < sqlc.arg(failed_before)::timestamptz)
           OR (status IN ('succeeded', 'skipped', 'cancelled') AND finished_at < sqlc.arg(before)::timestamptz))
    ORDER BY finished_at
    LIMIT sqlc.arg(lim)
    FOR UPDATE SKIP LOCKED
);
