package automation

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/notify"
)

// FailureNotifier writes the in-app notification that tells an
// automation's owner a run failed for good (notify.Service implements it;
// its Insert also announces the notification to open streams).
type FailureNotifier interface {
	Insert(ctx context.Context, tx pgx.Tx, m notify.Message) (notify.Notification, error)
}

// noticeOwner tells the owner of a failed run's automation — the user who
// created it (created_by; an automation created by a token of no user has
// none) — in-app, next to the alert email: one notification per final
// failure, linking to the run. A problem is logged: the failure is stored
// already.
func (rt *Runtime) noticeOwner(ctx context.Context, f db.CountRunFailureRow, automationID, runID, runError, disabled string) {
	if f.CreatedBy == nil || rt.notices == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	m := notify.Message{User: *f.CreatedBy, Title: truncate(fmt.Sprintf("A run of %q failed", f.Name), notify.MaxTitle),
		Body: runError, Link: "/api/v1/runs/" + runID, BaseID: f.BaseID, AutomationID: automationID, RunID: runID}
	if disabled != "" {
		m.Title = truncate(fmt.Sprintf("%q was disabled after %d failed runs", f.Name, f.Consecutive), notify.MaxTitle)
		m.Body = runError + "\n\nThe automation is now " + disabled + "."
	}
	m.Body = truncate(m.Body, notify.MaxBody)
	err := rt.inTx(ctx, func(tx pgx.Tx, _ *db.Queries) error {
		_, err := rt.notices.Insert(ctx, tx, m)
		return err
	})
	if err != nil {
		rt.log.Warn("notifying the owner of a failed run", "automation_id", automationID, "run_id", runID, "error", err)
	}
}

// truncate keeps at most n characters of s.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
