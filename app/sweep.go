package app

import (
	"context"
	"time"

	"github.com/rowflow/rowflow/automation"
	"github.com/rowflow/rowflow/jobs"
)

// The periodic work of a worker process runs in goroutines of its own,
// not as River periodic jobs, so River UI lists the work (run_step jobs)
// and not a housekeeping job every second or few. Every worker process
// runs them; each claims its rows FOR UPDATE SKIP LOCKED, so concurrent
// processes share the work instead of repeating it:
//
//   - the backstop sweep (automation.Runtime.SweepBackstops): first steps
//     of runs whose inline execution died go to River, every
//     automation.SweepInterval;
//   - the schedule tick (schedule.Service.Tick): due schedules fire once
//     each, every ScheduleTick (a fire is unique per automation and fire
//     time, whichever process inserts it);
//   - the retention sweep (automation.Runtime.DeleteExpiredRuns): finished
//     runs past RunRetention (failed ones past RunRetentionFailed) are
//     deleted with their steps, 1000 per statement, every
//     RetentionInterval; so are stored webhook requests past RunRetention
//     (at least the 7 days their delivery ids are remembered) and expired
//     delivery ids (webhook.Service.DeleteExpiredRequests), and expired
//     console sessions (auth.Sessions.DeleteExpired).

// startPeriodic starts the sweep, the schedule tick and the retention
// sweep; the returned function stops them and waits for a round in progress.
func (a *App) startPeriodic() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	start := jobs.StartFires(a.Automations)
	stops := []func(){
		a.every(ctx, automation.SweepInterval(a.Config.InlineBackstop), "backstop sweep", func(ctx context.Context) (int, error) {
			return a.Automations.SweepBackstops(ctx)
		}),
		a.every(ctx, a.Config.ScheduleTick, "schedule tick", func(ctx context.Context) (int, error) {
			return a.Schedules.Tick(ctx, start)
		}),
		a.every(ctx, a.Config.RetentionInterval, "retention sweep", func(ctx context.Context) (int, error) {
			n, err := a.Automations.DeleteExpiredRuns(ctx, a.Config.RunRetention, a.Config.RunRetentionFailed)
			if err != nil {
				return n, err
			}
			m, err := a.Webhooks.DeleteExpiredRequests(ctx, a.Config.RunRetention)
			if err != nil || a.Sessions == nil {
				return n + m, err
			}
			k, err := a.Sessions.DeleteExpired(ctx) // console sessions past their expiry
			return n + m + int(k), err
		}),
	}
	return func() {
		cancel()
		for _, s := range stops {
			s()
		}
	}
}

// every runs fn at once and then every interval until ctx ends; the
// returned function waits for it to end. A failed round is logged and
// tried again at the next interval; a round that did work says how much
// at debug level.
func (a *App) every(ctx context.Context, interval time.Duration, name string, fn func(ctx context.Context) (int, error)) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if n, err := fn(ctx); err != nil && ctx.Err() == nil {
				a.Log.Warn(name+" failed; retrying at the next interval", "error", err)
			} else if n > 0 {
				a.Log.Debug(name, "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { <-done }
}
