package jobs

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow/automation"
	"github.com/rowflow/rowflow/schedule"
)

// StartFires is the schedule service's StartFunc on rt: each fire becomes
// a run of its automation version whose first step waits for the fire time.
func StartFires(rt *automation.Runtime) schedule.StartFunc {
	return func(ctx context.Context, tx pgx.Tx, fires []schedule.Fire) error {
		runs := make([]automation.TriggeredRun, len(fires))
		for i, f := range fires {
			runs[i] = automation.TriggeredRun{AutomationID: f.AutomationID, BaseID: f.BaseID, TriggerType: f.TriggerType,
				Version: f.Version, EventKey: f.EventKey(), Data: f.Data(), NotBefore: f.ScheduledFor}
		}
		_, err := rt.StartTriggeredRuns(ctx, tx, runs)
		return err
	}
}
