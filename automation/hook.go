package automation

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/record"
)

// The runtime is the record service's Hook (record.Hook): every record
// write reaches it in the same statement or transaction as the write.
//
// Write-time matching: a record create that takes the fast path (no link
// cells, not inside a caller's transaction) in a process that also runs
// automations is matched against the table's automations by the writer,
// BEFORE it writes — on the very cells it writes — and the records and the
// runs they fire are inserted by ONE statement (CreateRecordsAndRuns) with
// one synchronous commit. The runs are as durable as the records, so no
// event job is needed; inline runs carry a backstop (step_inline.go).
//
// The statement writes nothing unless the table is still at the schema
// version the cells were validated against and at the automations version
// the writer matched against (table_automations.go); the writer then
// reloads both and tries again. So the runs are exactly those of the
// automations enabled when the write commits. Tables with an automation
// whose trigger reads a view at match time (kind.NeedsViewAtMatch) and
// processes that do not run automations write the records with their
// event job instead (CreateRecordsWithEvent), matched after commit
// (event.go).
//
// Every other write calls Changed inside its transaction: the event job
// goes into that transaction (job_insert.go), due at once for River's
// workers or, where this process matches its own writes, scheduled at the
// backstop and matched right after the commit (event_inline.go).

var _ record.Hook = (*Runtime)(nil)

// Changed implements record.Hook: it enqueues the write's event inside its
// transaction q. For the writer's own transaction in a process that
// matches its writes itself, the job waits at the backstop and after
// matches it once the write committed.
//
// A write of a dry run (its ctx carries a changeRecorder, dryrun_steps.go)
// is recorded there instead: its transaction is rolled back, and no event
// would survive it anyway.
func (rt *Runtime) Changed(ctx context.Context, q *db.Queries, baseID string, changes []record.Change, own bool) (after func(), err error) {
	if r := changeRecorderFrom(ctx); r != nil {
		r.add(changes)
		return nil, nil
	}
	inline := own && rt.inlineEvents
	spec := jobSpec{args: RecordEventArgs{BaseID: baseID, Changes: changes, Cause: rowflow.CauseFrom(ctx), Bulk: len(changes) > 1}, maxAttempts: eventMaxAttempts}
	if inline {
		spec.scheduledAt = rt.eventDue()
	}
	ids, err := rt.insertJobs(ctx, q, []jobSpec{spec})
	if err != nil || !inline {
		return nil, err
	}
	ev := &inlineEvent{jobID: ids[0], args: spec.args.(RecordEventArgs)}
	return func() { rt.dispatchEvent(ev) }, nil
}

// CreateWithRuns implements record.Hook: new records and the runs they
// fire in one statement when this process matches t's creates at write
// time, else the records and their event job in one statement.
func (rt *Runtime) CreateWithRuns(ctx context.Context, t *record.Table, nr *record.NewRecords) ([]record.Record, bool, error) {
	ta, err := rt.writeTimeAutomations(ctx, t)
	if err != nil {
		return nil, false, err
	}
	var out []record.Record
	ok := false
	if ta != nil {
		out, ok, err = rt.createMatched(ctx, t, nr, ta)
	} else {
		out, ok, err = rt.createWithEvent(ctx, t, nr)
	}
	if !ok {
		// The table's schema or automations moved (or a concurrent change
		// aborted the statement): the writer reloads the table, and the
		// automations are read again too.
		rt.automations.Drop(t.ID)
	}
	return out, ok, err
}

// writeTimeAutomations returns the enabled automations of t when this
// process matches t's creates at write time (nil: it does not).
func (rt *Runtime) writeTimeAutomations(ctx context.Context, t *record.Table) (*tableAutomations, error) {
	if !rt.inlineEvents {
		return nil, nil
	}
	ta, cached := rt.automations.Get(t.ID)
	if !cached {
		var err error
		if ta, err = rt.automationsFor(ctx, t.ID, 0); err != nil || ta == nil {
			return nil, err // nil: the table is gone, the insert says so
		}
	}
	if ta.viewAtMatch {
		return nil, nil
	}
	return ta, nil
}

// createWithEvent inserts records and their event job in one statement,
// provided t is still the table's current definition (CreateRecordsWithEvent).
func (rt *Runtime) createWithEvent(ctx context.Context, t *record.Table, nr *record.NewRecords) ([]record.Record, bool, error) {
	p := db.CreateRecordsWithEventParams{TableID: t.ID, SchemaVersion: t.SchemaVersion, EventMaxAttempts: eventMaxAttempts, Ids: nr.IDs, Cells: nr.Cells}
	ev := RecordEventArgs{BaseID: t.BaseID, Changes: nr.Changes, Cause: nr.Cause, Bulk: len(nr.Changes) > 1}
	args, err := json.Marshal(ev)
	if err != nil {
		return nil, false, err
	}
	p.EventArgs = args
	p.EventScheduledAt = rt.eventDue()
	p.Notify = p.EventScheduledAt.IsZero() && rt.notify.due(rt.now())
	rows, err := rt.q.CreateRecordsWithEvent(ctx, p)
	if err != nil {
		return nil, false, fmt.Errorf("inserting records: %w", err)
	}
	if len(rows) == 0 {
		return nil, false, nil
	}
	stored := make([]db.Record, len(rows))
	for i, row := range rows {
		stored[i] = db.Record{ID: row.ID, TableID: row.TableID, Cells: row.Cells, Version: row.Version, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}
	}
	out, err := nr.Records(stored)
	if err != nil {
		return nil, false, err
	}
	if !p.EventScheduledAt.IsZero() {
		ev.AutomationsVersion = rows[0].AutomationsVersion
		rt.dispatchEvent(&inlineEvent{jobID: rows[0].EventJobID, args: ev})
	}
	return out, true, nil
}

// createMatched writes records and the runs they fire in one statement;
// false (nothing written) when the table's schema or automations moved.
func (rt *Runtime) createMatched(ctx context.Context, t *record.Table, nr *record.NewRecords, ta *tableAutomations) ([]record.Record, bool, error) {
	sys := system(ctx)
	var starts []runStart
	for _, ch := range nr.Changes {
		var err error
		if starts, err = rt.matchChange(sys, starts, ta.rows, ch, nr.Cause, t, "new:"+ch.RecordID); err != nil {
			return nil, false, err
		}
	}
	rt.markInline(starts)
	markBulk(starts, len(nr.Changes) > 1)
	b, err := rt.prepareRuns(ctx, rt.q, starts)
	if err != nil {
		return nil, false, err
	}
	p := db.CreateRecordsAndRunsParams{Notify: b.p.Notify, TableID: t.ID, SchemaVersion: t.SchemaVersion, AutomationsVersion: ta.version,
		Ids: nr.IDs, Cells: nr.Cells, RunIds: b.p.Ids, AutomationIds: b.p.AutomationIds, Versions: b.p.Versions, BaseIds: b.p.BaseIds,
		TriggerTypes: b.p.TriggerTypes, TriggerDatas: b.p.TriggerDatas, Statuses: b.p.Statuses, Errors: b.p.Errors, Depths: b.p.Depths,
		OriginRunIds: b.p.OriginRunIds, EventKeys: b.p.EventKeys, JobArgs: b.p.JobArgs, JobMaxAttempts: b.p.JobMaxAttempts,
		JobScheduledAt: b.p.JobScheduledAt, ConditionTraces: b.p.ConditionTraces}
	rows, err := rt.q.CreateRecordsAndRuns(ctx, p)
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
	out, err := nr.Records(stored)
	if err != nil {
		return nil, false, err
	}
	_, steps := b.outcome(starts, inserted)
	rt.dispatchSteps(steps)
	return out, true, nil
}
