package automation

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/db"
)

// runFailed counts a run of automationID that ended failed (its step
// failed for good): one more consecutive failure; when the automation sets
// auto_disable_after and the count reaches it, the automation is disabled
// with disabled_reason naming the count and the last error (through the
// trigger kind's Lifecycle, as a disable by the API). The step's outcome
// is stored already: a problem here is logged, not returned.
func (rt *Runtime) runFailed(ctx context.Context, automationID, runID, runError string) {
	row, err := rt.q.CountRunFailure(ctx, automationID)
	if errors.Is(err, pgx.ErrNoRows) {
		return // the automation was deleted meanwhile
	}
	if err != nil {
		rt.log.Warn("counting a failed run", "automation_id", automationID, "run_id", runID, "error", err)
		return
	}
	if row.AutoDisableAfter == nil || row.Consecutive < *row.AutoDisableAfter {
		return
	}
	reason := fmt.Sprintf("disabled after %d consecutive failed runs (auto_disable_after); the last, %s: %s", row.Consecutive, runID, runError)
	if err := rt.autoDisable(ctx, automationID, reason); err != nil {
		rt.log.Warn("auto-disabling an automation", "automation_id", automationID, "run_id", runID, "error", err)
		return
	}
	rt.log.Info("automation disabled after consecutive failures", "automation_id", automationID, "failures", row.Consecutive)
}

// autoDisable disables an enabled automation with reason and starts its
// failure count again.
func (rt *Runtime) autoDisable(ctx context.Context, id, reason string) error {
	cur, err := rt.q.GetAutomation(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return rt.inLifecycleTx(ctx, cur.TriggerType, func(tx pgx.Tx, q *db.Queries) error {
		row, err := q.AutoDisableAutomation(ctx, db.AutoDisableAutomationParams{ID: id, DisabledReason: &reason})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // disabled already
		}
		if err != nil {
			return err
		}
		if err := q.ResetRunFailures(ctx, id); err != nil {
			return err
		}
		return rt.lifecycle(ctx, tx, kind.OpDisabled, automationFromRow(row))
	})
}
