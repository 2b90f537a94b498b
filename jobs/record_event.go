package jobs

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/rowflow/rowflow/engine"
)

// RecordEventWorker carries a committed record write to the automation
// engine: it matches the write's changes against the enabled automations of
// the changed tables and starts their runs.
type RecordEventWorker struct {
	river.WorkerDefaults[engine.RecordEventArgs]
	Engine *engine.Engine
}

// Work processes one record event.
func (w *RecordEventWorker) Work(ctx context.Context, job *river.Job[engine.RecordEventArgs]) error {
	return w.Engine.ProcessRecordEvent(ctx, job)
}
