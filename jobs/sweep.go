package jobs

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/rowflow/rowflow/automation"
)

// SweepWorker runs the backstop sweep (Runtime.SweepBackstops) for
// run_backstop_sweep jobs that earlier versions scheduled as a River
// periodic job; app now sweeps from a goroutine (app/sweep.go) so River UI
// is not filled with sweep jobs. Kept registered so such jobs still drain.
type SweepWorker struct {
	river.WorkerDefaults[automation.SweepArgs]
	Runtime *automation.Runtime
}

// Work sweeps once.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[automation.SweepArgs]) error {
	_, err := w.Runtime.SweepBackstops(ctx)
	return err
}
