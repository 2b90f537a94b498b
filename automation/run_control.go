package automation

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/pgtx"
)

// editableRun returns a run the caller may steer: it must see its base
// (404 otherwise) and be an editor or owner there (403).
func (rt *Runtime) editableRun(ctx context.Context, id string) (db.Run, error) {
	row, err := rt.q.GetRun(ctx, id)
	if err := pgtx.NotFoundIf(err, "run", id); err != nil {
		return db.Run{}, err
	}
	if !rowflow.PrincipalFrom(ctx).SeesBase(row.BaseID) {
		return db.Run{}, rowflow.NotFound("run", id)
	}
	if err := rowflow.CheckBase(ctx, row.BaseID, rowflow.RoleEditor); err != nil {
		return db.Run{}, err
	}
	return row, nil
}

// CancelRun stops a queued or running run before its next step: the run
// is cancelled at once, the job of its next step finds it ended and does
// nothing, and a step executing now (an external call) finishes or times
// out, its row is written, and no later step starts. A run that already
// ended is a conflict (409).
func (rt *Runtime) CancelRun(ctx context.Context, id string) (Run, error) {
	row, err := rt.editableRun(ctx, id)
	if err != nil {
		return Run{}, err
	}
	n, err := rt.q.CancelRun(ctx, db.CancelRunParams{ID: id, Reason: "cancelled through the API"})
	if err != nil {
		return Run{}, err
	}
	if n == 0 {
		return Run{}, rowflow.Errorf(rowflow.CodeConflict, "run %s has ended (%s): only a queued or running run can be cancelled", id, row.Status)
	}
	return rt.GetRun(ctx, id)
}

// RetryRun resumes a failed run from the step that failed it, with the
// version the run pinned: that step's row is reset and its job inserted
// (with the step's retry policy afresh), the run is running again, and the
// steps before it are not executed again — their stored outputs feed the
// templates, their side effects stay done. A run that is not failed, or
// that failed before any step (loop detected, a condition that could not
// be evaluated), is a conflict (409).
func (rt *Runtime) RetryRun(ctx context.Context, id string) (Run, error) {
	row, err := rt.editableRun(ctx, id)
	if err != nil {
		return Run{}, err
	}
	if row.Status != RunFailed {
		return Run{}, rowflow.Errorf(rowflow.CodeConflict, "run %s is %s: only a failed run can be retried", id, row.Status)
	}
	def, err := rt.loadDefinition(ctx, rt.q, row.AutomationID, int(row.Version))
	if err != nil {
		return Run{}, err
	}
	err = rt.inTx(ctx, func(_ pgx.Tx, q *db.Queries) error {
		locked, err := q.GetRunForUpdate(ctx, id)
		if err != nil {
			return pgtx.NotFoundIf(err, "run", id)
		}
		if locked.Status != RunFailed {
			return rowflow.Errorf(rowflow.CodeConflict, "run %s is %s: only a failed run can be retried", id, locked.Status)
		}
		steps, err := q.ListRunSteps(ctx, id)
		if err != nil {
			return err
		}
		// The step that failed the run: the last failed one (an earlier
		// failed step with on_error continue let the run go on).
		failed := -1
		for _, s := range steps {
			if s.Status == "failed" && int(s.StepIndex) > failed {
				failed = int(s.StepIndex)
			}
		}
		if failed < 0 || failed >= len(def.Steps) {
			return rowflow.Errorf(rowflow.CodeConflict, "run %s failed before any step ran: replay it instead", id)
		}
		n, err := q.ReopenFailedRun(ctx, db.ReopenFailedRunParams{ID: id, StepIndex: int32(failed)})
		if err != nil {
			return err
		}
		if n == 0 {
			return rowflow.Errorf(rowflow.CodeConflict, "run %s is no longer failed", id)
		}
		_, err = rt.insertJobs(ctx, q, []jobSpec{rt.stepJob(id, failed, def.Steps[failed], time.Time{})})
		return err
	})
	if err != nil {
		return Run{}, err
	}
	return rt.GetRun(ctx, id)
}

// ReplayRun starts a new run of the run's automation at its CURRENT
// version with the same trigger data (even when the automation is
// disabled, as a test run), linked to the original by replay_of. The new
// run's event key is "replay:" and a fresh id, so every replay is a run
// of its own.
func (rt *Runtime) ReplayRun(ctx context.Context, id string) (Run, error) {
	orig, err := rt.editableRun(ctx, id)
	if err != nil {
		return Run{}, err
	}
	var data map[string]any
	if err := json.Unmarshal(orig.TriggerData, &data); err != nil {
		return Run{}, fmt.Errorf("decoding the trigger data of %s: %w", id, err)
	}
	origin := ""
	if orig.OriginRunID != nil {
		origin = *orig.OriginRunID
	}
	var newID string
	err = rt.inTx(ctx, func(_ pgx.Tx, q *db.Queries) error {
		a, err := q.GetAutomation(ctx, orig.AutomationID)
		if err != nil {
			return pgtx.NotFoundIf(err, "automation", orig.AutomationID)
		}
		start := runStart{automation: a, triggerData: data, depth: int(orig.Depth), originRunID: origin,
			isTest: orig.IsTest, eventKey: "replay:" + rowflow.NewID("")}
		created, _, err := rt.startRuns(ctx, q, []runStart{start}, 0)
		if err != nil {
			return err
		}
		newID = created[0]
		return q.SetRunReplayOf(ctx, db.SetRunReplayOfParams{ID: newID, ReplayOf: id})
	})
	if err != nil {
		return Run{}, err
	}
	return rt.GetRun(ctx, newID)
}
