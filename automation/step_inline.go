package automation

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/rowflow/rowflow/db"
)

// Inline first steps: the worker that matched an event executes each new
// run's first step itself, right after the matching statement commits,
// instead of waiting for River to fetch the step's job. That saves a queue
// hop (latency) and a job's insert, fetch and completion per run (database
// time).
//
// The run is inserted running with backstop_at = now + InlineBackstop
// (StartRuns) — durably, in the statement that starts it — and no job:
//
//   - success or a final failure: the completion statement
//     (FinishInlineSteps, complete.go) clears the backstop while it is still set, and
//     writes nothing when it is not (the sweep gave the step to River,
//     which owns it);
//   - a retryable failure or a Retry-After: the step's job is inserted for
//     River at once (attempt 1 used, or none for a snooze) and the backstop
//     cleared, in one statement (HandBackInlineStep); River's usual retries
//     take over;
//   - a crash: the leader's periodic sweep (sweep.go) enqueues the step
//     of every run past its backstop, like a rescued job.

// runInline executes the first step of a run just started with a backstop
// (startRuns), with what StartRun would have read already in hand.
func (rt *Runtime) runInline(ctx context.Context, st inlineStep) {
	encoded, _ := json.Marshal(st.args)
	row := &rivertype.JobRow{Attempt: 1, MaxAttempts: st.maxAttempts, Kind: st.args.Kind(),
		EncodedArgs: encoded, Metadata: []byte("{}"), State: rivertype.JobStateRunning}
	job := &river.Job[StepArgs]{JobRow: row, Args: st.args}
	run := st.run
	err := rt.executeStep(ctx, job, true, &run)
	if err == nil {
		return
	}
	rt.handBack(context.WithoutCancel(ctx), st, err)
}

// handBack gives an inline step to River after an attempt that asked for a
// retry or a snooze — or, with a nil cause, unattempted and due at once.
func (rt *Runtime) handBack(ctx context.Context, st inlineStep, cause error) {
	now := rt.now()
	args, _ := json.Marshal(st.args)
	p := db.HandBackInlineStepParams{RunID: st.run.ID, Args: args, MaxAttempts: int16(st.maxAttempts), Metadata: []byte("{}")}
	var snooze *rivertype.JobSnoozeError
	var cancel *rivertype.JobCancelError
	switch {
	case cause == nil:
		p.ScheduledAt = now
	case errors.As(cause, &snooze):
		p.ScheduledAt = now.Add(snooze.Duration)
		p.Metadata = []byte(`{"snoozes": 1}`)
	case errors.As(cause, &cancel):
		if err := rt.q.ClearRunBackstop(ctx, st.run.ID); err != nil {
			rt.log.WarnContext(ctx, "clearing an inline step's backstop failed", "run_id", st.run.ID, "error", err)
		}
		return
	default:
		p.ScheduledAt = NextRetry(st.args, 1, now)
		p.Attempt, p.AttemptedAt = 1, &now
		errJSON, _ := json.Marshal(map[string]any{"at": now, "attempt": 1, "error": cause.Error()})
		p.Errors = []json.RawMessage{errJSON}
	}
	p.State = soonState(now, p.ScheduledAt)
	if _, err := rt.q.HandBackInlineStep(ctx, p); err != nil {
		rt.log.WarnContext(ctx, "handing an inline step to River failed; the sweep gives it at its backstop", "run_id", st.run.ID, "error", err)
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
