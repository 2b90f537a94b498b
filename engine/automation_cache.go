package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

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
}

// automationsFor returns the enabled automations watching table tableID,
// in creation order, with their version. v is the table's
// automations_version as of the write being matched (0: unknown — always
// read). nil: the table is gone.
func (e *Engine) automationsFor(ctx context.Context, tableID string, v int64) (*tableAutomations, error) {
	if v > 0 {
		if c, ok := e.automationCache.Load(tableID); ok && c.(*tableAutomations).version == v {
			return c.(*tableAutomations), nil
		}
	}
	row, err := e.q.TableAutomations(ctx, tableID)
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
	storeNewer(&e.automationCache, tableID, ta, func(ta *tableAutomations) int64 { return ta.version })
	return ta, nil
}
