package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rowflow/rowflow/db"
)

// Write-time matching: a record create that takes the fast path (no link
// cells, not inside a caller's transaction) in a process that also runs
// automations is matched against the table's automations by the writer,
// BEFORE it writes — on the very cells it writes — and the records and the
// runs they fire are inserted by ONE statement (CreateRecordsAndRuns) with
// one synchronous commit. The runs are as durable as the records, so no
// event job is needed; inline runs carry a backstop (inline.go).
//
// The statement writes nothing unless the table is still at the schema
// version the cells were validated against and at the automations version
// the writer matched against (automation_cache.go); the writer then reloads
// both and tries again. So the runs are exactly those of the automations
// enabled when the write commits. Tables with a record_enters_view
// automation (whose view filter is read at match time) and processes that
// do not run automations keep the event path (match.go).

// writeTimeAutomations returns the enabled automations of t and their
// version when this process matches t's creates at write time (ok).
func (e *Engine) writeTimeAutomations(ctx context.Context, t *Table) (rows []db.Automation, version int64, ok bool, err error) {
	if !e.inlineEvents {
		return nil, 0, false, nil
	}
	var ta *tableAutomations
	if c, cached := e.automationCache.Load(t.ID); cached {
		ta = c.(*tableAutomations)
	} else if ta, err = e.automationsFor(ctx, t.ID, 0); err != nil || ta == nil {
		return nil, 0, false, err // nil: the table is gone, the insert says so
	}
	for _, a := range ta.rows {
		if a.TriggerType == recordEntersViewTrigger.Name {
			return nil, 0, false, nil
		}
	}
	return ta.rows, ta.version, true, nil
}

// createMatched writes records and the runs they fire in one statement;
// false (nothing written) when the table's schema or automations moved.
func (e *Engine) createMatched(ctx context.Context, t *Table, nc creates, autos []db.Automation, version int64) ([]Record, bool, error) {
	cause := CauseFrom(ctx)
	sys := WithPrincipal(ctx, Principal{System: true})
	var starts []runStart
	for _, ch := range nc.changes {
		var err error
		if starts, err = e.matchChange(sys, starts, autos, ch, cause, t, "new:"+ch.RecordID); err != nil {
			return nil, false, err
		}
	}
	e.markInline(starts)
	b, err := e.prepareRuns(ctx, e.q, starts)
	if err != nil {
		return nil, false, err
	}
	p := db.CreateRecordsAndRunsParams{Notify: b.p.Notify, TableID: t.ID, SchemaVersion: t.SchemaVersion, AutomationsVersion: version,
		Ids: nc.ids, Cells: nc.cells, RunIds: b.p.Ids, AutomationIds: b.p.AutomationIds, Versions: b.p.Versions, BaseIds: b.p.BaseIds,
		TriggerTypes: b.p.TriggerTypes, TriggerDatas: b.p.TriggerDatas, Statuses: b.p.Statuses, Errors: b.p.Errors, Depths: b.p.Depths,
		OriginRunIds: b.p.OriginRunIds, EventKeys: b.p.EventKeys, JobArgs: b.p.JobArgs, JobMaxAttempts: b.p.JobMaxAttempts,
		JobScheduledAt: b.p.JobScheduledAt}
	rows, err := e.q.CreateRecordsAndRuns(ctx, p)
	if err != nil {
		return nil, false, fmt.Errorf("inserting records: %w", err)
	}
	if len(rows) == 0 {
		return nil, false, nil // the caller reloads the table and its automations
	}
	var runs []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(rows[0].Runs, &runs); err != nil {
		return nil, false, fmt.Errorf("decoding started runs: %w", err)
	}
	inserted := make(map[string]bool, len(runs))
	for _, r := range runs {
		inserted[r.ID] = true
	}
	stored := make([]db.Record, len(rows))
	for i, row := range rows {
		stored[i] = db.Record{ID: row.ID, TableID: row.TableID, Cells: row.Cells, Version: row.Version, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}
	}
	out, err := nc.records(stored)
	if err != nil {
		return nil, false, err
	}
	_, steps := b.outcome(starts, inserted)
	e.dispatchSteps(steps)
	return out, true, nil
}
