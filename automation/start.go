package automation

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/record"
)

// Triggers that are not record writes (an incoming webhook, a button
// click, a schedule's fire) start their runs with StartTriggered, inside
// the transaction of the caller that stores the occurrence (the webhook
// request, the schedule's next fire time): the occurrence and its runs
// commit together or neither does. The runs enter the path of a record
// event at its third step (doc.go): StartRuns' one statement, runs unique
// per (automation, event key), first steps executed inline after commit
// (Dispatch) with the usual backstop.

// Occurrence is one occurrence of a trigger that is not a record write.
type Occurrence struct {
	// Type is the trigger kind's name ("webhook_received").
	Type string
	// BaseID is the base the occurrence belongs to: automations of other
	// bases never fire for it, whatever their config says.
	BaseID string
	// Config selects the automations: those of trigger Type whose trigger
	// config contains it (JSON containment, e.g. {"webhook_id": "whk_…"}).
	Config map[string]any
	// Key is the occurrence's event key ("whr:<request id>"): a run is
	// unique per (automation, Key), so starting an occurrence again starts
	// nothing twice and answers the same run ids.
	Key string
	// Data is what templates see as {{trigger.…}} ("type" is set to Type).
	Data map[string]any
	// Table and Cells, for a trigger on a table (button_clicked), are what
	// the automation's conditions are matched on (cells by field id). For
	// other triggers the conditions name paths of Data ("body.amount").
	Table *record.Table
	Cells map[string]any
	// Failure, when set, stores every run whose conditions hold failed at
	// once with this error (a webhook mapping that failed).
	Failure string
	// Cause is who caused the occurrence; a run's depth follows from it.
	Cause rowflow.Cause
}

// Started is what StartTriggered did.
type Started struct {
	// Runs are the ids of the occurrence's runs, in automation order:
	// created now, or earlier for the same Key.
	Runs []string
	// Matched counts the automations whose trigger config matched,
	// enabled or not; Disabled those of them that are disabled.
	Matched, Disabled int
	inline            []inlineStep
}

// StartTriggered starts, inside tx, the runs of every enabled automation
// of occ's trigger that fires for it (its conditions hold), and keeps tx
// committing synchronously (StartRuns alone would make it asynchronous;
// the caller answers only once the occurrence is durable). Call Dispatch
// with the result after tx committed; a rolled back tx started nothing.
func (rt *Runtime) StartTriggered(ctx context.Context, tx pgx.Tx, occ Occurrence) (Started, error) {
	out, err := rt.StartTriggeredBatch(ctx, tx, []Occurrence{occ})
	if err != nil {
		return Started{}, err
	}
	return out[0], nil
}

// StartTriggeredBatch is StartTriggered for several occurrences in one
// transaction (group commit of incoming webhook requests): one automation
// lookup per distinct (type, config) and ONE StartRuns statement for all
// of them. out[i] is what was started for occs[i]; Dispatch each after tx
// committed.
func (rt *Runtime) StartTriggeredBatch(ctx context.Context, tx pgx.Tx, occs []Occurrence) ([]Started, error) {
	q := rt.q.WithTx(tx)
	out := make([]Started, len(occs))
	found := map[string][]db.Automation{}
	var starts []runStart
	var owner []int // owner[j] is the occurrence of starts[j]
	for i, occ := range occs {
		cfg, err := json.Marshal(occ.Config)
		if err != nil {
			return nil, err
		}
		key := occ.Type + "\x00" + string(cfg)
		rows, ok := found[key]
		if !ok {
			if rows, err = q.TriggeredAutomations(ctx, db.TriggeredAutomationsParams{TriggerType: occ.Type, Config: cfg}); err != nil {
				return nil, fmt.Errorf("reading %s automations: %w", occ.Type, err)
			}
			found[key] = rows
		}
		data := make(map[string]any, len(occ.Data)+1)
		for k, v := range occ.Data {
			data[k] = v
		}
		data["type"] = occ.Type
		for _, a := range rows {
			if a.BaseID != occ.BaseID {
				continue
			}
			out[i].Matched++
			if !a.Enabled {
				out[i].Disabled++
				continue
			}
			s := runStart{automation: a, triggerData: data, eventKey: occ.Key, failure: occ.Failure}
			if occ.Cause.RunID != "" {
				s.depth, s.originRunID = occ.Cause.Depth+1, occ.Cause.RunID
			}
			// Conditions first: an occurrence they filter out starts no run,
			// not even a failed one.
			ok, tr, err := rt.occurrenceConditions(a, occ, data)
			switch {
			case err != nil && s.failure == "":
				s.failure = "conditions could not be evaluated: " + err.Error()
			case err == nil && !ok && !a.RecordSkippedRuns:
				continue
			case err == nil && !ok:
				s.skipped = true
			}
			s.conditionTrace = tr
			if s.failure == "" && s.depth > rt.maxDepth {
				s.failure = fmt.Sprintf("loop_detected: this run would be %d automation writes deep (the maximum is %d); origin run %s", s.depth, rt.maxDepth, s.originRunID)
			}
			starts = append(starts, s)
			owner = append(owner, i)
		}
	}
	if len(starts) == 0 {
		return out, nil
	}
	// Inline or not per occurrence, as for one event (markInline).
	for lo := 0; lo < len(starts); {
		hi := lo + 1
		for hi < len(starts) && owner[hi] == owner[lo] {
			hi++
		}
		rt.markInline(starts[lo:hi])
		lo = hi
	}
	_, inline, err := rt.startRuns(ctx, q, starts, 0)
	if err != nil {
		return nil, err
	}
	// StartRuns makes its transaction commit asynchronously (run state
	// follows from a record write); an occurrence is answered once it is
	// durable, so this one commits synchronously. (Not folded into
	// StartRuns: its SELECT list runs only for rows inserted.)
	if _, err := tx.Exec(ctx, "SELECT set_config('synchronous_commit', 'on', true)"); err != nil {
		return nil, err
	}
	byRun := make(map[string]int, len(starts))
	for j, s := range starts {
		// A run's id follows from (automation, event key): the same ids
		// whether created now or by an earlier start of the occurrence.
		id := rowflow.RunIDFor(s.automation.ID, s.eventKey)
		out[owner[j]].Runs = append(out[owner[j]].Runs, id)
		byRun[id] = owner[j]
	}
	for _, st := range inline {
		if i, ok := byRun[st.run.ID]; ok {
			out[i].inline = append(out[i].inline, st)
		}
	}
	return out, nil
}

// Dispatch executes the inline first steps of runs StartTriggered started,
// once their transaction committed (in the background, like a write's).
func (rt *Runtime) Dispatch(s Started) { rt.dispatchSteps(s.inline) }

// occurrenceConditions matches a's conditions: on the record's cells for
// a trigger on a table, on paths of data otherwise (payload_condition.go).
// The trace (nil without conditions) is computed only for a run that is
// stored: one that passes, or fails with record_skipped_runs.
func (rt *Runtime) occurrenceConditions(a db.Automation, occ Occurrence, data map[string]any) (bool, []byte, error) {
	if len(a.Conditions) == 0 || string(a.Conditions) == "null" {
		return true, nil, nil
	}
	now := rt.now()
	if occ.Table != nil {
		c, err := rt.compileAutomationCondition(occ.Table, a)
		if err != nil {
			return false, nil, err
		}
		ok, err := c.Match(occ.Cells, now)
		if err != nil || (!ok && !a.RecordSkippedRuns) {
			return ok, nil, err
		}
		return ok, traceJSON(c.Trace(occ.Cells, now)), nil
	}
	ok, err := matchPayload(a.Conditions, data, now)
	if err != nil || (!ok && !a.RecordSkippedRuns) {
		return ok, nil, err
	}
	tr, err := tracePayload(a.Conditions, data, now)
	if err != nil {
		return ok, nil, nil
	}
	return ok, traceJSON(tr), nil
}
