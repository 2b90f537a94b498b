-- name: GetRun :one
SELECT * FROM runs WHERE id = $1;

-- name: LastRealTrigger :one
-- The trigger data of an automation's newest run that is not a test run
-- (a dry run's sample when none is given; skipped runs count: they are
-- real events too).
SELECT trigger_data FROM runs
WHERE automation_id = $1 AND NOT is_test
ORDER BY created_at DESC, id DESC
LIMIT 1;

-- name: GetRunForUpdate :one
SELECT * FROM runs WHERE id = $1 FOR UPDATE;

-- name: ListRuns :many
-- An automation's runs, newest first, after the cursor, with the optional
-- filters (status, is_test, the trigger record's id, created in [from, to)).
SELECT * FROM runs
WHERE automation_id = sqlc.arg(automation_id)
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status)::text)
  AND (sqlc.narg(is_test)::bool IS NULL OR is_test = sqlc.narg(is_test)::bool)
  AND (sqlc.narg(record_id)::text IS NULL OR trigger_data->'record'->>'id' = sqlc.narg(record_id)::text)
  AND (sqlc.narg(created_from)::timestamptz IS NULL OR created_at >= sqlc.narg(created_from)::timestamptz)
  AND (sqlc.narg(created_to)::timestamptz IS NULL OR created_at < sqlc.narg(created_to)::timestamptz)
  AND (sqlc.narg(before_created)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(before_created)::timestamptz, sqlc.arg(before_id)::text))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(lim);

-- name: ListBaseRuns :many
-- A base's runs (every automation's), newest first, with ListRuns' filters.
SELECT * FROM runs
WHERE base_id = sqlc.arg(base_id)
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status)::text)
  AND (sqlc.narg(is_test)::bool IS NULL OR is_test = sqlc.narg(is_test)::bool)
  AND (sqlc.narg(record_id)::text IS NULL OR trigger_data->'record'->>'id' = sqlc.narg(record_id)::text)
  AND (sqlc.narg(created_from)::timestamptz IS NULL OR created_at >= sqlc.narg(created_from)::timestamptz)
  AND (sqlc.narg(created_to)::timestamptz IS NULL OR created_at < sqlc.narg(created_to)::timestamptz)
  AND (sqlc.narg(before_created)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(before_created)::timestamptz, sqlc.arg(before_id)::text))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(lim);

-- name: CancelRun :execrows
-- Cancels a run still queued, running or waiting (a delay): its next step job finds it
-- ended (StartRun) and does nothing; a step executing now completes its
-- row but moves the run no further (FinishStep). 0 rows: the run ended.
UPDATE runs SET status = 'cancelled', error = sqlc.arg(reason)::text, finished_at = clock_timestamp()
WHERE id = sqlc.arg(id) AND status IN ('queued', 'running', 'waiting');

-- name: ReopenFailedRun :execrows
-- Puts a failed run back to running for a retry from step step_index:
-- that step's row is deleted (a group's: see del) (its job re-executes it from scratch), the
-- rows of the steps before it stay (their outputs feed the templates and
-- their side effects are not repeated). 0 rows: the run is not failed.
WITH run AS (
    UPDATE runs SET status = 'running', error = NULL, finished_at = NULL
    WHERE id = sqlc.arg(id) AND status = 'failed'
    RETURNING id
), del AS (
    -- A group that failed keeps the rows of the steps inside it that
    -- succeeded or were skipped, and its own row (reopened below: its
    -- branch or items stay as chosen): the retry resumes inside it.
    DELETE FROM run_steps s USING run WHERE s.run_id = run.id
      AND (s.step_index > sqlc.arg(step_index)::int
           OR (s.step_index = sqlc.arg(step_index)::int AND NOT (s.path = '' AND s.type IN ('if', 'for_each'))
               AND (s.path = '' OR s.status NOT IN ('succeeded', 'skipped'))))
    RETURNING s.run_id
), reopen AS (
    UPDATE run_steps s SET status = 'running', error = NULL, finished_at = NULL FROM run
    WHERE s.run_id = run.id AND s.step_index = sqlc.arg(step_index)::int AND s.path = '' AND s.type IN ('if', 'for_each')
    RETURNING s.run_id
)
SELECT count(*) FROM run;

-- name: SetRunReplayOf :exec
UPDATE runs SET replay_of = sqlc.arg(replay_of)::text WHERE id = sqlc.arg(id);

-- name: ListRunSteps :many
-- Every row of a run — top-level steps and the steps run inside groups —
-- in the order they ran (run detail).
SELECT * FROM run_steps WHERE run_id = $1 ORDER BY step_index, ordinal;

-- name: ListRunStepsOfRuns :many
-- The top-level steps of runs (run lists); the steps run inside groups
-- are in each run's detail (ListRunSteps): a for_each over 1,000 items
-- would make a list of 50 runs 50,000 rows.
SELECT * FROM run_steps WHERE run_id = ANY (sqlc.arg(run_ids)::text[]) AND path = '' ORDER BY run_id, step_index;

-- name: ListRunStepOutputs :many
-- The rows of a run whose outputs templates see by step id
-- ({{steps.<id>.output}}): top-level steps and steps inside if branches,
-- not those run for one for_each item (path with "[": their outputs are
-- the for_each's output.items).
SELECT * FROM run_steps WHERE run_id = $1 AND position('[' in path) = 0 ORDER BY step_index, ordinal;

-- name: ListGroupSteps :many
-- The rows of the steps run inside top-level group step_index (path <> '').
SELECT * FROM run_steps WHERE run_id = sqlc.arg(run_id) AND step_index = sqlc.arg(step_index)::int AND path <> '' ORDER BY ordinal;

-- name: SaveGroupStepsDone :execrows
-- Writes the final rows (succeeded, first attempt) of a batch of steps run
-- inside a group in one transaction (automation/group_batch.go), only
-- while the run is in flight and none of them has a row yet: fewer rows
-- written than given tells the caller to roll back (a concurrent
-- execution, or the run ended). Asynchronous commit, as SaveGroupStep.
INSERT INTO run_steps (run_id, step_index, path, parent, item_index, ordinal, step_id, type, status, attempts, snoozes, input, output, started_at, finished_at)
SELECT sqlc.arg(run_id)::text, sqlc.arg(step_index)::int, u.path, u.parent, u.item_index, u.ordinal, u.step_id, u.type, 'succeeded', 1, 0,
       u.input::jsonb, u.output::jsonb, u.started_at, clock_timestamp()
FROM (SELECT set_config('synchronous_commit', 'off', true)) async,
     (SELECT unnest(sqlc.arg(paths)::text[]) AS path, unnest(sqlc.arg(parents)::text[]) AS parent,
             unnest(sqlc.arg(item_indexes)::int[]) AS item_index, unnest(sqlc.arg(ordinals)::int[]) AS ordinal,
             unnest(sqlc.arg(step_ids)::text[]) AS step_id, unnest(sqlc.arg(types)::text[]) AS type,
             unnest(sqlc.arg(inputs)::text[]) AS input, unnest(sqlc.arg(outputs)::text[]) AS output,
             unnest(sqlc.arg(started_ats)::timestamptz[]) AS started_at) u
WHERE EXISTS (SELECT 1 FROM runs r WHERE r.id = sqlc.arg(run_id)::text AND r.status IN ('queued', 'running', 'waiting'))
ON CONFLICT (run_id, step_index, path) DO NOTHING;

-- name: CountRunActions :one
-- How many steps a run has executed so far (groups themselves not
-- counted): the max_steps cap's count.
SELECT count(*)::int FROM run_steps WHERE run_id = $1 AND type NOT IN ('if', 'for_each');

-- name: SaveGroupStep :execrows
-- Writes the row of a step inside a group (path <> '') unless it is
-- already final, as UpsertRunStep does for top-level steps, and only while
-- the run is still in flight: 0 rows tells the execution to stop — a
-- second, concurrent execution finished the step, or the run ended
-- (cancelled). finished_at is set for a final status; an absent input
-- keeps the stored one (a group's items). The commit is asynchronous, as
-- FinishStep's (with the record writes of a record action in the same
-- transaction): a PostgreSQL crash can only lose steps the resumed walk
-- runs again, with the same idempotency keys.
INSERT INTO run_steps (run_id, step_index, path, parent, item_index, ordinal, step_id, type, status, attempts, snoozes, input, output, error, started_at, finished_at, next_attempt_at)
SELECT sqlc.arg(run_id)::text, sqlc.arg(step_index)::int, sqlc.arg(path)::text, sqlc.narg(parent)::text, sqlc.narg(item_index)::int, sqlc.arg(ordinal)::int,
       sqlc.arg(step_id)::text, sqlc.arg(type)::text, sqlc.arg(status)::text, sqlc.arg(attempts)::int, sqlc.arg(snoozes)::int,
       sqlc.narg(input)::jsonb, sqlc.narg(output)::jsonb, sqlc.narg(error)::text, sqlc.arg(started_at)::timestamptz,
       CASE WHEN sqlc.arg(status)::text IN ('succeeded', 'failed', 'skipped') THEN clock_timestamp() END,
       sqlc.narg(next_attempt_at)::timestamptz
FROM (SELECT set_config('synchronous_commit', 'off', true)) async
WHERE EXISTS (SELECT 1 FROM runs r WHERE r.id = sqlc.arg(run_id)::text AND r.status IN ('queued', 'running', 'waiting'))
ON CONFLICT (run_id, step_index, path) DO UPDATE
SET status = EXCLUDED.status, attempts = EXCLUDED.attempts, snoozes = EXCLUDED.snoozes, input = coalesce(EXCLUDED.input, run_steps.input),
    output = EXCLUDED.output, error = EXCLUDED.error, started_at = coalesce(run_steps.started_at, EXCLUDED.started_at),
    finished_at = EXCLUDED.finished_at, next_attempt_at = EXCLUDED.next_attempt_at
WHERE run_steps.status NOT IN ('succeeded', 'failed', 'skipped');

-- name: UpsertRunStep :execrows
-- Writes a step's row unless it is already final: a final row is the
-- step's completion record, and 0 rows tells a second, concurrent
-- execution of the same step that it lost.
INSERT INTO run_steps (run_id, step_index, step_id, type, status, attempts, snoozes, input, output, error, started_at, finished_at, next_attempt_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (run_id, step_index, path) DO UPDATE
SET status = EXCLUDED.status, attempts = EXCLUDED.attempts, snoozes = EXCLUDED.snoozes, input = EXCLUDED.input, output = EXCLUDED.output,
    error = EXCLUDED.error, started_at = coalesce(run_steps.started_at, EXCLUDED.started_at), finished_at = EXCLUDED.finished_at,
    next_attempt_at = EXCLUDED.next_attempt_at
WHERE run_steps.status NOT IN ('succeeded', 'failed', 'skipped');

-- name: StartRun :one
-- Marks a run running and returns it with the status of step step_index
-- (NULL before its first completion); no row when the run is no longer
-- queued, running or waiting. A waiting run (a delay step's wait is over:
-- this is its next step) is running again, without resume_at.
UPDATE runs SET status = 'running', started_at = coalesce(started_at, clock_timestamp()), resume_at = NULL
WHERE id = sqlc.arg(id) AND status IN ('queued', 'running', 'waiting')
RETURNING id, automation_id, version, base_id, trigger_type, trigger_data, depth,
    coalesce((SELECT s.status FROM run_steps s WHERE s.run_id = runs.id AND s.step_index = sqlc.arg(step_index)::int AND s.path = ''), '')::text AS step_status;

-- name: StartRuns :many
-- Inserts matched runs and their first steps' jobs in ONE statement (one
-- round trip, its own implicit transaction, or a part of the caller's).
-- Runs that already exist for (automation, event) are skipped, with no
-- job: a run's first step is enqueued only by the insert that created it.
-- A run inserted queued gets the job of its first step (job_args); one
-- inserted running has its first step executed inline by the caller and
-- gets no job but backstop_at = job_scheduled_at (automation/step_inline.go). A
-- queued run's job is available from job_scheduled_at on (a zero one: now;
-- a scheduled fire inserted ahead of its time: the fire time — River
-- fetches available jobs whose scheduled_at has come, without waiting for
-- its scheduler).
-- Returns each inserted run with its job's id (0: none). Its commit is asynchronous
-- (see FinishStep).
-- event_job_id, when not 0, is the still-scheduled job of an event the
-- writing process matched itself (automation/event_inline.go): the statement
-- deletes it, and inserts nothing unless it did — otherwise River took the
-- job at its backstop and owns the event.
WITH claim AS (
    DELETE FROM river_job WHERE id = sqlc.arg(event_job_id)::bigint AND state::text = 'scheduled' RETURNING id
), r AS (
    SELECT unnest(sqlc.arg(ids)::text[]) AS id, unnest(sqlc.arg(automation_ids)::text[]) AS automation_id,
           unnest(sqlc.arg(versions)::int[]) AS version, unnest(sqlc.arg(base_ids)::text[]) AS base_id,
           unnest(sqlc.arg(trigger_types)::text[]) AS trigger_type, unnest(sqlc.arg(trigger_datas)::text[]) AS trigger_data,
           unnest(sqlc.arg(statuses)::text[]) AS status, unnest(sqlc.arg(errors)::text[]) AS error,
           unnest(sqlc.arg(depths)::int[]) AS depth, unnest(sqlc.arg(origin_run_ids)::text[]) AS origin_run_id,
           unnest(sqlc.arg(is_tests)::bool[]) AS is_test, unnest(sqlc.arg(event_keys)::text[]) AS event_key,
           unnest(sqlc.arg(job_args)::text[]) AS job_args, unnest(sqlc.arg(job_max_attempts)::int[]) AS job_max_attempts,
           unnest(sqlc.arg(job_scheduled_at)::timestamptz[]) AS job_scheduled_at,
           unnest(sqlc.arg(condition_traces)::text[]) AS condition_trace
), ins AS (
    INSERT INTO runs (id, automation_id, version, base_id, trigger_type, trigger_data, status, error, depth, origin_run_id, is_test, event_key, created_at, started_at, finished_at, backstop_at, condition_trace)
    SELECT r.id, r.automation_id, r.version, r.base_id, r.trigger_type, r.trigger_data::jsonb, r.status,
           nullif(r.error, ''), r.depth, nullif(r.origin_run_id, ''), r.is_test, r.event_key,
           r.at, CASE WHEN r.status <> 'queued' THEN r.at END,
           CASE WHEN r.status NOT IN ('queued', 'running') THEN r.at END,
           CASE WHEN r.status = 'running' THEN r.job_scheduled_at END,
           nullif(r.condition_trace, '')::jsonb
    -- One clock reading per run for created_at, started_at and finished_at,
    -- so a run never starts before it was created.
    FROM (SELECT r.*, clock_timestamp() AS at FROM r) r
    WHERE sqlc.arg(event_job_id)::bigint = 0 OR EXISTS (SELECT 1 FROM claim)
    -- In one order (automation, status, shard): the stats rollup rows the triggers
    -- of runs inserted already ended upsert are locked in that order by
    -- every statement, so two cannot deadlock (migrations 00150, 00166).
    ORDER BY r.automation_id, r.status, hashtext(r.id) & 3
    ON CONFLICT (automation_id, event_key) DO NOTHING
    RETURNING id, status
), job AS (
    INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, scheduled_at, metadata, tags)
    SELECT r.job_args::jsonb, 'run_step', r.job_max_attempts::smallint, rowflow_job_priority(r.job_args::jsonb), rowflow_job_queue(r.job_args::jsonb),
           'available', greatest(now(), r.job_scheduled_at), '{}', '{}'
    FROM ins JOIN r ON r.id = ins.id
    WHERE ins.status = 'queued'
    RETURNING id, state, args->>'run_id' AS run_id, queue
)
SELECT ins.id, coalesce(job.id, 0)::bigint AS job_id,
       (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit,
       (SELECT count(pg_notify(current_schema() || '.river_insert', json_build_object('queue', x.queue)::text))
        FROM (SELECT DISTINCT a.queue FROM job a WHERE a.state = 'available') x WHERE sqlc.arg(notify)::bool)::int AS notified
FROM ins LEFT JOIN job ON job.run_id = ins.id;

-- name: FinishStep :one
-- Completes a step River ran in ONE statement: writes the step's final
-- row unless it already is final (UpsertRunStep), and then moves the run
-- on: run_status ('' = leave it) ends the run, next_args enqueues the
-- next step's job (as queries/jobs.sql, available at once — or, when
-- next_scheduled_at is ahead (a delay step), due then: River fetches an
-- available job only once its scheduled_at has come, and the run waits
-- meanwhile, status 'waiting' with resume_at; a zero or past
-- next_scheduled_at is today's behaviour). written is 0
-- when the step was not written: a concurrent execution won.
-- The commit is asynchronous (synchronous_commit off for this transaction
-- only): run state follows from the record write, which commits
-- synchronously, and a PostgreSQL crash can only roll it back to a state
-- the backstop jobs redo, with the same run ids and idempotency keys
-- (automation/doc.go). Inside a caller's transaction it applies to that one.
-- A success also clears the automation's streak of failures.
WITH step AS (
    INSERT INTO run_steps (run_id, step_index, step_id, type, status, attempts, snoozes, input, output, error, started_at, finished_at)
    SELECT sqlc.arg(run_id)::text, sqlc.arg(step_index)::int, sqlc.arg(step_id)::text, sqlc.arg(type)::text, sqlc.arg(status)::text,
           sqlc.arg(attempts)::int, sqlc.arg(snoozes)::int, sqlc.narg(input)::jsonb, sqlc.narg(output)::jsonb,
           sqlc.narg(error)::text, sqlc.arg(started_at)::timestamptz, clock_timestamp()
    ON CONFLICT (run_id, step_index, path) DO UPDATE
    SET status = EXCLUDED.status, attempts = EXCLUDED.attempts, snoozes = EXCLUDED.snoozes, input = EXCLUDED.input, output = EXCLUDED.output,
        error = EXCLUDED.error, started_at = coalesce(run_steps.started_at, EXCLUDED.started_at), finished_at = EXCLUDED.finished_at,
        next_attempt_at = NULL
    WHERE run_steps.status NOT IN ('succeeded', 'failed', 'skipped')
    RETURNING run_id
), run AS (
    -- A cancelled (or otherwise ended) run stays as it is (CancelRun); a
    -- delay's run waits.
    UPDATE runs SET status = CASE WHEN sqlc.arg(run_status)::text <> '' THEN sqlc.arg(run_status)::text ELSE 'waiting' END,
        error = CASE WHEN sqlc.arg(run_status)::text <> '' THEN sqlc.narg(run_error)::text ELSE runs.error END,
        finished_at = CASE WHEN sqlc.arg(run_status)::text <> '' THEN clock_timestamp() ELSE runs.finished_at END,
        resume_at = CASE WHEN sqlc.arg(run_status)::text <> '' THEN NULL ELSE sqlc.arg(next_scheduled_at)::timestamptz END
    WHERE runs.id IN (SELECT step.run_id FROM step)
      AND (sqlc.arg(run_status)::text <> '' OR sqlc.arg(next_scheduled_at)::timestamptz > now())
      AND runs.status IN ('queued', 'running', 'waiting')
    RETURNING runs.id
), next AS (
    -- No next step for a run cancelled meanwhile (its job would find the
    -- run ended anyway: StartRun).
    INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, scheduled_at, metadata, tags)
    SELECT sqlc.arg(next_args)::jsonb, 'run_step', sqlc.arg(next_max_attempts)::smallint,
           rowflow_job_priority(sqlc.arg(next_args)::jsonb), rowflow_job_queue(sqlc.arg(next_args)::jsonb), 'available',
           greatest(now(), sqlc.arg(next_scheduled_at)::timestamptz), '{}', '{}'
    FROM step WHERE sqlc.arg(next_args)::jsonb IS NOT NULL
      AND EXISTS (SELECT 1 FROM runs c WHERE c.id = sqlc.arg(run_id)::text AND c.status IN ('queued', 'running', 'waiting'))
    RETURNING id, queue
), reset AS (
    -- A success ends a streak of failures (auto_disable_after).
    DELETE FROM automation_failures
    WHERE automation_id = (SELECT c.automation_id FROM runs c WHERE c.id = sqlc.arg(run_id)::text)
      AND sqlc.arg(run_status)::text = 'succeeded' AND EXISTS (SELECT 1 FROM step)
)
SELECT (SELECT count(*) FROM step)::int AS written,
       (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit,
       (SELECT count(pg_notify(current_schema() || '.river_insert', json_build_object('queue', x.queue)::text)) FROM (SELECT DISTINCT queue FROM next) x WHERE sqlc.arg(notify)::bool)::int AS notified;

-- name: FinishInlineSteps :one
-- Completes inline first steps (automation/step_inline.go) in ONE statement:
-- element i of every array is one completion (automation/complete.go groups
-- those finishing at the same time; one statement instead of one per run
-- saves each run a round trip, an executor start and a transaction). Per
-- run, the backstop is claimed first — cleared, together with the run's
-- end when run_statuses[i] is set ('' = leave it) — but only while it is
-- still set: otherwise the sweep gave the step to River, which owns it
-- now, and nothing is written for that run (it is not in written). Then
-- the step's final row and the next step's job (next_args '' = none), as
-- in FinishStep (next_scheduled_ats ahead: due then, the run waiting, and
-- a success clearing the streak of failures). '' stands for NULL in
-- inputs, outputs, errors and run_errors. Asynchronous commit, as
-- FinishStep.
WITH p AS (
    SELECT unnest(sqlc.arg(run_ids)::text[]) AS run_id, unnest(sqlc.arg(step_indexes)::int[]) AS step_index,
           unnest(sqlc.arg(step_ids)::text[]) AS step_id, unnest(sqlc.arg(types)::text[]) AS type,
           unnest(sqlc.arg(statuses)::text[]) AS status, unnest(sqlc.arg(attempts)::int[]) AS attempts,
           unnest(sqlc.arg(snoozes)::int[]) AS snoozes, unnest(sqlc.arg(inputs)::text[]) AS input,
           unnest(sqlc.arg(outputs)::text[]) AS output, unnest(sqlc.arg(errors)::text[]) AS error,
           unnest(sqlc.arg(started_ats)::timestamptz[]) AS started_at, unnest(sqlc.arg(run_statuses)::text[]) AS run_status,
           unnest(sqlc.arg(run_errors)::text[]) AS run_error, unnest(sqlc.arg(next_args)::text[]) AS next_args,
           unnest(sqlc.arg(next_max_attempts)::int[]) AS next_max_attempts, unnest(sqlc.arg(next_scheduled_ats)::timestamptz[]) AS next_scheduled_at
), run AS (
    -- A cancelled run stays cancelled (CancelRun).
    UPDATE runs SET backstop_at = NULL,
        status = CASE WHEN runs.status NOT IN ('queued', 'running', 'waiting') THEN runs.status
                      WHEN p.run_status <> '' THEN p.run_status
                      WHEN p.next_scheduled_at > now() THEN 'waiting' ELSE runs.status END,
        error = CASE WHEN p.run_status <> '' AND runs.status IN ('queued', 'running', 'waiting') THEN nullif(p.run_error, '') ELSE runs.error END,
        finished_at = CASE WHEN p.run_status <> '' AND runs.status IN ('queued', 'running', 'waiting') THEN clock_timestamp() ELSE runs.finished_at END,
        resume_at = CASE WHEN p.run_status = '' AND p.next_scheduled_at > now()
                          AND runs.status IN ('queued', 'running', 'waiting') THEN p.next_scheduled_at END
    FROM p
    -- coalesce(…): each run is found by its primary key, never by walking
    -- the partial index of every run in flight (as queries/jobs.sql explains).
    WHERE runs.id = p.run_id AND coalesce(runs.backstop_at, '-infinity') > '-infinity'
    RETURNING runs.id, runs.automation_id
), step AS (
    INSERT INTO run_steps (run_id, step_index, step_id, type, status, attempts, snoozes, input, output, error, started_at, finished_at)
    SELECT p.run_id, p.step_index, p.step_id, p.type, p.status, p.attempts, p.snoozes, nullif(p.input, '')::jsonb,
           nullif(p.output, '')::jsonb, nullif(p.error, ''), p.started_at, clock_timestamp()
    FROM p JOIN run ON run.id = p.run_id
    ON CONFLICT (run_id, step_index, path) DO UPDATE
    SET status = EXCLUDED.status, attempts = EXCLUDED.attempts, snoozes = EXCLUDED.snoozes, input = EXCLUDED.input, output = EXCLUDED.output,
        error = EXCLUDED.error, started_at = coalesce(run_steps.started_at, EXCLUDED.started_at), finished_at = EXCLUDED.finished_at,
        next_attempt_at = NULL
    WHERE run_steps.status NOT IN ('succeeded', 'failed', 'skipped')
    RETURNING run_id
), next AS (
    INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, scheduled_at, metadata, tags)
    SELECT p.next_args::jsonb, 'run_step', p.next_max_attempts::smallint,
           rowflow_job_priority(p.next_args::jsonb), rowflow_job_queue(p.next_args::jsonb), 'available',
           greatest(now(), p.next_scheduled_at), '{}', '{}'
    FROM p JOIN step ON step.run_id = p.run_id
    WHERE p.next_args <> ''
      AND EXISTS (SELECT 1 FROM runs c WHERE c.id = p.run_id AND c.status IN ('queued', 'running', 'waiting'))
    RETURNING id, queue
), reset AS (
    -- A success ends a streak of failures (auto_disable_after).
    DELETE FROM automation_failures
    WHERE automation_id IN (SELECT run.automation_id FROM run JOIN p ON p.run_id = run.id JOIN step ON step.run_id = run.id
                            WHERE p.run_status = 'succeeded')
)
SELECT (SELECT coalesce(array_agg(run_id), '{}') FROM step)::text[] AS written,
       (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit,
       (SELECT count(pg_notify(current_schema() || '.river_insert', json_build_object('queue', x.queue)::text))
        FROM (SELECT DISTINCT queue FROM next) x WHERE sqlc.arg(notify)::bool)::int AS notified;

-- name: HandBackInlineStep :execrows
-- Gives an inline first step to River after its attempt asked for a retry
-- or a snooze (automation/step_inline.go): clears the run's backstop and inserts the
-- step's job as River would have left it after that attempt — only while
-- the backstop is still set (0 rows: the sweep already gave it to River).
WITH run AS (
    UPDATE runs SET backstop_at = NULL
    WHERE id = sqlc.arg(run_id)::text AND coalesce(backstop_at, '-infinity') > '-infinity' -- by primary key, as FinishInlineSteps
    RETURNING id
)
INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, scheduled_at, attempt, attempted_at, errors, metadata, tags)
SELECT sqlc.arg(args)::jsonb, 'run_step', sqlc.arg(max_attempts)::smallint, rowflow_job_priority(sqlc.arg(args)::jsonb), rowflow_job_queue(sqlc.arg(args)::jsonb), sqlc.arg(state)::text::river_job_state,
       sqlc.arg(scheduled_at)::timestamptz, sqlc.arg(attempt)::smallint, sqlc.narg(attempted_at)::timestamptz,
       sqlc.narg(errors)::jsonb[], sqlc.arg(metadata)::jsonb, '{}'
FROM run;

-- name: ClearRunBackstop :exec
-- Drops a run's backstop without handing its step to anyone (the step
-- cannot run: its job would be cancelled).
UPDATE runs SET backstop_at = NULL WHERE id = $1;

-- name: SweepRunBackstops :many
-- Clears the backstop of at most lim runs past it and returns them: the
-- process executing their first step inline died. The caller enqueues
-- those steps in the same transaction (automation/sweep.go).
UPDATE runs SET backstop_at = NULL
WHERE id IN (SELECT r.id FROM runs r WHERE r.backstop_at < now() ORDER BY r.backstop_at LIMIT sqlc.arg(lim) FOR UPDATE SKIP LOCKED)
RETURNING id, automation_id, version;
