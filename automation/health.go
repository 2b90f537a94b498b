package automation

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow/db"
)

// AutomationHealth is one automation's recent health as the runs
// console's list shows it: exact counts over a window read from the runs
// themselves (AutomationStats reads the hourly rollup, whole hours and
// histogram percentiles), plus its newest failed run.
type AutomationHealth struct {
	AutomationID string
	// Runs counts the real runs (not is_test) created in the window;
	// SuccessRate is succeeded / (succeeded + failed), nil when neither.
	Runs        int64
	SuccessRate *float64
	// DurationP95 is the p95 run duration in seconds (finished runs),
	// nil when none finished.
	DurationP95 *float64
	// Hourly counts the runs per hour of the window, oldest first.
	Hourly []int64
	// LastFailedRunID and LastFailedAt are the newest failed run (any
	// time, test runs included); "" when none failed.
	LastFailedRunID string
	LastFailedAt    *time.Time
}

// BaseHealth answers the health over the hours hours before to of every
// automation of a base (viewer or more; a base the caller may not see is
// not found), keyed by automation id — two statements for the whole
// base, where AutomationStats per automation would be several each.
// Automations without runs in the window have a zero entry.
func (rt *Runtime) BaseHealth(ctx context.Context, baseID string, to time.Time, hours int) (map[string]AutomationHealth, error) {
	if _, err := rt.records.GetBase(ctx, baseID); err != nil {
		return nil, err
	}
	from := to.Add(-time.Duration(hours) * time.Hour)
	var rows []db.BaseAutomationHealthRow
	var fails []db.BaseLastFailuresRow
	// One snapshot, read only, without JIT (as the stats statements: JIT
	// costs more than these queries).
	err := rt.inTx(ctx, func(tx pgx.Tx, q *db.Queries) (err error) {
		if _, err := tx.Exec(ctx, `SET TRANSACTION READ ONLY; SET LOCAL jit = off`); err != nil {
			return err
		}
		if rows, err = q.BaseAutomationHealth(ctx, db.BaseAutomationHealthParams{BaseID: baseID, CreatedFrom: from, CreatedTo: to}); err != nil {
			return err
		}
		fails, err = q.BaseLastFailures(ctx, baseID)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]AutomationHealth{}
	for _, r := range rows {
		h := AutomationHealth{AutomationID: r.AutomationID, Runs: r.Runs, Hourly: make([]int64, hours)}
		if done := r.Succeeded + r.Failed; done > 0 {
			rate := float64(r.Succeeded) / float64(done)
			h.SuccessRate = &rate
		}
		if r.DurationP95 >= 0 {
			p := r.DurationP95
			h.DurationP95 = &p
		}
		for i, idx := range r.HourIndex {
			if int(idx) >= 0 && int(idx) < hours && i < len(r.HourRuns) {
				h.Hourly[idx] = r.HourRuns[i]
			}
		}
		out[r.AutomationID] = h
	}
	for _, f := range fails {
		h, ok := out[f.AutomationID]
		if !ok {
			h = AutomationHealth{AutomationID: f.AutomationID, Hourly: make([]int64, hours)}
		}
		h.LastFailedRunID, h.LastFailedAt = f.RunID, f.FinishedAt
		out[f.AutomationID] = h
	}
	return out, nil
}
