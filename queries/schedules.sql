-- name: ScheduleNow :one
-- The database clock (the transaction's start), or the pinned one.
SELECT coalesce(sqlc.narg(pinned)::timestamptz, now())::timestamptz AS now;

-- name: GetSchedule :one
SELECT * FROM automation_schedules WHERE automation_id = $1 FOR UPDATE;

-- name: UpsertSchedule :exec
INSERT INTO automation_schedules (automation_id, version, cron, every_seconds, time_zone, catch_up, next_fire_at, updated_at)
VALUES (sqlc.arg(automation_id), sqlc.arg(version), sqlc.narg(cron), sqlc.narg(every_seconds), sqlc.arg(time_zone),
        sqlc.arg(catch_up), sqlc.arg(next_fire_at), now())
ON CONFLICT (automation_id) DO UPDATE
SET version = EXCLUDED.version, cron = EXCLUDED.cron, every_seconds = EXCLUDED.every_seconds, time_zone = EXCLUDED.time_zone,
    catch_up = EXCLUDED.catch_up, next_fire_at = EXCLUDED.next_fire_at, updated_at = now();

-- name: DeleteSchedule :exec
DELETE FROM automation_schedules WHERE automation_id = $1;

-- name: ClaimDueSchedules :many
-- Locks at most lim schedules due by now + lookahead that no other tick
-- holds, with their automation (still enabled at the schedule's version:
-- the Lifecycle hook keeps it so; the join makes sure). db_now is the
-- clock the fires are decided on.
SELECT s.automation_id, s.version, s.cron, s.every_seconds, s.time_zone, s.catch_up, s.next_fire_at,
       a.base_id, a.trigger_type,
       coalesce(sqlc.narg(pinned)::timestamptz, now())::timestamptz AS db_now
FROM automation_schedules s
JOIN automations a ON a.id = s.automation_id AND a.enabled AND a.version = s.version
WHERE s.next_fire_at <= coalesce(sqlc.narg(pinned)::timestamptz, now()) + make_interval(secs => sqlc.arg(lookahead_seconds)::float8)
ORDER BY s.next_fire_at
LIMIT sqlc.arg(lim)
FOR UPDATE OF s SKIP LOCKED;

-- name: AdvanceSchedules :exec
-- Moves claimed schedules to their next fire (or deletes those that never
-- fire again: a zero next).
WITH u AS (
    SELECT unnest(sqlc.arg(automation_ids)::text[]) AS automation_id,
           unnest(sqlc.arg(next_fire_ats)::timestamptz[]) AS next_fire_at,
           unnest(sqlc.arg(last_fire_ats)::timestamptz[]) AS last_fire_at
), gone AS (
    DELETE FROM automation_schedules s USING u
    WHERE s.automation_id = u.automation_id AND u.next_fire_at = '0001-01-01 00:00:00+00'
)
UPDATE automation_schedules s
SET next_fire_at = u.next_fire_at,
    last_fire_at = CASE WHEN u.last_fire_at = '0001-01-01 00:00:00+00' THEN s.last_fire_at ELSE u.last_fire_at END,
    updated_at = now()
FROM u
WHERE s.automation_id = u.automation_id AND u.next_fire_at <> '0001-01-01 00:00:00+00';

-- name: MovePendingScheduledRuns :execrows
-- Moves the scheduled runs of an automation that have not started to
-- version (a save replaced theirs): each keeps its id, its fire and its
-- first step's job, and runs the new version. A run whose first step
-- started meanwhile is running, not queued, and is left to its re-check;
-- so are all when the new version has no steps (the job of a first step
-- would find none). The job keeps the old first step's retry policy.
UPDATE runs SET version = sqlc.arg(version)::int
WHERE runs.automation_id = sqlc.arg(automation_id)::text AND runs.status = 'queued' AND runs.version <> sqlc.arg(version)::int
  AND runs.event_key LIKE 'sched:%'
  AND EXISTS (SELECT 1 FROM automation_versions v WHERE v.automation_id = runs.automation_id
              AND v.version = sqlc.arg(version)::int AND jsonb_array_length(v.definition->'steps') > 0);

-- name: ScheduleLastFire :one
-- An automation's schedule's last fire time (NULL: not fired yet; no
-- row: the automation is disabled, or not scheduled).
SELECT last_fire_at FROM automation_schedules WHERE automation_id = $1;
