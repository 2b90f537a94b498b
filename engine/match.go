package engine

import (
	"context"

	"github.com/riverqueue/river"
)

// ProcessRecordEvent matches a record event against automations and starts
// the runs it triggers. (The automation engine fills this in; until then an
// event is only observed.)
func (e *Engine) ProcessRecordEvent(ctx context.Context, job *river.Job[RecordEventArgs]) error {
	e.log.DebugContext(ctx, "record event", "job_id", job.ID, "changes", len(job.Args.Changes))
	return nil
}
