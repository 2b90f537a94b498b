package automation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/db"
)

// TriggeredRun is a run of a trigger that is not a record change (a
// schedule's fire): the automation version it runs, the event key that
// makes it unique, its trigger data, and when its first step is due.
type TriggeredRun struct {
	AutomationID string
	BaseID       string
	TriggerType  string
	Version      int
	// EventKey: runs are unique per (automation, event key); a run that
	// exists already is left alone and not started again.
	EventKey string
	// Data is what templates see as {{trigger.…}}.
	Data map[string]any
	// NotBefore: the first step's job is due at this time (zero: at once).
	NotBefore time.Time
}

// StartTriggeredRuns inserts runs and their first steps' jobs inside tx
// in ONE statement (StartRuns: ids from rowflow.RunIDFor, unique per
// automation and event key), and returns each run's new id ("" when it
// existed). The first steps run on River's workers (never inline: the
// caller is a tick or a request, not a worker that waits for them).
//
// It is StartTriggered's sibling for a caller that already decided which
// automation versions fire (the schedule's claimed rows): both insert
// through startRuns (run.go).
func (rt *Runtime) StartTriggeredRuns(ctx context.Context, tx pgx.Tx, runs []TriggeredRun) ([]string, error) {
	if len(runs) == 0 {
		return nil, nil
	}
	q := rt.q
	if tx != nil {
		q = q.WithTx(tx)
	}
	starts := make([]runStart, len(runs))
	for i, r := range runs {
		starts[i] = runStart{automation: db.Automation{ID: r.AutomationID, BaseID: r.BaseID, TriggerType: r.TriggerType, Version: int32(r.Version)},
			triggerData: r.Data, eventKey: r.EventKey, notBefore: r.NotBefore}
	}
	created, _, err := rt.startRuns(ctx, q, starts, 0)
	return created, err
}

// staleSkipped ends a run of a kind.CurrentOnly trigger as skipped, before
// its first step, when its automation was disabled or saved as another
// version since the run was inserted (one statement: SkipStaleRun); true
// when it did.
func (rt *Runtime) staleSkipped(ctx context.Context, run db.StartRunRow, index int) (bool, error) {
	if index != 0 {
		return false, nil
	}
	t, ok := rt.kinds.Trigger(run.TriggerType)
	if !ok {
		return false, nil
	}
	if _, ok := t.(kind.CurrentOnly); !ok {
		return false, nil
	}
	_, err := rt.q.SkipStaleRun(ctx, db.SkipStaleRunParams{ID: run.ID,
		Reason: fmt.Sprintf("skipped: the automation was disabled, deleted or changed after version %d since this run was scheduled", run.Version)})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("checking run %s is current: %w", run.ID, err)
	}
	return true, nil
}
