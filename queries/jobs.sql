-- River jobs written by rowflow's own statements, so that a job is inserted
-- in the same round trip as the rows it belongs to (docs/performance.md).
-- Each job is what River's InsertTx makes for it: queue "default",
-- no tags, empty metadata; priority 1, or 2 (automation.BulkPriority) when
-- the args say "bulk": true (automation/fairness.go); a zero scheduled_at means now
-- (state available), a later one means scheduled. When notify is set and a
-- job is available now, River's insert notification wakes its producers
-- (automation/job_insert.go decides, limited like River's own notifier).
--
-- A statement that finds a job by id and state compares state::text: with
-- a plain `state = …` the planner may pick River's index on (state, queue,
-- priority, scheduled_at, id) over the primary key, and then walks every
-- scheduled job to find one id (the benchmark's backstop jobs made that
-- half of PostgreSQL's time; docs/performance.md).

-- name: InsertJobs :many
WITH job AS (
    INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, scheduled_at, metadata, tags)
    SELECT j.args::jsonb, j.kind, j.max_attempts::smallint, rowflow_job_priority(j.args::jsonb), rowflow_job_queue(j.args::jsonb),
           (CASE WHEN j.scheduled_at = '0001-01-01 00:00:00+00' THEN 'available' ELSE 'scheduled' END)::river_job_state,
           CASE WHEN j.scheduled_at = '0001-01-01 00:00:00+00' THEN now() ELSE j.scheduled_at END,
           '{}', '{}'
    FROM (SELECT unnest(sqlc.arg(args)::text[]) AS args, unnest(sqlc.arg(kinds)::text[]) AS kind,
                 unnest(sqlc.arg(max_attempts)::int[]) AS max_attempts,
                 unnest(sqlc.arg(scheduled_at)::timestamptz[]) AS scheduled_at) AS j
    RETURNING id, state, queue
)
SELECT job.id,
       (SELECT count(pg_notify(current_schema() || '.river_insert', json_build_object('queue', x.queue)::text))
        FROM (SELECT DISTINCT a.queue FROM job a WHERE a.state = 'available') x WHERE sqlc.arg(notify)::bool)::int AS notified
FROM job;

-- name: DeleteScheduledJob :execrows
-- Deletes a job that is still scheduled: the event of a write its process
-- matched itself, when nothing fired (automation/event_inline.go). 0: River
-- took it at its backstop. Asynchronous commit, as StartRuns.
DELETE FROM river_job WHERE id = $1 AND state::text = 'scheduled'
RETURNING set_config('synchronous_commit', 'off', true);

-- name: ReleaseScheduledJob :exec
-- Makes a still-scheduled job available now: its process will not handle
-- it itself after all (too busy, shutting down, or it failed).
UPDATE river_job SET state = 'available', scheduled_at = now() WHERE id = $1 AND state::text = 'scheduled';
