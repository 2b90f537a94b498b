package automation

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
)

// MaxStatsRange is the longest from..to range a stats request may span.
const MaxStatsRange = 400 * 24 * time.Hour

// DefaultStatsRange is the range before To a stats request without From
// spans.
const DefaultStatsRange = 30 * 24 * time.Hour

// StatsQuery selects the runs statistics count: the real runs (not
// is_test) created in [From, To), in buckets of an hour or a day (UTC).
// The statistics are kept per hour (rollup.go), so the range is widened
// to whole UTC hours: From down to its hour, To up to the next one (the
// answer's from and to say which hours were counted).
type StatsQuery struct {
	// From and To bound created_at (zero To: now; zero From: To −
	// DefaultStatsRange).
	From, To time.Time
	// Bucket is "hour" or "day" ("" → day).
	Bucket string
}

// Percentiles are the p50, p95 and p99 of a duration in seconds; nil
// when no run had one. They come from the rollup's log-scale histograms
// (rollup.go): percentile_cont's interpolation over bin values, each at
// most HistMaxError (4.9 %) from the exact value (below 0.1 ms: 0).
type Percentiles struct {
	P50 *float64 `json:"p50"`
	P95 *float64 `json:"p95"`
	P99 *float64 `json:"p99"`
}

// StepFailures is how many runs failed in one step (by step id).
type StepFailures struct {
	StepID   string `json:"step_id"`
	Failures int64  `json:"failures"`
}

// ClassFailures is how many steps failed with one error class
// (ErrorClasses).
type ClassFailures struct {
	ErrorClass string `json:"error_class"`
	Failures   int64  `json:"failures"`
}

// Failures is how many steps of one step id failed with one error class.
type Failures struct {
	StepID     string `json:"step_id"`
	ErrorClass string `json:"error_class"`
	Failures   int64  `json:"failures"`
}

// RunStats are the statistics of a set of runs (a bucket or the whole
// range).
type RunStats struct {
	// Runs counts every run; ByStatus counts them per status (every status
	// present, 0 included).
	Runs     int64            `json:"runs"`
	ByStatus map[string]int64 `json:"by_status"`
	// SuccessRate is succeeded / (succeeded + failed), null when neither.
	SuccessRate *float64 `json:"success_rate"`
	// TriggerLatency: from the run's creation (the event) to its first
	// step's start; Duration: from creation to the run's end (finished runs).
	TriggerLatency Percentiles `json:"trigger_latency_seconds" doc:"run created → first step started, in seconds; from log-scale histograms: within 4.9 % (below 0.1 ms: 0)"`
	Duration       Percentiles `json:"duration_seconds" doc:"run created → finished, in seconds; from log-scale histograms: within 4.9 % (below 0.1 ms: 0)"`
	// FailuresByStep counts failed steps by step id, most first (the steps
	// of the ended runs as they were when each run ended).
	FailuresByStep []StepFailures `json:"failures_by_step" doc:"failed steps per step id (every error class summed), most first"`
	// FailuresByClass counts failed steps by error class (ErrorClass),
	// most first.
	FailuresByClass []ClassFailures `json:"failures_by_class" doc:"failed steps per error class, most first; classes: loop_detected, abandoned, http_429, http_4xx, http_5xx, timeout, connection, cancelled, script, invalid_data, other"`
	// Failures counts failed steps by step id and error class, most first
	// (then by step id and class): FailuresByStep and FailuresByClass are
	// its sums.
	Failures []Failures `json:"failures" doc:"failed steps per (step id, error class), most first; failures_by_step and failures_by_class are its sums"`
}

// StatsBucket is the statistics of the runs created in [Start, Start +
// one bucket).
type StatsBucket struct {
	Start time.Time `json:"start"`
	RunStats
}

// Stats is the answer of the stats endpoints: the range, its buckets
// (only those with runs, oldest first) and the totals over the range.
type Stats struct {
	From    time.Time     `json:"from"`
	To      time.Time     `json:"to"`
	Bucket  string        `json:"bucket"`
	Total   RunStats      `json:"total"`
	Buckets []StatsBucket `json:"buckets"`
}

// statsParams checks q: 422 naming from, to or bucket.
func statsParams(q StatsQuery) (StatsQuery, error) {
	switch q.Bucket {
	case "":
		q.Bucket = "day"
	case "hour", "day":
	default:
		return q, rowflow.Invalid("bucket", "must be hour or day")
	}
	if q.To.IsZero() {
		q.To = time.Now()
	}
	if q.From.IsZero() {
		q.From = q.To.Add(-DefaultStatsRange)
	}
	if !q.From.Before(q.To) {
		return q, rowflow.Invalid("to", "must be after from")
	}
	if q.To.Sub(q.From) > MaxStatsRange {
		return q, rowflow.Invalid("to", "from..to spans at most 400 days")
	}
	q.From, q.To = q.From.UTC().Truncate(time.Hour), q.To.UTC()
	if t := q.To.Truncate(time.Hour); !t.Equal(q.To) {
		q.To = t.Add(time.Hour)
	}
	return q, nil
}

// AutomationStats answers an automation's run statistics (viewer or
// more; another base's automation is not found), from the rollup.
func (rt *Runtime) AutomationStats(ctx context.Context, automationID string, q StatsQuery) (Stats, error) {
	if _, err := rt.GetAutomation(ctx, automationID); err != nil {
		return Stats{}, err
	}
	q, err := statsParams(q)
	if err != nil {
		return Stats{}, err
	}
	var rows []db.AutomationRollupRow
	var fails []db.AutomationRollupFailuresRow
	var open []db.AutomationUnfinishedRunsRow
	err = rt.statsTx(ctx, func(tq *db.Queries) (err error) {
		if rows, err = tq.AutomationRollup(ctx, db.AutomationRollupParams{Unit: q.Bucket, HourFrom: q.From, HourTo: q.To, AutomationID: automationID}); err != nil {
			return err
		}
		if fails, err = tq.AutomationRollupFailures(ctx, db.AutomationRollupFailuresParams{Unit: q.Bucket, HourFrom: q.From, HourTo: q.To, AutomationID: automationID}); err != nil {
			return err
		}
		open, err = tq.AutomationUnfinishedRuns(ctx, db.AutomationUnfinishedRunsParams{Unit: q.Bucket, CreatedFrom: q.From, CreatedTo: q.To, AutomationID: automationID})
		return err
	})
	if err != nil {
		return Stats{}, err
	}
	return statsFromRollup(q, rows, fails, open), nil
}

// BaseStats answers the run statistics of every automation of a base
// (viewer or more; a base the token may not see is not found), from the
// rollup.
func (rt *Runtime) BaseStats(ctx context.Context, baseID string, q StatsQuery) (Stats, error) {
	if _, err := rt.records.GetBase(ctx, baseID); err != nil {
		return Stats{}, err
	}
	q, err := statsParams(q)
	if err != nil {
		return Stats{}, err
	}
	var rows []db.BaseRollupRow
	var fails []db.BaseRollupFailuresRow
	var open []db.BaseUnfinishedRunsRow
	err = rt.statsTx(ctx, func(tq *db.Queries) (err error) {
		if rows, err = tq.BaseRollup(ctx, db.BaseRollupParams{Unit: q.Bucket, HourFrom: q.From, HourTo: q.To, BaseID: baseID}); err != nil {
			return err
		}
		if fails, err = tq.BaseRollupFailures(ctx, db.BaseRollupFailuresParams{Unit: q.Bucket, HourFrom: q.From, HourTo: q.To, BaseID: baseID}); err != nil {
			return err
		}
		open, err = tq.BaseUnfinishedRuns(ctx, db.BaseUnfinishedRunsParams{Unit: q.Bucket, CreatedFrom: q.From, CreatedTo: q.To, BaseID: baseID})
		return err
	})
	if err != nil {
		return Stats{}, err
	}
	rs := make([]rollupRow, len(rows))
	for i, r := range rows {
		rs[i] = rollupRow(r)
	}
	fs := make([]failureRow, len(fails))
	for i, f := range fails {
		fs[i] = failureRow(f)
	}
	us := make([]unfinishedRow, len(open))
	for i, u := range open {
		us[i] = unfinishedRow(u)
	}
	return statsFromRollup(q, rs, fs, us), nil
}

// statsTx runs the stats statements in one read-only transaction: one
// snapshot for the rollup and the unfinished runs.
func (rt *Runtime) statsTx(ctx context.Context, fn func(q *db.Queries) error) error {
	return rt.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		if _, err := tx.Exec(ctx, `SET TRANSACTION READ ONLY`); err != nil {
			return err
		}
		return fn(q)
	})
}

// emptyStats is the statistics of no runs.
func emptyStats() RunStats {
	return RunStats{ByStatus: map[string]int64{RunQueued: 0, RunRunning: 0, RunWaiting: 0, RunSucceeded: 0,
		RunFailed: 0, RunSkipped: 0, RunCancelled: 0}, FailuresByStep: []StepFailures{}, FailuresByClass: []ClassFailures{}, Failures: []Failures{}}
}

// sortFailures orders failures most first, then by step id.
func sortFailures(fs []StepFailures) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && (fs[j].Failures > fs[j-1].Failures || fs[j].Failures == fs[j-1].Failures && fs[j].StepID < fs[j-1].StepID); j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

// sortClassFailures orders class failures most first, then by class.
func sortClassFailures(fs []ClassFailures) {
	slices.SortFunc(fs, func(a, b ClassFailures) int {
		return cmp.Or(cmp.Compare(b.Failures, a.Failures), cmp.Compare(a.ErrorClass, b.ErrorClass))
	})
}

// sortStepClassFailures orders failures most first, then by step id and
// class.
func sortStepClassFailures(fs []Failures) {
	slices.SortFunc(fs, func(a, b Failures) int {
		return cmp.Or(cmp.Compare(b.Failures, a.Failures), cmp.Compare(a.StepID, b.StepID), cmp.Compare(a.ErrorClass, b.ErrorClass))
	})
}

// RetentionBatch is the most runs one retention statement deletes.
const RetentionBatch = 1000

// DeleteExpiredRuns deletes the finished runs (with their steps) past
// their retention — failed runs finished more than failedRetention ago,
// succeeded, skipped and cancelled ones more than retention ago — in
// statements of at most RetentionBatch runs, until none is due; it
// returns how many it deleted. Queued, running and waiting runs are kept.
func (rt *Runtime) DeleteExpiredRuns(ctx context.Context, retention, failedRetention time.Duration) (int, error) {
	now := time.Now()
	total := 0
	for {
		n, err := rt.q.DeleteExpiredRuns(ctx, db.DeleteExpiredRunsParams{Before: now.Add(-retention), FailedBefore: now.Add(-failedRetention), Lim: RetentionBatch})
		total += int(n)
		if err != nil || n < RetentionBatch || ctx.Err() != nil {
			return total, err
		}
	}
}
