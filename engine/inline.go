package engine

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Inline first steps: the worker that matched an event executes each new
// run's first step itself, right after the matching transaction commits,
// instead of waiting for River to fetch the step's job. That saves a queue
// hop (latency) and a fetch and completion per run (database time).
//
// The step's job is still inserted in the matching transaction — durably —
// but scheduled at now + InlineBackstop, so it stays out of River's way:
//
//   - success or a final failure: the completion transaction deletes the
//     still-scheduled job. If it is gone (the backstop fired and someone
//     else runs the step), the completion rolls back: the other execution
//     owns the step.
//   - a retryable failure or a Retry-After: the job is handed back to River
//     at once (attempt 1 used, or none for a snooze), and River's usual
//     retries take over.
//   - a crash: the job runs at the backstop, like a rescued one.
//
// These statements touch River's own table directly (River has no API to
// complete or reschedule a job that is not running); sqlc does not know
// River's schema, so they are plain SQL, kept in this one file.

// runInline executes the first step of a run just started with a backstop
// job (startRuns), with what StartRun would have read already in hand.
func (e *Engine) runInline(ctx context.Context, st inlineStep) {
	encoded, _ := json.Marshal(st.args)
	row := &rivertype.JobRow{ID: st.jobID, Attempt: 1, MaxAttempts: st.maxAttempts, Kind: st.args.Kind(),
		EncodedArgs: encoded, Metadata: []byte("{}"), State: rivertype.JobStateRunning}
	job := &river.Job[StepArgs]{JobRow: row, Args: st.args}
	run := st.run
	err := e.executeStep(ctx, job, st.jobID, &run)
	if err == nil {
		return
	}
	e.handBack(context.WithoutCancel(ctx), st.jobID, st.args, err)
}

// handBack gives the step's job to River after an inline attempt that
// asked for a retry or a snooze.
func (e *Engine) handBack(ctx context.Context, jobID int64, args StepArgs, cause error) {
	now := e.now()
	var snooze *rivertype.JobSnoozeError
	var cancel *rivertype.JobCancelError
	var err error
	switch {
	case errors.As(cause, &snooze):
		at := now.Add(snooze.Duration)
		_, err = e.pool.Exec(ctx, `UPDATE river_job SET state = $2::river_job_state, scheduled_at = $3,
			metadata = jsonb_set(metadata, '{snoozes}', to_jsonb(coalesce((metadata->>'snoozes')::int, 0) + 1))
			WHERE id = $1 AND state::text = 'scheduled'`, jobID, soonState(now, at), at)
	case errors.As(cause, &cancel):
		_, err = e.pool.Exec(ctx, `UPDATE river_job SET state = 'cancelled', finalized_at = $2 WHERE id = $1 AND state::text = 'scheduled'`, jobID, now)
	default:
		at := NextRetry(args, 1, now)
		errJSON, _ := json.Marshal(map[string]any{"at": now, "attempt": 1, "error": cause.Error()})
		_, err = e.pool.Exec(ctx, `UPDATE river_job SET state = $2::river_job_state, scheduled_at = $3, attempt = 1,
			attempted_at = $4, errors = array_append(errors, $5::jsonb)
			WHERE id = $1 AND state::text = 'scheduled'`, jobID, soonState(now, at), at, now, errJSON)
	}
	if err != nil {
		e.log.WarnContext(ctx, "handing an inline step back to River failed; it runs at its backstop", "job_id", jobID, "error", err)
	}
}

// soonState is River's rule: a job due within 5 s is available (fetched
// once due); a later one is scheduled (promoted by the leader).
func soonState(now, at time.Time) string {
	if at.Sub(now) <= 5*time.Second {
		return "available"
	}
	return "scheduled"
}
