// Package jobs holds rowflow's River workers: thin glue that decodes a job,
// calls one runtime method and translates the result for River (a permanent
// error → river.JobCancel, rate-limited → river.JobSnooze, transient → the
// error, retried with the job's backoff).
//
// The job args types live in automation (it inserts them inside its write
// transactions, and cannot import this package).
package jobs

import (
	"github.com/riverqueue/river"

	"github.com/rowflow/rowflow/automation"
)

// Register adds every rowflow worker to workers.
func Register(workers *river.Workers, rt *automation.Runtime) {
	river.AddWorker(workers, &RecordEventWorker{Runtime: rt})
	river.AddWorker(workers, &StepWorker{Runtime: rt})
	river.AddWorker(workers, &SweepWorker{Runtime: rt})
}
