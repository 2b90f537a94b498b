package app

import (
	"context"
	"time"

	"github.com/rowflow/rowflow/automation"
)

// startSweeper runs the backstop sweep (automation.Runtime.SweepBackstops:
// first steps of runs whose inline execution died go to River) in this
// worker process: once at start, then every automation.SweepInterval.
//
// It is a goroutine, not a River periodic job, so River UI lists the work
// (run_step jobs) and not a run_backstop_sweep job every few seconds. Every
// worker process sweeps; the sweep statement takes runs FOR UPDATE SKIP
// LOCKED, so concurrent sweeps share the work instead of repeating it.
// The returned function stops it and waits for a sweep in progress.
func (a *App) startSweeper() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	interval := automation.SweepInterval(a.Config.InlineBackstop)
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if n, err := a.Automations.SweepBackstops(ctx); err != nil && ctx.Err() == nil {
				a.Log.Warn("backstop sweep failed; retrying at the next interval", "error", err)
			} else if n > 0 {
				a.Log.Info("backstop sweep gave first steps to River", "runs", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
