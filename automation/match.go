package automation

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/condition"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/record"
)

// matchChange matches change ch against autos and appends the runs that
// fire, under event key key, to starts.
func (rt *Runtime) matchChange(ctx context.Context, starts []runStart, autos []db.Automation, ch record.Change, cause rowflow.Cause, t *record.Table, key string) ([]runStart, error) {
	for _, a := range autos {
		s, err := rt.matchAutomation(ctx, a, ch, cause, t)
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
	// skipped stores the run as skipped at once: its conditions failed and
	// its automation records skipped runs (record_skipped_runs).
	skipped bool
	// conditionTrace is the conditions' per-rule trace at match time
	// (condition.Trace JSON; nil without conditions).
	conditionTrace []byte
	// inline: the matching worker executes the first step itself.
	inline bool
	// notBefore, for a run not executed inline, is when its first step's
	// job is due (zero: at once) — a schedule's fire inserted ahead.
	notBefore time.Time
	// bulk: the run was started by a write of several records; its steps'
	// jobs come after single writes' (fairness.go).
	bulk bool
}

// matchAutomation decides whether change ch fires automation a, and if so
// returns the run to start.
func (rt *Runtime) matchAutomation(ctx context.Context, a db.Automation, ch record.Change, cause rowflow.Cause, t *record.Table) (*runStart, error) {
	dt, err := rt.decodedTrigger(a)
	if err != nil {
		return nil, err
	}
	matcher, ok := dt.trigger.(kind.RecordMatcher)
	if !ok {
		return nil, nil // not a record trigger: record writes never fire it
	}
	m := &kind.RecordEvent{Change: ch, Cause: cause, Table: t, Now: rt.now(),
		Compile: func(raw json.RawMessage) (*condition.Condition, error) { return rt.compileCondition(t, raw) },
		View: func(id string) (json.RawMessage, error) {
			v, err := rt.q.GetView(ctx, id)
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
			start.triggerData = kind.RecordTriggerData(a.TriggerType, t, ch, cause)
		}
	}()
	if cause.RunID != "" {
		start.depth = cause.Depth + 1
		start.originRunID = cause.RunID
	}
	fired, err := matcher.Match(m, dt.cfg)
	if err != nil {
		start.failure = "trigger could not be evaluated: " + err.Error()
		return start, nil
	}
	if !fired {
		start = nil
		return nil, nil
	}
	if len(a.Conditions) > 0 && string(a.Conditions) != "null" {
		cond, err := rt.compileAutomationCondition(t, a)
		if err == nil {
			var ok bool
			if ok, err = cond.Match(m.Cells(), m.Now); err == nil && !ok && !a.RecordSkippedRuns {
				start = nil
				return nil, nil
			}
			if err == nil {
				// Only for a run that is stored: the trace evaluates each
				// rule once more (its leaves compiled once per cached
				// condition).
				start.conditionTrace = traceJSON(cond.Trace(m.Cells(), m.Now))
				if !ok {
					start.skipped = true
					return start, nil
				}
			}
		}
		if err != nil {
			start.failure = "conditions could not be evaluated: " + err.Error()
			return start, nil
		}
	}
	if start.depth > rt.maxDepth {
		start.failure = fmt.Sprintf("loop_detected: this run would be %d automation writes deep (the maximum is %d); origin run %s", start.depth, rt.maxDepth, start.originRunID)
	}
	return start, nil
}

// traceJSON is a condition trace as stored on a run (runs.condition_trace).
func traceJSON(tr condition.Trace) []byte {
	b, _ := json.Marshal(tr)
	return b
}

// decoded is an automation version's trigger kind and decoded config.
type decoded struct {
	trigger kind.Trigger
	cfg     any
}

// decodedTrigger returns an automation's trigger kind and decoded config,
// cached per version (a version never changes).
func (rt *Runtime) decodedTrigger(a db.Automation) (*decoded, error) {
	key := a.ID + "@" + strconv.Itoa(int(a.Version))
	if d, ok := rt.triggers.Get(key); ok {
		return d, nil
	}
	var spec TriggerSpec
	if err := json.Unmarshal(a.Trigger, &spec); err != nil {
		return nil, fmt.Errorf("automation %s trigger: %w", a.ID, err)
	}
	tt, ok := rt.kinds.Trigger(spec.Type)
	if !ok {
		return nil, fmt.Errorf("automation %s: unknown trigger type %q", a.ID, spec.Type)
	}
	cfg := tt.NewConfig()
	if err := kind.DecodeConfig(spec.Config, cfg); err != nil {
		return nil, fmt.Errorf("automation %s trigger config: %w", a.ID, err)
	}
	d := &decoded{trigger: tt, cfg: cfg}
	rt.triggers.Put(key, d)
	return d, nil
}

// compileAutomationCondition is compileCondition for an automation's
// conditions, cached by automation version and table schema version (both
// immutable) instead of by the condition's text.
func (rt *Runtime) compileAutomationCondition(t *record.Table, a db.Automation) (*condition.Condition, error) {
	key := a.ID + "@" + strconv.Itoa(int(a.Version)) + "@" + t.ID + "@" + strconv.FormatInt(t.SchemaVersion, 10)
	if t.SchemaVersion == 0 {
		return rt.compileCondition(t, a.Conditions)
	}
	if c, ok := rt.conditions.Get(key); ok {
		return c, nil
	}
	c, err := rt.compileCondition(t, a.Conditions)
	if err == nil {
		rt.conditions.Put(key, c)
	}
	return c, err
}

// compileCondition compiles a condition group for a table, cached by its
// text and the table's field count: fields are only ever added, and a saved
// condition can only name fields that existed when it was saved.
func (rt *Runtime) compileCondition(t *record.Table, raw json.RawMessage) (*condition.Condition, error) {
	key := fmt.Sprintf("%s\x00%d\x00%s", t.ID, len(t.Fields), raw)
	if c, ok := rt.conditions.Get(key); ok {
		return c, nil
	}
	c, err := condition.CompileJSON(raw, t.Fields)
	if err != nil {
		return nil, err
	}
	rt.conditions.Put(key, c)
	return c, nil
}
