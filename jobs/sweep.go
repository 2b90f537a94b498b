package jobs

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/rowflow/rowflow/automation"
)

// SweepWorker runs the periodic backstop sweep (Runtime.SweepBackstops):
// first steps of runs whose inline execution died go to River.
type SweepWorker struct {
	river.WorkerDefaults[automation.SweepArgs]
	Runtime *automation.Runtime
}

// Work sweeps once.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[automation.SweepArgs]) error {
	_, err := w.Runtime.SweepBackstops(ctx)
	return err
}
