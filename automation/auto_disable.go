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

// AlertMailer sends an alert email (app implements it with the server's
// SMTP server). Send is called once per failed run of an automation with an
// alert_email, after the failure is stored; an error is logged.
type AlertMailer interface {
	SendAlert(ctx context.Context, to, subject, text string) error
}

// alertTimeout bounds sending one alert email.
const alertTimeout = 10 * time.Second

// runFailed counts a run of automationID that ended failed (its step
// failed for good): one more consecutive failure; when the automation sets
// auto_disable_after and the count reaches it, the automation is disabled
// with disabled_reason naming the count and the last error (through the
// trigger kind's Lifecycle, as a disable by the API). The owner is told
// in-app (failure_notice.go) and alert_email by email. The step's outcome
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
	disabled := ""
	if row.AutoDisableAfter != nil && row.Consecutive >= *row.AutoDisableAfter {
		reason := fmt.Sprintf("disabled after %d consecutive failed runs (auto_disable_after); the last, %s: %s", row.Consecutive, runID, runError)
		if err := rt.autoDisable(ctx, automationID, reason); err != nil {
			rt.log.Warn("auto-disabling an automation", "automation_id", automationID, "run_id", runID, "error", err)
		} else {
			disabled = reason
			rt.log.Info("automation disabled after consecutive failures", "automation_id", automationID, "failures", row.Consecutive)
		}
	}
	rt.noticeOwner(ctx, row, automationID, runID, runError, disabled)
	if row.AlertEmail == nil || rt.alerts == nil {
		return
	}
	subject := fmt.Sprintf("rowflow: a run of %q failed", row.Name)
	text := fmt.Sprintf("Automation %q (%s): run %s failed.\n\n%s\n\nConsecutive failed runs: %d.\n", row.Name, automationID, runID, runError, row.Consecutive)
	if disabled != "" {
		subject = fmt.Sprintf("rowflow: %q was disabled after %d failed runs", row.Name, row.Consecutive)
		text += "\nThe automation is now " + disabled + ".\n"
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), alertTimeout)
	defer cancel()
	if err := rt.alerts.SendAlert(actx, *row.AlertEmail, subject, text); err != nil {
		rt.log.Warn("sending a failure alert", "automation_id", automationID, "run_id", runID, "error", err)
	}
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
