package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/rowflow/rowflow/automation"
)

// StepWorker executes one step of an automation run.
type StepWorker struct {
	river.WorkerDefaults[automation.StepArgs]
	Runtime *automation.Runtime
}

// Work executes the step; the runtime completes the job itself in the
// transaction that stores the step's output. When the job's last attempt
// fails without that (River discards the job), the run is failed rather
// than left running (Runtime.AbandonStep).
func (w *StepWorker) Work(ctx context.Context, job *river.Job[automation.StepArgs]) error {
	err := w.Runtime.ExecuteStep(ctx, job)
	w.Runtime.AbandonStep(job, err)
	return err
}

// NextRetry follows the step's own backoff policy instead of River's
// attempt⁴ default.
func (w *StepWorker) NextRetry(job *river.Job[automation.StepArgs]) time.Time {
	return automation.NextRetry(job.Args, job.Attempt, time.Now())
}
