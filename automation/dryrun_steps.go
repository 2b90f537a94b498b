package automation

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/condition"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/record"
	"github.com/rowflow/rowflow/template"
)

// DryRunTimeout bounds a whole dry run (its transaction is rolled back
// then); inside it, a statement may take 10 s and wait 2 s for a lock.
const DryRunTimeout = 30 * time.Second

// dryRunRunID stands for the run id a dry run does not have
// ({{run.id}}, idempotency keys, message ids).
const dryRunRunID = "run_dry_run"

// dryRunSteps walks def's steps on trigger data s as ExecuteStep would
// execute them, with no effect: every step runs inside ONE transaction
// that is rolled back at the end (each step in a savepoint of it, so a
// failed step leaves the others' writes in place for the steps after
// it). A kind.Previewer is previewed instead of executed; a record
// action executes for real in the transaction, its writes captured as
// changes (the record hook records them instead of enqueueing events:
// Changed); a kind.EffectFree one (a read, a script, a delay) executes as
// it is; any other kind is not executed (not_simulated). A step whose
// output only a real run has (a Previewer without a known output, a step
// not simulated) gives later steps placeholder values for the tokens that
// name it.
func (rt *Runtime) dryRunSteps(ctx context.Context, row db.Automation, def definition, s testData) ([]DryRunStep, []string, error) {
	// A dry run holds a connection, a transaction and the row locks of
	// its record steps on real records: bounded, so no editor can hold
	// them long (a step past the bound fails with the deadline).
	ctx, cancel := context.WithTimeout(ctx, DryRunTimeout)
	defer cancel()
	tx, err := rt.pool.Begin(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("beginning the dry run's transaction: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '2s'; SET LOCAL statement_timeout = '10s'"); err != nil {
		return nil, nil, fmt.Errorf("bounding the dry run's transaction: %w", err)
	}
	w := &dryWalk{rt: rt, tx: tx, rec: &changeRecorder{}, row: row, def: def, s: s, now: rt.now(), placeholder: map[string]bool{}}
	data := map[string]any{
		"trigger": jsonCopy(s.data),
		"steps":   map[string]any{},
		"run":     map[string]any{"id": dryRunRunID, "automation_id": row.ID, "depth": 0},
		"now":     w.now.UTC().Format("2006-01-02T15:04:05Z07:00"),
	}
	w.trigger, _ = data["trigger"].(map[string]any)
	cause := rowflow.Cause{Kind: "automation", ID: row.ID, RunID: dryRunRunID, Depth: 0, UserID: causeUserID(w.trigger)}
	w.ctx = withChangeRecorder(rowflow.WithCause(rowflow.WithPrincipal(record.WithExactNumbers(ctx, false),
		rowflow.Principal{Role: rowflow.RoleOwner, BaseIDs: []string{row.BaseID}}), cause), w.rec)

	out, _ := w.seq(def.Steps, "steps", data)
	var notes []string
	used := map[string]bool{}
	var walk func(steps []DryRunStep)
	walk = func(steps []DryRunStep) {
		for _, ds := range steps {
			for _, p := range ds.Placeholders {
				used[p.FromStep] = true
			}
			walk(ds.Steps)
			for _, it := range ds.Items {
				walk(it.Steps)
			}
		}
	}
	walk(out)
	if len(used) > 0 {
		ids := make([]string, 0, len(used))
		for id := range used {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		notes = append(notes, "the output of "+strings.Join(ids, ", ")+" exists only in a real run (a dry run sends nothing): later steps show placeholders where they use it")
	}
	if w.capped {
		notes = append(notes, fmt.Sprintf("a dry run walks at most %d steps: the rest are not_reached", dryRunMaxSteps))
	}
	return out, notes, nil
}

// dryRunMaxSteps is the most step executions one dry run walks (groups
// multiply them); dryRunMaxItems the most items of a for_each it walks.
const (
	dryRunMaxSteps = 200
	dryRunMaxItems = 20
)

// dryWalk is one dry run's walk of its steps: the transaction, the
// changes recorder, the trigger data, and which steps' outputs only a
// real run has.
type dryWalk struct {
	rt          *Runtime
	ctx         context.Context
	tx          pgx.Tx
	rec         *changeRecorder
	row         db.Automation
	def         definition
	s           testData
	trigger     map[string]any
	now         time.Time
	placeholder map[string]bool // step ids whose output only a real run has
	wrote       bool            // a step made changes
	walked      int
	capped      bool
}

// seq walks steps one after the other in scope data (their outputs go to
// data["steps"] by id), as the runtime runs them: a step that fails with
// on_error stop stops the sequence (failed reports it); the steps after
// it are not_reached. loc is the steps' location ("steps",
// "steps[1].branches[0].steps").
func (w *dryWalk) seq(steps []StepSpec, loc string, data map[string]any) (out []DryRunStep, failed bool) {
	out = make([]DryRunStep, 0, len(steps))
	stopped := ""
	for i, step := range steps {
		ds := DryRunStep{ID: step.ID, Type: step.Type}
		switch {
		case stopped != "":
			ds.Status, ds.Note = DryNotReached, "the run stops at step "+stopped+" before this one"
			out = append(out, ds)
			continue
		case w.walked >= dryRunMaxSteps:
			w.capped = true
			ds.Status, ds.Note = DryNotReached, "beyond what a dry run walks"
			out = append(out, ds)
			continue
		}
		w.walked++
		stepLoc := fmt.Sprintf("%s[%d]", loc, i)
		var output any
		known := false
		if IsGroup(step.Type) {
			output, known = w.group(step, stepLoc, data, &ds)
		} else {
			sc := &kind.StepContext{RunID: dryRunRunID, AutomationID: w.row.ID, BaseID: w.row.BaseID, StepID: step.ID, Attempt: 1,
				RetryDeclared: step.Retry != nil && step.Retry.MaxAttempts > 0, IdempotencyKey: "msg_" + dryRunRunID + "_" + step.ID,
				Trigger: w.trigger, Now: w.now}
			output, known = w.rt.dryRunStep(w.ctx, w.tx, w.rec, step, stepLoc, w.def, w.s, data, w.placeholder, sc, &ds)
		}
		data["steps"].(map[string]any)[step.ID] = map[string]any{"output": jsonCopy(output), "status": stepStatusOf(ds.Status)}
		if (ds.Status == DryPreviewed && !known) || ds.Status == DryNotSimulated {
			w.placeholder[step.ID] = true
			ds.OutputPlaceholder = true
		}
		if ds.Status == DryFailed && step.OnError != "continue" {
			stopped, failed = step.ID, true
		}
		if at, ok := w.rt.kinds.Action(step.Type); ok && ds.Status == DryExecuted && w.wrote {
			if _, free := at.(kind.EffectFree); free {
				// Reads go through the pool, not the dry run's transaction.
				ds.Note += "; its reads see the committed data, not the writes of the steps before it in this dry run"
			}
		}
		w.wrote = w.wrote || len(ds.Changes) > 0
		out = append(out, ds)
	}
	return out, failed
}

// dryRunStep fills ds for one step and returns its output (nil when not
// known) and whether it is known.
func (rt *Runtime) dryRunStep(ctx context.Context, tx pgx.Tx, rec *changeRecorder, step StepSpec, loc string, def definition, s testData,
	data map[string]any, placeholder map[string]bool, sc *kind.StepContext, ds *DryRunStep) (any, bool) {
	fail := func(format string, args ...any) (any, bool) {
		ds.Status, ds.Error = DryFailed, fmt.Sprintf(format, args...)
		return nil, false
	}
	if !stepIf(step, s, sc.Now, ds) {
		return nil, false
	}
	at, ok := rt.kinds.Action(step.Type)
	if !ok {
		ds.Status, ds.Note = DryNotSimulated, fmt.Sprintf("a dry run does not simulate %q steps", step.Type)
		return nil, false
	}
	var rawCfg any
	_ = json.Unmarshal(orEmpty(step.Config), &rawCfg)
	rawCfg, _ = splitVerbatim(at, rawCfg)
	ds.Placeholders = placeholders(rawCfg, loc+".config", placeholder, data)
	// Rendered and decoded exactly as a real run renders it.
	_, cfg, input, err := rt.renderAction(def, step, data)
	secrets := kind.SecretsOf(at)
	ds.Input = input
	if err != nil {
		return fail("%v", err)
	}
	if p, ok := at.(kind.Previewer); ok {
		pv, err := p.Preview(ctx, sc, cfg)
		if err != nil {
			return fail("%v", err)
		}
		ds.Status, ds.Request, ds.Note = DryPreviewed, kind.Redact(jsonCopy(pv.Request), secrets), "not sent (dry run)"
		if pv.Note != "" {
			ds.Note += "; " + pv.Note
		}
		if pv.Output != nil {
			ds.Output = kind.Redact(jsonCopy(pv.Output), secrets)
			return pv.Output, true
		}
		return nil, false
	}
	_, transactional := at.(kind.Transactional)
	if _, free := at.(kind.EffectFree); !transactional && !free {
		ds.Status, ds.Note = DryNotSimulated, fmt.Sprintf("not executed: a dry run cannot simulate %s steps without their effect", step.Type)
		return nil, false
	}
	// Record actions and effect-free kinds execute for real inside a
	// savepoint of the dry run's transaction, which is rolled back.
	sp, err := tx.Begin(ctx)
	if err != nil {
		return fail("savepoint: %v", err)
	}
	rec.begin()
	output, err := at.Execute(record.WithTx(ctx, sp), sc, cfg)
	changes := rec.end()
	if err != nil {
		_ = sp.Rollback(ctx)
		if len(ds.Placeholders) > 0 {
			return fail("%v (with placeholder values for outputs only a real run has; it may succeed then)", err)
		}
		return fail("%v", err)
	}
	if err := sp.Commit(ctx); err != nil {
		return fail("releasing savepoint: %v", err)
	}
	ds.Status, ds.Output = DryExecuted, kind.Redact(jsonCopy(output), secrets)
	if ds.Changes, err = rt.describeChanges(ctx, changes); err != nil {
		return fail("describing changes: %v", err)
	}
	switch {
	case len(ds.Changes) > 0:
		ds.Note = "executed in a transaction that was rolled back: these changes were not kept"
	case isWaiter(at):
		ds.Note = "a real run would wait here until output.resume_at; a dry run goes on at once"
	default:
		ds.Note = "executed (it has no effect outside the rolled-back transaction)"
	}
	return output, true
}

// stepIf evaluates a step's if on the trigger record (as the runtime's
// stepCondition does), tracing it on ds; false: the step does not run
// (ds says skipped, or failed when the if cannot be evaluated).
func stepIf(step StepSpec, s testData, now time.Time, ds *DryRunStep) bool {
	if len(step.If) == 0 || string(step.If) == "null" {
		return true
	}
	if s.table == nil {
		ds.Status, ds.Error = DryFailed, "if: a step condition needs a trigger record"
		return false
	}
	tr, err := condition.TraceJSON(step.If, s.table.Fields, s.cells, now)
	if err != nil {
		ds.Status, ds.Error = DryFailed, fmt.Sprintf("if: %v", err)
		return false
	}
	ds.If = &tr
	if !tr.Passed {
		ds.Status, ds.Note = DrySkipped, "its if is false for the trigger record: "+failing(tr)
		return false
	}
	return true
}

// stepStatusOf is the status {{steps.<id>.status}} shows for a dry-run
// step status.
func stepStatusOf(s string) string {
	switch s {
	case DryExecuted, DryPreviewed:
		return "succeeded"
	case DrySkipped:
		return "skipped"
	}
	return s
}

// isWaiter reports whether an action makes the run wait (kind.Waiter).
func isWaiter(at kind.Action) bool {
	_, ok := at.(kind.Waiter)
	return ok
}

// placeholders finds the tokens of a raw config that name the output of a
// step in placeholder, and puts a placeholder string for each of them in
// data (steps.<id>.output.<path>), so the config renders with them.
func placeholders(rawCfg any, loc string, placeholder map[string]bool, data map[string]any) []Placeholder {
	if len(placeholder) == 0 {
		return nil
	}
	var out []Placeholder
	steps := data["steps"].(map[string]any)
	for _, r := range template.Refs(rawCfg, loc) {
		if len(r.Path) < 2 || r.Path[0] != "steps" || !placeholder[r.Path[1]] {
			continue
		}
		value := "<" + strings.TrimSuffix(strings.TrimPrefix(r.Text, "{{"), "}}") + ": known only in a real run>"
		out = append(out, Placeholder{Token: r.Text, Location: r.Loc, FromStep: r.Path[1], Value: value})
		entry, _ := steps[r.Path[1]].(map[string]any)
		if entry == nil || len(r.Path) < 3 || r.Path[2] != "output" {
			continue // {{steps.x.status}}: the step's status is set
		}
		if len(r.Path) == 3 {
			if _, isMap := entry["output"].(map[string]any); !isMap {
				entry["output"] = value // the whole output
			}
			continue
		}
		cur, _ := entry["output"].(map[string]any)
		if cur == nil {
			cur = map[string]any{}
			entry["output"] = cur
		}
		for _, seg := range r.Path[3 : len(r.Path)-1] {
			next, ok := cur[seg].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[seg] = next
			}
			cur = next
		}
		cur[r.Path[len(r.Path)-1]] = value
	}
	return out
}

// jsonCopy is v as its JSON round trip: what a stored output reads back
// as (numbers float64, structs as maps).
func jsonCopy(v any) any {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}

// changeRecorder collects the record changes a dry run's step makes:
// the runtime's record hook (Changed) hands them here instead of
// enqueueing their event when the write's ctx carries one.
type changeRecorder struct {
	mu      sync.Mutex
	changes []record.Change
}

type changeRecorderKey struct{}

func withChangeRecorder(ctx context.Context, r *changeRecorder) context.Context {
	return context.WithValue(ctx, changeRecorderKey{}, r)
}

// changeRecorderFrom returns the dry run's recorder ctx carries, or nil.
func changeRecorderFrom(ctx context.Context) *changeRecorder {
	r, _ := ctx.Value(changeRecorderKey{}).(*changeRecorder)
	return r
}

func (r *changeRecorder) add(changes []record.Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, changes...)
}

func (r *changeRecorder) begin() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = nil
}

func (r *changeRecorder) end() []record.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.changes
	r.changes = nil
	return out
}

// describeChanges turns captured changes into DryRunChanges (cells by
// field name).
func (rt *Runtime) describeChanges(ctx context.Context, changes []record.Change) ([]DryRunChange, error) {
	var out []DryRunChange
	for _, ch := range changes {
		t, err := rt.records.GetTable(system(ctx), ch.TableID)
		if err != nil {
			return nil, err
		}
		dc := DryRunChange{Kind: ch.Kind, TableID: t.ID, Table: t.Name, RecordID: ch.RecordID}
		if ch.Kind != record.ChangeCreated {
			dc.Before = t.Named(ch.Before)
		}
		if ch.Kind != record.ChangeDeleted {
			dc.After = t.Named(ch.After)
		}
		if ch.Kind == record.ChangeUpdated {
			for _, f := range t.Fields {
				b, _ := json.Marshal(ch.Before[f.ID])
				a, _ := json.Marshal(ch.After[f.ID])
				if string(a) != string(b) {
					dc.Changed = append(dc.Changed, f.Name)
				}
			}
		}
		out = append(out, dc)
	}
	return out, nil
}
