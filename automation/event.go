package automation

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/record"
)

// RecordEventArgs is the River job inserted in the same transaction as a
// record write: one job per write call, carrying every record it changed in
// order (a batch of 100 is one event with 100 changes; inverse link updates
// are changes too). Rolled back write → no job; committed → exactly one.
type RecordEventArgs struct {
	BaseID  string          `json:"base_id"`
	Changes []record.Change `json:"changes"`
	Cause   rowflow.Cause   `json:"cause"`
	// AutomationsVersion is the automations_version of the changes' table
	// as of the write, set by record creates (whose changes are all of one
	// table); 0: unknown. Matching trusts a cached list of the table's
	// automations only at this version (table_automations.go).
	AutomationsVersion int64 `json:"automations_version,omitempty"`
	// Bulk marks the event of a write of several records: its job, and
	// the jobs of the runs it starts, have River priority BulkPriority in
	// BulkQueue (fairness.go).
	Bulk bool `json:"bulk,omitempty"`
}

// Kind implements river.JobArgs.
func (RecordEventArgs) Kind() string { return "record_event" }

// eventMaxAttempts is a record event's max attempts: matching is cheap and
// idempotent, so a failing event is retried a few times quickly.
const eventMaxAttempts = 10

// InsertOpts implements river.JobArgsWithInsertOpts (eventMaxAttempts).
// and the priority and queue of a bulk event (fairness.go).
func (a RecordEventArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: eventMaxAttempts, Priority: jobPriority(a.Bulk), Queue: JobQueue(a.Bulk)}
}

// ProcessRecordEvent matches every change of a committed record write, in
// order, against the enabled automations of the changed tables, and starts
// the runs that fire: ONE statement inserts every run and its first step's
// job (StartRuns). Runs are unique per (automation, event key) and a run's first step
// is enqueued only by the insert that created it, so an event processed
// again (a crash after this commit, before River marked the job completed)
// starts nothing twice.
//
// The job is completed by River after Work returns, not with JobCompleteTx
// inside the transaction: the unique key gives the same guarantee, and the
// single-job completion statement was half of the database's time in the
// benchmark (docs/performance.md).
func (rt *Runtime) ProcessRecordEvent(ctx context.Context, job *river.Job[RecordEventArgs]) error {
	return rt.processEvent(ctx, job, 0)
}

// processEvent is ProcessRecordEvent; inlineJobID is the still-scheduled
// job of an event its writer matches itself (0 when River runs the job;
// event_inline.go), claimed by the statement that starts the runs.
func (rt *Runtime) processEvent(ctx context.Context, job *river.Job[RecordEventArgs], inlineJobID int64) error {
	args := job.Args
	release, err := rt.admit(ctx, args.Bulk)
	if err != nil {
		return err
	}
	defer release()
	sys := system(ctx)
	tables := map[string]*record.Table{}
	autos := map[string][]db.Automation{}
	var starts []runStart
	for i, ch := range args.Changes {
		list, ok := autos[ch.TableID]
		if !ok {
			ta, err := rt.automationsFor(ctx, ch.TableID, args.AutomationsVersion)
			if err != nil {
				return err
			}
			if ta != nil {
				list = ta.rows
			}
			autos[ch.TableID] = list
		}
		if len(list) == 0 {
			continue
		}
		t, ok := tables[ch.TableID]
		if !ok {
			var err error
			if t, err = rt.records.TableAt(sys, ch.TableID, ch.SchemaVersion, rowflow.RoleViewer); err != nil {
				if rowflow.ErrorCode(err) == rowflow.CodeNotFound {
					continue // the table was deleted since the write
				}
				return err
			}
			tables[ch.TableID] = t
		}
		var err error
		if starts, err = rt.matchChange(sys, starts, list, ch, args.Cause, t, fmt.Sprintf("evt:%d:%d", job.ID, i)); err != nil {
			return err
		}
	}
	rt.markInline(starts)
	markBulk(starts, args.Bulk || len(args.Changes) > 1)
	if len(starts) == 0 {
		if inlineJobID != 0 {
			_, err := rt.q.DeleteScheduledJob(ctx, inlineJobID)
			return err
		}
		return nil
	}
	_, steps, err := rt.startRuns(ctx, rt.q, starts, inlineJobID)
	if err != nil {
		return err
	}
	for _, st := range steps {
		rt.runInline(ctx, st)
	}
	return nil
}

// maxInlineRuns is the most runs one event executes inline (step_inline.go).
const maxInlineRuns = 4

// markInline marks runs for inline execution when there are few: a larger
// fan-out (a batch of 100 records) goes to River's many workers at once
// instead of one goroutine executing them one after another.
func (rt *Runtime) markInline(starts []runStart) {
	inline := rt.inlineBackstop > 0 && len(starts) <= maxInlineRuns
	for i := range starts {
		starts[i].inline = inline
	}
}
