package jobs

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/rowflow/rowflow/engine"
)

// SweepWorker runs the periodic backstop sweep (engine.SweepBackstops):
// first steps of runs whose inline execution died go to River.
type SweepWorker struct {
	river.WorkerDefaults[engine.SweepArgs]
	Engine *engine.Engine
}

// Work sweeps once.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[engine.SweepArgs]) error {
	_, err := w.Engine.SweepBackstops(ctx)
	return err
}
