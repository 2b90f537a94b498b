package automation

import (
	"context"
	"time"

	"github.com/rowflow/rowflow/db"
)

// AutomationHealth is one automation's recent health as the runs
// console's list shows it — the stats of the window (as AutomationStats
// answers them: the hourly rollup, histogram percentiles) plus its newest
// failed run.
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

// BaseHealth answers the health over the hours whole UTC hours up to to
// (the last one the hour to is in) of every automation of a base (viewer
// or more; a base the caller may not see is not found), keyed by
// automation id. It reads the stats rollup — rows per automation and
// hour, however many runs there were — and the unfinished runs: three
// statements for the whole base. Automations without runs in the window
// have a zero entry only when they failed once.
func (rt *Runtime) BaseHealth(ctx context.Context, baseID string, to time.Time, hours int) (map[string]AutomationHealth, error) {
	if _, err := rt.records.GetBase(ctx, baseID); err != nil {
		return nil, err
	}
	end := to.UTC().Truncate(time.Hour).Add(time.Hour)
	from := end.Add(-time.Duration(hours) * time.Hour)
	var rows []db.BaseAutomationRollupRow
	var open []db.BaseAutomationUnfinishedRow
	var fails []db.BaseLastFailuresRow
	err := rt.statsTx(ctx, func(q *db.Queries) (err error) {
		if rows, err = q.BaseAutomationRollup(ctx, db.BaseAutomationRollupParams{BaseID: baseID, HourFrom: from, HourTo: end}); err != nil {
			return err
		}
		if open, err = q.BaseAutomationUnfinished(ctx, db.BaseAutomationUnfinishedParams{BaseID: baseID, CreatedFrom: from, CreatedTo: end}); err != nil {
			return err
		}
		fails, err = q.BaseLastFailures(ctx, baseID)
		return err
	})
	if err != nil {
		return nil, err
	}
	type acc struct {
		stats  *statsAcc
		hourly []int64
	}
	accs := map[string]*acc{}
	get := func(id string) *acc {
		a, ok := accs[id]
		if !ok {
			a = &acc{stats: newStatsAcc(), hourly: make([]int64, hours)}
			accs[id] = a
		}
		return a
	}
	hour := func(t time.Time) int { return int(t.UTC().Sub(from) / time.Hour) }
	for _, r := range rows {
		a := get(r.AutomationID)
		a.stats.addRollup(rollupRow{Bucket: r.Bucket, Status: r.Status, N: r.N, LatencyLo: r.LatencyLo, Latency: r.Latency,
			DurationLo: r.DurationLo, Duration: r.Duration})
		if i := hour(r.Bucket); i >= 0 && i < hours {
			a.hourly[i] += r.N
		}
	}
	for _, r := range open {
		a := get(r.AutomationID)
		a.stats.byStatus[r.Status] += r.N
		if i := hour(r.Bucket); i >= 0 && i < hours {
			a.hourly[i] += r.N
		}
	}
	out := map[string]AutomationHealth{}
	for id, a := range accs {
		st := a.stats.stats()
		if st.Runs == 0 {
			continue
		}
		out[id] = AutomationHealth{AutomationID: id, Runs: st.Runs, SuccessRate: st.SuccessRate, DurationP95: st.Duration.P95, Hourly: a.hourly}
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
