package jobs

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/rowflow/rowflow/automation"
)

// RecordEventWorker carries a committed record write to the automation
// runtime: it matches the write's changes against the enabled automations of
// the changed tables and starts their runs.
type RecordEventWorker struct {
	river.WorkerDefaults[automation.RecordEventArgs]
	Runtime *automation.Runtime
}

// Work processes one record event.
func (w *RecordEventWorker) Work(ctx context.Context, job *river.Job[automation.RecordEventArgs]) error {
	return w.Runtime.ProcessRecordEvent(ctx, job)
}
