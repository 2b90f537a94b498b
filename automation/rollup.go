package automation

import (
	"math"
	"slices"
	"time"

	"github.com/rowflow/rowflow/db"
)

// The run statistics are read from the rollup (migrations/00150_run_rollup.sql):
// per automation, UTC hour and final status (over one or more rows, migrations 00166 and 00170, summed
// here like any other rows), the ended real runs' count
// and their trigger latency and duration as fixed log-scale histograms
// (arrays of counts per bin), and their failed steps by step id and error class (ErrorClass). Triggers on runs keep it: the statement that ends a run
// adds it, the one that reopens it (a retry) removes it, and deleting runs
// (retention) leaves it alone. Unfinished runs are read from runs itself.

// Histogram bins (rowflow_hist_bin in SQL): bin 0 holds values below
// HistMin seconds, bin i in 1..HistBins-1 holds [HistMin·HistRatio^(i−1),
// HistMin·HistRatio^i), the last one also everything longer.
const (
	HistMin   = 1e-4
	HistRatio = 1.1
	HistBins  = 281
)

// HistMaxError is the largest relative error of a percentile answered
// from the histograms (values of at least HistMin): √HistRatio − 1 ≈ 4.9 %.
var HistMaxError = math.Sqrt(HistRatio) - 1

// HistBin is the bin of seconds, as rowflow_hist_bin computes it.
func HistBin(seconds float64) int {
	if seconds < HistMin {
		return 0
	}
	return min(int(math.Floor(math.Log(seconds/HistMin)/math.Log(HistRatio)))+1, HistBins-1)
}

// histValue is the value a bin answers: its geometric middle (0 for bin 0).
func histValue(bin int) float64 {
	if bin <= 0 {
		return 0
	}
	return HistMin * math.Pow(HistRatio, float64(bin)-0.5)
}

// histogram counts values per bin.
type histogram struct {
	n     [HistBins]int64
	total int64
}

// add counts n values in bin; a negative bin (no value) counts nothing.
func (h *histogram) add(bin int, n int64) {
	if bin < 0 {
		return
	}
	bin = min(bin, HistBins-1)
	h.n[bin] += n
	h.total += n
}

// value is the rank-th smallest value (0-based) as its bin answers it.
func (h *histogram) value(rank int64) float64 {
	var seen int64
	for bin, n := range h.n {
		seen += n
		if n > 0 && rank < seen {
			return histValue(bin)
		}
	}
	return histValue(HistBins - 1)
}

// percentiles are the p50/p95/p99 by percentile_cont's definition (linear
// between the closest ranks) over the bins' values; nil without values.
func (h *histogram) percentiles() Percentiles {
	if h.total <= 0 {
		return Percentiles{}
	}
	q := func(p float64) *float64 {
		pos := p * float64(h.total-1)
		lo, hi := math.Floor(pos), math.Ceil(pos)
		a, b := h.value(int64(lo)), h.value(int64(hi))
		v := a + (b-a)*(pos-lo)
		return &v
	}
	return Percentiles{P50: q(0.5), P95: q(0.95), P99: q(0.99)}
}

// statsAcc sums the rollup rows of one bucket (or the range).
type statsAcc struct {
	byStatus          map[string]int64
	latency, duration histogram
	failures          map[stepClass]int64
}

// stepClass keys the failures of a step id and error class.
type stepClass struct{ step, class string }

func newStatsAcc() *statsAcc {
	return &statsAcc{byStatus: map[string]int64{}, failures: map[stepClass]int64{}}
}

// rollupRow is a row of AutomationRollup / BaseRollup.
type rollupRow = db.AutomationRollupRow

// failureRow is a row of AutomationRollupFailures / BaseRollupFailures.
type failureRow = db.AutomationRollupFailuresRow

// unfinishedRow is a row of AutomationUnfinishedRuns / BaseUnfinishedRuns.
type unfinishedRow = db.AutomationUnfinishedRunsRow

// addArray adds a rollup histogram array: its element i counts the index
// lo + i, index 0 the runs without a value, index b + 1 the bin b.
func (h *histogram) addArray(lo int32, counts []int32) {
	for i, n := range counts {
		if idx := int(lo) + i; idx > 0 && n != 0 {
			h.add(idx-1, int64(n))
		}
	}
}

func (a *statsAcc) addRollup(r rollupRow) {
	a.byStatus[r.Status] += r.N
	a.latency.addArray(r.LatencyLo, r.Latency)
	a.duration.addArray(r.DurationLo, r.Duration)
}

func (a *statsAcc) addFailures(r failureRow) {
	a.failures[stepClass{r.StepID, r.ErrorClass}] += r.N
}

func (a *statsAcc) addUnfinished(r unfinishedRow) {
	a.byStatus[r.Status] += r.N
	if r.LatencyBin >= 0 {
		a.latency.add(int(r.LatencyBin), r.N)
	}
}

// stats is the answer of the sums.
func (a *statsAcc) stats() RunStats {
	s := emptyStats()
	for status, n := range a.byStatus {
		if n == 0 {
			continue
		}
		s.ByStatus[status] += n
		s.Runs += n
	}
	if done := s.ByStatus[RunSucceeded] + s.ByStatus[RunFailed]; done > 0 {
		rate := float64(s.ByStatus[RunSucceeded]) / float64(done)
		s.SuccessRate = &rate
	}
	s.TriggerLatency = a.latency.percentiles()
	s.Duration = a.duration.percentiles()
	bySteps, byClass := map[string]int64{}, map[string]int64{}
	for k, n := range a.failures {
		if n != 0 {
			s.Failures = append(s.Failures, Failures{StepID: k.step, ErrorClass: k.class, Failures: n})
			bySteps[k.step] += n
			byClass[k.class] += n
		}
	}
	for step, n := range bySteps {
		if n != 0 {
			s.FailuresByStep = append(s.FailuresByStep, StepFailures{StepID: step, Failures: n})
		}
	}
	for class, n := range byClass {
		if n != 0 {
			s.FailuresByClass = append(s.FailuresByClass, ClassFailures{ErrorClass: class, Failures: n})
		}
	}
	sortFailures(s.FailuresByStep)
	sortClassFailures(s.FailuresByClass)
	sortStepClassFailures(s.Failures)
	return s
}

// statsFromRollup assembles the answer: a bucket per start with runs (oldest
// first) and the totals over the range.
func statsFromRollup(q StatsQuery, rows []rollupRow, fails []failureRow, unfinished []unfinishedRow) Stats {
	out := Stats{From: q.From, To: q.To, Bucket: q.Bucket, Buckets: []StatsBucket{}}
	total := newStatsAcc()
	var starts []time.Time
	byStart := map[time.Time]*statsAcc{}
	bucket := func(t time.Time) *statsAcc {
		t = t.UTC()
		a, ok := byStart[t]
		if !ok {
			a = newStatsAcc()
			byStart[t] = a
			starts = append(starts, t)
		}
		return a
	}
	for _, r := range rows {
		bucket(r.Bucket).addRollup(r)
		total.addRollup(r)
	}
	for _, f := range fails {
		bucket(f.Bucket).addFailures(f)
		total.addFailures(f)
	}
	for _, r := range unfinished {
		bucket(r.Bucket).addUnfinished(r)
		total.addUnfinished(r)
	}
	slices.SortFunc(starts, time.Time.Compare)
	for _, t := range starts {
		if s := byStart[t].stats(); s.Runs > 0 {
			out.Buckets = append(out.Buckets, StatsBucket{Start: t, RunStats: s})
		}
	}
	out.Total = total.stats()
	return out
}
