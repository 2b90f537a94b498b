package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/riverqueue/river"

	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/engine/condition"
)

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
func (e *Engine) ProcessRecordEvent(ctx context.Context, job *river.Job[RecordEventArgs]) error {
	return e.processEvent(ctx, job, 0)
}

// processEvent is ProcessRecordEvent; inlineJobID is the still-scheduled
// job of an event its writer matches itself (0 when River runs the job;
// inline_event.go), claimed by the statement that starts the runs.
func (e *Engine) processEvent(ctx context.Context, job *river.Job[RecordEventArgs], inlineJobID int64) error {
	args := job.Args
	sys := WithPrincipal(ctx, Principal{System: true})
	tables := map[string]*Table{}
	autos := map[string][]db.Automation{}
	var starts []runStart
	for i, ch := range args.Changes {
		list, ok := autos[ch.TableID]
		if !ok {
			ta, err := e.automationsFor(ctx, ch.TableID, args.AutomationsVersion)
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
			if t, err = e.tableAt(sys, ch.TableID, ch.SchemaVersion, RoleViewer); err != nil {
				if ErrorCode(err) == CodeNotFound {
					continue // the table was deleted since the write
				}
				return err
			}
			tables[ch.TableID] = t
		}
		var err error
		if starts, err = e.matchChange(sys, starts, list, ch, args.Cause, t, fmt.Sprintf("evt:%d:%d", job.ID, i)); err != nil {
			return err
		}
	}
	e.markInline(starts)
	if len(starts) == 0 {
		if inlineJobID != 0 {
			_, err := e.q.DeleteScheduledJob(ctx, inlineJobID)
			return err
		}
		return nil
	}
	_, steps, err := e.startRuns(ctx, e.q, starts, inlineJobID)
	if err != nil {
		return err
	}
	for _, st := range steps {
		e.runInline(ctx, st)
	}
	return nil
}

// maxInlineRuns is the most runs one event executes inline (inline.go).
const maxInlineRuns = 4

// markInline marks runs for inline execution when there are few: a larger
// fan-out (a batch of 100 records) goes to River's many workers at once
// instead of one goroutine executing them one after another.
func (e *Engine) markInline(starts []runStart) {
	inline := e.inlineBackstop > 0 && len(starts) <= maxInlineRuns
	for i := range starts {
		starts[i].inline = inline
	}
}

// matchChange matches change ch against autos and appends the runs that
// fire, under event key key, to starts.
func (e *Engine) matchChange(ctx context.Context, starts []runStart, autos []db.Automation, ch RecordChange, cause Cause, t *Table, key string) ([]runStart, error) {
	for _, a := range autos {
		s, err := e.matchAutomation(ctx, a, ch, cause, t)
		if err != nil {
			return starts, err
		}
		if s != nil {
			s.eventKey = key
			starts = append(starts, *s)
		}
	}
	return starts, nil
}

// runStart is a run decided by matching, not yet stored.
type runStart struct {
	automation  db.Automation
	triggerData map[string]any
	depth       int
	originRunID string
	eventKey    string
	isTest      bool
	// failure, when set, stores the run as failed at once (loop_detected,
	// a condition that cannot be evaluated).
	failure string
	// inline: the matching worker executes the first step itself.
	inline bool
}

// matchAutomation decides whether change ch fires automation a, and if so
// returns the run to start.
func (e *Engine) matchAutomation(ctx context.Context, a db.Automation, ch RecordChange, cause Cause, t *Table) (*runStart, error) {
	tt, cfg, err := e.decodedTrigger(a)
	if err != nil || tt.Match == nil {
		return nil, err
	}
	m := &matchInput{change: ch, cause: cause, table: t, now: e.now(),
		compile: func(raw json.RawMessage) (*condition.Condition, error) { return e.compileCondition(t, raw) },
		view: func(id string) (json.RawMessage, error) {
			v, err := e.q.GetView(ctx, id)
			if err != nil {
				return nil, err
			}
			return v.Filter, nil
		},
	}
	start := &runStart{automation: a}
	// The trigger data is built only for a run that starts (most
	// automations of a table do not fire for most writes).
	defer func() {
		if start != nil {
			start.triggerData = triggerData(tt.Name, t, ch, cause)
		}
	}()
	if cause.RunID != "" {
		start.depth = cause.Depth + 1
		start.originRunID = cause.RunID
	}
	fired, err := tt.Match(m, cfg)
	if err != nil {
		start.failure = "trigger could not be evaluated: " + err.Error()
		return start, nil
	}
	if !fired {
		start = nil
		return nil, nil
	}
	if len(a.Conditions) > 0 && string(a.Conditions) != "null" {
		cond, err := e.compileAutomationCondition(t, a)
		if err == nil {
			cells := ch.After
			if ch.Kind == ChangeDeleted {
				cells = ch.Before
			}
			var ok bool
			if ok, err = cond.Match(cells, m.now); err == nil && !ok {
				start = nil
				return nil, nil
			}
		}
		if err != nil {
			start.failure = "conditions could not be evaluated: " + err.Error()
			return start, nil
		}
	}
	if start.depth > e.maxDepth {
		start.failure = fmt.Sprintf("loop_detected: this run would be %d automation writes deep (the maximum is %d); origin run %s", start.depth, e.maxDepth, start.originRunID)
	}
	return start, nil
}

// triggerData is what templates see as {{trigger.…}}: the record (cells
// by field name), the previous cells for updates, the change and its cause.
func triggerData(triggerType string, t *Table, ch RecordChange, cause Cause) map[string]any {
	cells := ch.After
	if ch.Kind == ChangeDeleted {
		cells = ch.Before
	}
	data := map[string]any{
		"type":     triggerType,
		"table_id": t.ID,
		"change":   ch.Kind,
		"record":   map[string]any{"id": ch.RecordID, "fields": t.Named(cells)},
		"cause":    cause,
	}
	if ch.Kind == ChangeUpdated {
		data["previous"] = map[string]any{"id": ch.RecordID, "fields": t.Named(ch.Before)}
	}
	return data
}

// decodedTrigger returns an automation's trigger type and decoded config,
// cached per version (a version never changes).
func (e *Engine) decodedTrigger(a db.Automation) (*TriggerType, any, error) {
	key := a.ID + "@" + strconv.Itoa(int(a.Version))
	if d, ok := e.triggers.Load(key); ok {
		dt := d.(decoded)
		return dt.tt, dt.cfg, nil
	}
	var spec TriggerSpec
	if err := json.Unmarshal(a.Trigger, &spec); err != nil {
		return nil, nil, fmt.Errorf("automation %s trigger: %w", a.ID, err)
	}
	tt, ok := triggerTypes[spec.Type]
	if !ok {
		return nil, nil, fmt.Errorf("automation %s: unknown trigger type %q", a.ID, spec.Type)
	}
	cfg := tt.NewConfig()
	if err := decodeStrict(spec.Config, cfg); err != nil {
		return nil, nil, fmt.Errorf("automation %s trigger config: %w", a.ID, err)
	}
	e.triggers.Store(key, decoded{tt: tt, cfg: cfg})
	return tt, cfg, nil
}

type decoded struct {
	tt  *TriggerType
	cfg any
}

// compileAutomationCondition is compileCondition for an automation's
// conditions, cached by automation version and table schema version (both
// immutable) instead of by the condition's text.
func (e *Engine) compileAutomationCondition(t *Table, a db.Automation) (*condition.Condition, error) {
	key := a.ID + "@" + strconv.Itoa(int(a.Version)) + "@" + t.ID + "@" + strconv.FormatInt(t.SchemaVersion, 10)
	if t.SchemaVersion == 0 {
		return e.compileCondition(t, a.Conditions)
	}
	if c, ok := e.conditions.Load(key); ok {
		return c.(*condition.Condition), nil
	}
	c, err := e.compileCondition(t, a.Conditions)
	if err == nil {
		e.conditions.Store(key, c)
	}
	return c, err
}

// compileCondition compiles a condition group for a table, cached by its
// text and the table's field count: fields are only ever added, and a saved
// condition can only name fields that existed when it was saved.
func (e *Engine) compileCondition(t *Table, raw json.RawMessage) (*condition.Condition, error) {
	key := fmt.Sprintf("%s\x00%d\x00%s", t.ID, len(t.Fields), raw)
	if c, ok := e.conditions.Load(key); ok {
		return c.(*condition.Condition), nil
	}
	c, err := condition.CompileJSON(raw, t.Fields)
	if err != nil {
		return nil, err
	}
	e.conditions.Store(key, c)
	return c, nil
}
