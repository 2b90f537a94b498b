package automation

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/pgtx"
)

// Group commit of inline completions. Under load many inline first steps
// finish at the same moment; each completion written alone costs
// PostgreSQL a round trip, an executor start (with the runs triggers'
// WHEN clauses compiled again) and a transaction. So completions queue up
// while others are written (pgtx.Group), and one FinishInlineSteps
// statement writes all of them: its arrays hold one completion per
// element. A completion inside a caller's transaction (a record action)
// is written at once by the same statement with one element. A group
// that fails is written again completion by completion, so one bad
// completion (say, an output PostgreSQL refuses) fails alone.

const (
	// maxCompletionBatch is the most completions one statement writes.
	maxCompletionBatch = 128
	// maxCompletionCommitters is how many statements run at once.
	maxCompletionCommitters = 2
	// completionTimeout bounds one group's statement: it outlives the
	// steps that queued it (pgtx.Group), so it needs a limit of its own.
	completionTimeout = 30 * time.Second
)

// finishInline writes an inline step's completion p with q and reports
// whether it was written (false: the sweep gave the step to River, which
// owns it). With the runtime's own queries it joins the group commit;
// with a transaction's it is written at once, in that transaction.
func (rt *Runtime) finishInline(ctx context.Context, q *db.Queries, p db.FinishStepParams) (bool, error) {
	if q == rt.q {
		return rt.completions.Do(ctx, p)
	}
	written, err := finishInlineSteps(ctx, q, []db.FinishStepParams{p})
	if err != nil {
		return false, err
	}
	return written[0], nil
}

// finishInlineGroup is the group commit's write: one statement, or one
// per completion once that failed.
func (rt *Runtime) finishInlineGroup(ctx context.Context, ps []db.FinishStepParams) []pgtx.Result[bool] {
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	out := make([]pgtx.Result[bool], len(ps))
	written, err := finishInlineSteps(ctx, rt.q, ps)
	if err == nil {
		for i, w := range written {
			out[i].Val = w
		}
		return out
	}
	if len(ps) == 1 {
		out[0].Err = err
		return out
	}
	rt.log.DebugContext(ctx, "completing inline steps together failed; completing them one by one", "steps", len(ps), "error", err)
	for i, p := range ps {
		w, err := finishInlineSteps(ctx, rt.q, []db.FinishStepParams{p})
		if err != nil {
			out[i].Err = err
			continue
		}
		out[i].Val = w[0]
	}
	return out
}

// finishInlineSteps writes completions ps with ONE FinishInlineSteps
// statement, in run id order (concurrent statements lock runs in one
// order), and reports per completion whether it was written.
func finishInlineSteps(ctx context.Context, q *db.Queries, ps []db.FinishStepParams) ([]bool, error) {
	order := make([]int, len(ps))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(ps[a].RunID, ps[b].RunID) })
	var a db.FinishInlineStepsParams
	for _, i := range order {
		p := ps[i]
		a.Notify = a.Notify || p.Notify
		a.RunIds = append(a.RunIds, p.RunID)
		a.StepIndexes = append(a.StepIndexes, p.StepIndex)
		a.StepIds = append(a.StepIds, p.StepID)
		a.Types = append(a.Types, p.Type)
		a.Statuses = append(a.Statuses, p.Status)
		a.Attempts = append(a.Attempts, p.Attempts)
		a.Snoozes = append(a.Snoozes, p.Snoozes)
		a.Inputs = append(a.Inputs, string(p.Input))
		a.Outputs = append(a.Outputs, string(p.Output))
		a.Errors = append(a.Errors, deref(p.Error))
		a.StartedAts = append(a.StartedAts, p.StartedAt)
		a.RunStatuses = append(a.RunStatuses, p.RunStatus)
		a.RunErrors = append(a.RunErrors, deref(p.RunError))
		a.NextArgs = append(a.NextArgs, string(p.NextArgs))
		a.NextMaxAttempts = append(a.NextMaxAttempts, int32(p.NextMaxAttempts))
		a.NextScheduledAts = append(a.NextScheduledAts, p.NextScheduledAt)
	}
	row, err := q.FinishInlineSteps(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("completing %d inline step(s): %w", len(ps), err)
	}
	done := make(map[string]bool, len(row.Written))
	for _, id := range row.Written {
		done[id] = true
	}
	written := make([]bool, len(ps))
	for i, p := range ps {
		written[i] = done[p.RunID]
	}
	return written, nil
}

// deref is *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
