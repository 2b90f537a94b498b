package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/rowflow/rowflow/automation"
	"github.com/rowflow/rowflow/schedule"
)

// ScheduleTickArgs is the leader's periodic job that fires due schedules
// (schedule.Service.Tick).
type ScheduleTickArgs struct{}

// Kind implements river.JobArgs.
func (ScheduleTickArgs) Kind() string { return "schedule_tick" }

// ScheduleTick is the periodic job of the scheduled trigger, every
// interval (the leader enqueues it; any worker runs it). River inserts a
// periodic job available (at its intended time), so its scheduler, which
// promotes future jobs only every few seconds, is not in the way — an
// explicit ScheduledAt would make it "scheduled" and wait for it.
func ScheduleTick(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) {
			return ScheduleTickArgs{}, &river.InsertOpts{MaxAttempts: 1}
		},
		&river.PeriodicJobOpts{RunOnStart: true})
}

// ScheduleTickWorker fires every due schedule once: the runs are inserted
// by the runtime inside the tick's transaction.
type ScheduleTickWorker struct {
	river.WorkerDefaults[ScheduleTickArgs]
	Schedules *schedule.Service
	Runtime   *automation.Runtime
}

// Work ticks once.
func (w *ScheduleTickWorker) Work(ctx context.Context, _ *river.Job[ScheduleTickArgs]) error {
	_, err := w.Schedules.Tick(ctx, StartFires(w.Runtime))
	return err
}

// StartFires is the schedule service's StartFunc on rt: each fire becomes
// a run of its automation version whose first step waits for the fire time.
func StartFires(rt *automation.Runtime) schedule.StartFunc {
	return func(ctx context.Context, tx pgx.Tx, fires []schedule.Fire) error {
		runs := make([]automation.TriggeredRun, len(fires))
		for i, f := range fires {
			runs[i] = automation.TriggeredRun{AutomationID: f.AutomationID, BaseID: f.BaseID, TriggerType: f.TriggerType,
				Version: f.Version, EventKey: f.EventKey(), Data: f.Data(), NotBefore: f.ScheduledFor}
		}
		_, err := rt.StartTriggeredRuns(ctx, tx, runs)
		return err
	}
}
