package automation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/rowflow/rowflow/db"
)

// AbandonStep is called by the step worker when the last attempt of a
// step's job ended with err: River discards the job now. When the step's
// outcome was not stored — the attempt was cut off by the job timeout
// before its completion statement ran, or that statement failed (a
// saturated database) — nothing else would ever move the run, which
// stayed "running" for good. AbandonStep fails the run (and the step's
// row) instead, on a context of its own, unless the step is final or the
// run ended; the failure counts like any other (auto_disable_after,
// alert_email). A cancel (the step failed for good and was stored) or a
// snooze is not an abandonment and is ignored.
func (rt *Runtime) AbandonStep(job *river.Job[StepArgs], err error) {
	var cancel *rivertype.JobCancelError
	var snooze *rivertype.JobSnoozeError
	if err == nil || job.Attempt < job.MaxAttempts || errors.As(err, &cancel) || errors.As(err, &snooze) {
		return
	}
	ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	msg := fmt.Sprintf("step %d abandoned after %d attempt(s): %s", job.Args.Index, job.Attempt, err)
	rows, aerr := rt.q.AbandonStep(ctx, db.AbandonStepParams{RunID: job.Args.RunID, StepIndex: int32(job.Args.Index), RunError: msg, StepError: err.Error()})
	if aerr != nil {
		rt.log.Error("failing the run of an abandoned step failed; it stays running", "run_id", job.Args.RunID, "error", aerr)
		return
	}
	for _, r := range rows {
		rt.log.Warn("run failed: its step's last attempt ended before the outcome was stored", "run_id", r.ID, "step", job.Args.Index, "error", err)
		// A failed run like any other: counted for auto_disable_after, alerted.
		rt.runFailed(ctx, r.AutomationID, r.ID, msg)
	}
}
