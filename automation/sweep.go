package automation

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SweepArgs is the River job earlier versions scheduled periodically to
// give River the first steps of runs whose inline execution died
// (step_inline.go): see SweepBackstops. Worker processes now sweep from a
// goroutine (app/sweep.go); the kind stays so such jobs still drain.
type SweepArgs struct{}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "run_backstop_sweep" }

// sweepBatch is the most runs one sweep statement takes.
const sweepBatch = 500

// SweepInterval is how often the leader sweeps for a given backstop: a
// third of it, between 1 and 10 seconds, so a run waits at most about
// backstop + interval after its process died (10 s with inline execution
// off: only runs of an earlier configuration or another process remain).
func SweepInterval(backstop time.Duration) time.Duration {
	if backstop <= 0 {
		return 10 * time.Second
	}
	return min(max(backstop/3, time.Second), 10*time.Second)
}

// SweepBackstops enqueues the first step of every run past its backstop
// (its inline execution did not finish or hand over in time: the process
// died) and clears the backstop, in one transaction per batch; it returns
// how many runs it gave to River. The step's job carries the step's retry
// policy like any other.
func (rt *Runtime) SweepBackstops(ctx context.Context) (int, error) {
	total := 0
	for {
		n := 0
		err := pgx.BeginFunc(ctx, rt.pool, func(tx pgx.Tx) error {
			q := rt.q.WithTx(tx)
			rows, err := q.SweepRunBackstops(ctx, sweepBatch)
			if err != nil {
				return fmt.Errorf("sweeping run backstops: %w", err)
			}
			jobs := make([]jobSpec, 0, len(rows))
			for _, r := range rows {
				// A definition that cannot be read does not stop the
				// sweep: the step's job gets the default retry policy and
				// fails or runs on its own.
				step := StepSpec{}
				if def, err := rt.loadDefinition(ctx, q, r.AutomationID, int(r.Version)); err == nil && len(def.Steps) > 0 {
					step = def.Steps[0]
				} else if err != nil {
					rt.log.WarnContext(ctx, "sweep: reading a run's automation failed", "run_id", r.ID, "error", err)
				}
				jobs = append(jobs, rt.stepJob(r.ID, 0, step, time.Time{}))
			}
			n = len(rows)
			_, err = rt.insertJobs(ctx, q, jobs)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < sweepBatch {
			if total > 0 {
				rt.log.InfoContext(ctx, "gave River the first steps of runs past their backstop", "runs", total)
			}
			return total, nil
		}
	}
}
