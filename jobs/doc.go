// Package jobs holds rowflow's River workers: thin glue that decodes a job,
// calls one engine method and translates the result for River (a permanent
// error → river.JobCancel, rate-limited → river.JobSnooze, transient → the
// error, retried with the job's backoff).
//
// The job args types live in engine (engine inserts them inside its write
// transactions, and engine cannot import this package).
package jobs

import (
	"github.com/riverqueue/river"

	"github.com/rowflow/rowflow/engine"
)

// Register adds every rowflow worker to workers.
func Register(workers *river.Workers, e *engine.Engine) {
	river.AddWorker(workers, &RecordEventWorker{Engine: e})
	river.AddWorker(workers, &StepWorker{Engine: e})
	river.AddWorker(workers, &SweepWorker{Engine: e})
}
