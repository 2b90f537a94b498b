package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/rowflow/rowflow/engine"
)

// StepWorker executes one step of an automation run.
type StepWorker struct {
	river.WorkerDefaults[engine.StepArgs]
	Engine *engine.Engine
}

// Work executes the step; the engine completes the job itself in the
// transaction that stores the step's output.
func (w *StepWorker) Work(ctx context.Context, job *river.Job[engine.StepArgs]) error {
	return w.Engine.ExecuteStep(ctx, job)
}

// NextRetry follows the step's own backoff policy instead of River's
// attempt⁴ default.
func (w *StepWorker) NextRetry(job *river.Job[engine.StepArgs]) time.Time {
	return engine.NextRetry(job.Args, job.Attempt, time.Now())
}
