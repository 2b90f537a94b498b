package automation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/db"
)

// The enabled automations watching a table are cached per process with
// the table's automations_version (migrations/00004_automations_version.sql,
// bumped by every change to an automation of the table). A record create
// reads that version in its own statement and its event carries it
// (RecordEventArgs.AutomationsVersion): matching reuses the cached list
// only at exactly that version, and reads the list otherwise. So the cache
// never hides an automation saved before the write committed.

// tableAutomations is a table's enabled automations at one version.
type tableAutomations struct {
	version int64
	rows    []db.Automation
	// viewAtMatch: one of them reads a view when it matches
	// (kind.NeedsViewAtMatch), so creates are not matched at write time.
	viewAtMatch bool
}

// automationsFor returns the enabled automations watching table tableID,
// in creation order, with their version. v is the table's
// automations_version as of the write being matched (0: unknown — always
// read). nil: the table is gone.
func (rt *Runtime) automationsFor(ctx context.Context, tableID string, v int64) (*tableAutomations, error) {
	if v > 0 {
		if ta, ok := rt.automations.GetAt(tableID, v); ok {
			return ta, nil
		}
	}
	row, err := rt.q.TableAutomations(ctx, tableID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing automations of %s: %w", tableID, err)
	}
	ta := &tableAutomations{version: row.AutomationsVersion}
	if err := json.Unmarshal(row.Automations, &ta.rows); err != nil {
		return nil, fmt.Errorf("decoding automations of %s: %w", tableID, err)
	}
	for _, a := range ta.rows {
		if t, ok := rt.kinds.Trigger(a.TriggerType); ok {
			if _, needs := t.(kind.NeedsViewAtMatch); needs {
				ta.viewAtMatch = true
			}
		}
	}
	rt.automations.Put(tableID, ta)
	return ta, nil
}
