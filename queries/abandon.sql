-- name: AbandonStep :many
-- Fails a run whose step job River is about to discard: its last attempt
-- ended with an error before the step's outcome was stored (the job
-- timed out, or the completion statement itself failed), so nothing else
-- would ever move the run (automation/abandon.go). Only while the step
-- is not final — a final step's completion already moved the run on, in
-- the same statement — and the run has not ended. The step's row, if
-- any, is marked failed with the error. Returns the run it failed (none:
-- nothing to do).
WITH run AS (
    UPDATE runs SET status = 'failed', error = sqlc.arg(run_error)::text, finished_at = clock_timestamp(), resume_at = NULL, backstop_at = NULL
    WHERE runs.id = sqlc.arg(run_id)::text AND runs.status IN ('queued', 'running', 'waiting')
      AND NOT EXISTS (SELECT 1 FROM run_steps s WHERE s.run_id = sqlc.arg(run_id)::text AND s.step_index = sqlc.arg(step_index)::int
                        AND s.status IN ('succeeded', 'failed', 'skipped'))
    RETURNING runs.id, runs.automation_id
), step AS (
    UPDATE run_steps SET status = 'failed', error = sqlc.arg(step_error)::text, finished_at = clock_timestamp(), next_attempt_at = NULL
    WHERE run_id IN (SELECT id FROM run) AND step_index = sqlc.arg(step_index)::int
    RETURNING run_id
)
SELECT id, automation_id FROM run;
