-- name: SkipStaleRun :one
-- Ends a queued or running run as skipped when its automation is no longer
-- enabled at the run's version (kind.CurrentOnly: a scheduled fire is
-- inserted ahead of its time). No row: the run is current (or already
-- ended), and its step goes on.
UPDATE runs SET status = 'skipped', error = sqlc.arg(reason)::text, finished_at = clock_timestamp(), backstop_at = NULL
WHERE runs.id = sqlc.arg(id)::text AND runs.status IN ('queued', 'running')
  AND NOT EXISTS (SELECT 1 FROM automations a WHERE a.id = runs.automation_id AND a.enabled AND a.version = runs.version)
RETURNING runs.id;
