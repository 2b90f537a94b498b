package automation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/record"
	"github.com/rowflow/rowflow/template"
)

// MaxSnoozes is how many times one step may wait for a Retry-After (429 or
// 503) without using an attempt; after that the answer counts as a failure.
const MaxSnoozes = 5

// ExecuteStep runs one step of a run (the run_step job): render the config
// from the trigger and earlier outputs, execute the action, then — in one
// transaction — store the step's final state and enqueue the next step (or
// finish the run). Record actions execute inside that very transaction, so
// their effect and the step's completion commit together. A job that runs
// again after its step's completion committed (a crash before River marked
// it completed) finds the step final and does nothing: the step's row is
// the completion record, which is why JobCompleteTx is not needed (and its
// single-job statement was half the database time; docs/performance.md).
func (rt *Runtime) ExecuteStep(ctx context.Context, job *river.Job[StepArgs]) error {
	return rt.executeStep(ctx, job, false, nil)
}

// executeStep is ExecuteStep; inline marks a first step the matching
// worker executes itself (step_inline.go), and started is the run that worker
// just inserted running (nil: read it).
func (rt *Runtime) executeStep(ctx context.Context, job *river.Job[StepArgs], inline bool, started *db.StartRunRow) error {
	a := job.Args
	release, err := rt.admit(ctx, a.Bulk)
	if err != nil {
		return err
	}
	defer release()
	var run db.StartRunRow
	if started != nil {
		run = *started
	} else {
		// One statement marks the run running and reads it; no row means
		// it ended (or its automation was deleted) meanwhile.
		var err error
		run, err = rt.q.StartRun(ctx, db.StartRunParams{ID: a.RunID, StepIndex: int32(a.Index)})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("starting run %s: %w", a.RunID, err)
		}
	}
	switch run.StepStatus {
	case "succeeded", "failed", "skipped":
		// This step's completion already committed (the job itself is
		// completed by River after Work returns; a crash in between
		// brings the job back here): nothing to redo.
		return nil
	}
	if skipped, err := rt.staleSkipped(ctx, run, a.Index); skipped || err != nil {
		return err
	}
	def, err := rt.loadDefinition(ctx, rt.q, run.AutomationID, int(run.Version))
	if err != nil {
		return err
	}
	if a.Index < 0 || a.Index >= len(def.Steps) {
		return river.JobCancel(fmt.Errorf("run %s has no step %d", run.ID, a.Index))
	}
	step := def.Steps[a.Index]
	st := stepState{run: run, def: def, index: a.Index, step: step, attempt: job.Attempt, started: rt.now(), snoozes: snoozesOf(job.Metadata), inline: inline, bulk: a.Bulk}
	// Earlier steps' outputs feed templates; the first try of the first
	// step has none, so it skips the read.
	var prior []db.RunStep
	if a.Index > 0 || job.Attempt > 1 || st.snoozes > 0 || IsGroup(step.Type) {
		if prior, err = rt.q.ListRunStepOutputs(ctx, run.ID); err != nil {
			return err
		}
		for _, p := range prior {
			if int(p.StepIndex) == a.Index && p.Path == "" && p.StartedAt != nil {
				st.started = *p.StartedAt
			}
		}
	}

	if ok, err := rt.stepCondition(ctx, run, step); err != nil {
		return rt.failStep(ctx, job, st, nil, fmt.Errorf("if: %w", err), false)
	} else if !ok {
		return rt.completeStep(ctx, st, "skipped", nil, nil)
	}

	if IsGroup(step.Type) {
		return rt.executeGroup(ctx, job, st, prior)
	}
	data := templateData(run, prior, rt.now())
	at, cfg, input, err := rt.renderAction(def, step, data)
	st.input = input
	if err != nil {
		return rt.failStep(ctx, job, st, nil, err, false)
	}
	trigger, _ := data["trigger"].(map[string]any)
	sc := &kind.StepContext{RunID: run.ID, AutomationID: run.AutomationID, BaseID: run.BaseID, StepID: step.ID,
		Attempt: job.Attempt, RetryDeclared: step.Retry != nil && step.Retry.MaxAttempts > 0, Depth: int(run.Depth), IdempotencyKey: "msg_" + run.ID + "_" + step.ID,
		Trigger: trigger, Now: rt.now()}
	actx := rt.actionContext(ctx, run, trigger)

	if _, ok := at.(kind.Transactional); ok {
		var out any
		err := rt.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
			var err error
			if out, err = at.Execute(record.WithTx(actx, tx), sc, cfg); err != nil {
				return err
			}
			return rt.finishStep(ctx, q, st, "succeeded", out, nil)
		})
		if errors.Is(err, errStepAlreadyFinal) {
			return nil
		}
		if err != nil {
			return rt.failStep(ctx, job, st, nil, err, isRetryable(err))
		}
		return nil
	}
	out, err := at.Execute(actx, sc, cfg)
	if err != nil {
		var ae *kind.ActionError
		if errors.As(err, &ae) && ae.RetryAfter > 0 && st.snoozes < MaxSnoozes {
			st.snoozes++
			next := rt.now().Add(ae.RetryAfter)
			if _, serr := rt.saveStep(ctx, rt.q, st, "running", ae.Output, &next, fmt.Sprintf("%s (waiting %s as asked by Retry-After)", err, ae.RetryAfter)); serr != nil {
				return serr
			}
			return river.JobSnooze(ae.RetryAfter)
		}
		var output any
		if ae != nil {
			output = ae.Output
		}
		return rt.failStep(ctx, job, st, output, err, isRetryable(err))
	}
	return rt.completeStep(ctx, st, "succeeded", out, nil)
}

// renderAction renders step's config in data (the {{…}} tokens' scope)
// and decodes it for its action kind: the kind, its config, and the
// rendered input as stored (secrets redacted; nil before rendering).
func (rt *Runtime) renderAction(def definition, step StepSpec, data map[string]any) (kind.Action, any, any, error) {
	var rawCfg any
	_ = json.Unmarshal(orEmpty(step.Config), &rawCfg)
	at, ok := rt.kinds.Action(step.Type)
	rawCfg, verbatim := splitVerbatim(at, rawCfg)
	var escape func(path string) func(string) string
	if esc, isEsc := at.(kind.Escaper); isEsc {
		escape = esc.Escape
	}
	rendered, missing, err := template.RenderChecked(rawCfg, data, escape)
	if err == nil {
		rendered = joinVerbatim(rendered, verbatim)
	}
	input := kind.Redact(rendered, kind.SecretsOf(at))
	if err != nil {
		return at, nil, input, fmt.Errorf("rendering config: %w", err)
	}
	if err := rt.requiredTokens(def, missing); err != nil {
		return at, nil, input, err
	}
	if !ok {
		return at, nil, input, fmt.Errorf("unknown step type %q", step.Type)
	}
	cfg := at.NewConfig()
	renderedJSON, _ := json.Marshal(rendered)
	if err := kind.DecodeConfig(renderedJSON, cfg); err != nil {
		return at, nil, input, fmt.Errorf("config after rendering: %s", kind.JSONProblem(err))
	}
	return at, cfg, input, nil
}

// actionContext is the context a step's action executes in: the run's
// base with the owner's rights, the run as the cause of its writes.
// Steps write computed values: numbers are rounded to their field's
// precision, even when the run started inside an API request.
func (rt *Runtime) actionContext(ctx context.Context, run db.StartRunRow, trigger map[string]any) context.Context {
	return rowflow.WithCause(rowflow.WithPrincipal(record.WithExactNumbers(ctx, false), rowflow.Principal{Role: rowflow.RoleOwner, BaseIDs: []string{run.BaseID}}),
		rowflow.Cause{Kind: "automation", ID: run.AutomationID, RunID: run.ID, Depth: int(run.Depth), UserID: causeUserID(trigger)})
}

// causeUserID is the user at the origin of a run (trigger.cause.user_id):
// the step's writes carry it on, so a chain of runs keeps its user.
func causeUserID(trigger map[string]any) string {
	switch c := trigger["cause"].(type) {
	case map[string]any:
		id, _ := c["user_id"].(string)
		return id
	case rowflow.Cause:
		return c.UserID
	}
	return ""
}

// snoozesOf reads how often River snoozed the job (its "snoozes" metadata).
func snoozesOf(metadata []byte) int {
	var m struct {
		Snoozes int `json:"snoozes"`
	}
	_ = json.Unmarshal(metadata, &m)
	return m.Snoozes
}

// stepState is what ExecuteStep knows of the step it runs.
type stepState struct {
	run     db.StartRunRow
	def     definition
	index   int
	step    StepSpec
	attempt int
	snoozes int
	started time.Time
	input   any
	// inline: a first step executed by its matching worker, whose run's
	// backstop the completion claims (step_inline.go).
	inline bool
	// bulk: the run came from a write of several records (fairness.go).
	bulk bool
}

// isRetryable classifies an execution error: ActionError says; a domain
// *Error (invalid, not found, forbidden) is permanent; others are transient.
func isRetryable(err error) bool {
	var ae *kind.ActionError
	if errors.As(err, &ae) {
		return ae.Retryable
	}
	var de *rowflow.Error
	return !errors.As(err, &de)
}

// failStep records a failed attempt. A retryable error with attempts left
// returns the error (River retries with NextRetry); otherwise the step is
// failed for good, the run stops or continues per on_error, and the step's
// River job is cancelled with the cause (river.JobCancel).
func (rt *Runtime) failStep(ctx context.Context, job *river.Job[StepArgs], st stepState, output any, cause error, retryable bool) error {
	if retryable && job.Attempt < job.MaxAttempts {
		next := NextRetry(job.Args, job.Attempt, rt.now())
		msg := fmt.Sprintf("%s (attempt %d of %d; will retry)", cause, job.Attempt, job.MaxAttempts)
		if _, err := rt.saveStep(ctx, rt.q, st, "running", output, &next, msg); err != nil {
			return err
		}
		return fmt.Errorf("step %s attempt %d of %d: %w", st.step.ID, job.Attempt, job.MaxAttempts, cause)
	}
	if err := rt.completeStep(ctx, st, "failed", output, cause); err != nil {
		return err
	}
	if st.inline {
		return nil // no River job to mark
	}
	// The step's failure is stored (and the run moved on) already; the job
	// ends cancelled with the cause, so River UI shows it failed, not as a
	// completed job.
	return river.JobCancel(fmt.Errorf("step %s failed for good after %d attempt(s): %w", st.step.ID, st.attempt, cause))
}

// completeStep finishes the step: one statement (FinishStep), its own
// implicit transaction.
func (rt *Runtime) completeStep(ctx context.Context, st stepState, status string, output any, cause error) error {
	err := rt.finishStep(ctx, rt.q, st, status, output, cause)
	if errors.Is(err, errStepAlreadyFinal) {
		return nil
	}
	if err == nil && status == "failed" && st.step.OnError != "continue" {
		errText := ""
		if cause != nil {
			errText = cause.Error()
		}
		rt.runFailed(ctx, st.run.AutomationID, st.run.ID, fmt.Sprintf("step %s (%s) failed: %s", st.step.ID, st.step.Type, errText))
	}
	return err
}

// errStepAlreadyFinal rolls back a completion that lost to a concurrent
// execution of the same step (a rescued job whose first worker was still
// running, or the backstop of an inline step): the winner moved the run on.
var errStepAlreadyFinal = errors.New("step already completed by another execution")

// finishStep stores the step's final state and moves the run on (next
// step — due at once, or at a kind.Waiter's resume time with the run
// waiting meanwhile — or the run's end, a success clearing the
// automation's streak of failures) in one statement with q (FinishStep, or
// for an inline step FinishInlineSteps, which claims the run's backstop,
// grouped with others finishing at once: complete.go): inside
// the caller's transaction for record actions, on its own otherwise.
func (rt *Runtime) finishStep(ctx context.Context, q *db.Queries, st stepState, status string, output any, cause error) error {
	errText := ""
	if cause != nil {
		errText = cause.Error()
	}
	p := db.FinishStepParams{RunID: st.run.ID, StepIndex: int32(st.index), StepID: st.step.ID,
		Type: st.step.Type, Status: status, Attempts: int32(st.attempt), Snoozes: int32(st.snoozes), StartedAt: st.started}
	p.Input, p.Output, p.Error = stepRowValues(st, output, errText)
	next := st.index + 1
	switch {
	case status == "failed" && st.step.OnError != "continue":
		msg := fmt.Sprintf("step %s (%s) failed: %s", st.step.ID, st.step.Type, errText)
		p.RunStatus, p.RunError = RunFailed, &msg
	case next < len(st.def.Steps):
		j := rt.stepJob(st.run.ID, next, st.def.Steps[next], time.Time{})
		p.NextArgs, _ = json.Marshal(bulkStep(j.args.(StepArgs), st.bulk))
		p.NextMaxAttempts = int16(j.maxAttempts)
		if status == "succeeded" {
			p.NextScheduledAt = rt.resumeAt(st.step, output)
		}
		if !p.NextScheduledAt.After(rt.now()) {
			p.Notify = rt.notify.due(rt.now())
		}
	default:
		p.RunStatus = RunSucceeded
	}
	if st.inline {
		written, err := rt.finishInline(ctx, q, p)
		if err != nil {
			return fmt.Errorf("completing step %s of %s: %w", st.step.ID, st.run.ID, err)
		}
		if !written {
			return errStepAlreadyFinal
		}
		return nil
	}
	row, err := q.FinishStep(ctx, p)
	if err != nil {
		return fmt.Errorf("completing step %s of %s: %w", st.step.ID, st.run.ID, err)
	}
	if row.Written == 0 {
		return errStepAlreadyFinal
	}
	return nil
}

// resumeAt is when the step after a completed step may start: a
// kind.Waiter's (a delay's) resume time, zero for every other kind (at
// once). The next step's job is inserted due then and the run waits.
func (rt *Runtime) resumeAt(step StepSpec, output any) time.Time {
	at, ok := rt.kinds.Action(step.Type)
	if !ok {
		return time.Time{}
	}
	w, ok := at.(kind.Waiter)
	if !ok {
		return time.Time{}
	}
	return w.ResumeAt(output)
}

// stepRowValues is a step row's input, output and error as stored.
func stepRowValues(st stepState, output any, errText string) (in, out json.RawMessage, errp *string) {
	if st.input != nil {
		in, _ = json.Marshal(st.input)
	}
	if output != nil {
		out, _ = json.Marshal(output)
	}
	if errText != "" {
		errp = &errText
	}
	return in, out, errp
}

// saveStep upserts the step's row (status, attempts, input, output, error)
// and returns 0 when the row was already final (see UpsertRunStep).
func (rt *Runtime) saveStep(ctx context.Context, q *db.Queries, st stepState, status string, output any, nextAttempt *time.Time, errText string) (int64, error) {
	in, out, errp := stepRowValues(st, output, errText)
	return q.UpsertRunStep(ctx, db.UpsertRunStepParams{
		RunID: st.run.ID, StepIndex: int32(st.index), StepID: st.step.ID, Type: st.step.Type, Status: status,
		Attempts: int32(st.attempt), Snoozes: int32(st.snoozes), Input: in, Output: out, Error: errp,
		StartedAt: &st.started, NextAttemptAt: nextAttempt,
	})
}

// stepCondition evaluates a step's `if` against the trigger record.
func (rt *Runtime) stepCondition(ctx context.Context, run db.StartRunRow, step StepSpec) (bool, error) {
	if len(step.If) == 0 || string(step.If) == "null" {
		return true, nil
	}
	var td struct {
		TableID string `json:"table_id"`
		Record  struct {
			Fields map[string]any `json:"fields"`
		} `json:"record"`
	}
	_ = json.Unmarshal(run.TriggerData, &td)
	t, err := rt.records.GetTable(system(ctx), td.TableID)
	if err != nil {
		return false, err
	}
	cells := map[string]any{}
	for name, v := range td.Record.Fields {
		if f, ok := t.Field(name); ok && v != nil {
			cells[f.ID] = v
		}
	}
	cond, err := rt.compileCondition(t, step.If)
	if err != nil {
		return false, err
	}
	return cond.Match(cells, rt.now())
}

// templateData is what {{…}} tokens see: trigger, steps.<id>.output, run, now.
func templateData(run db.StartRunRow, prior []db.RunStep, now time.Time) map[string]any {
	var trigger any
	_ = json.Unmarshal(run.TriggerData, &trigger)
	steps := map[string]any{}
	for _, p := range prior {
		var out any
		if len(p.Output) > 0 {
			_ = json.Unmarshal(p.Output, &out)
		}
		steps[p.StepID] = map[string]any{"output": out, "status": p.Status}
	}
	return map[string]any{
		"trigger": trigger,
		"steps":   steps,
		"run":     map[string]any{"id": run.ID, "automation_id": run.AutomationID, "depth": run.Depth},
		"now":     now.UTC().Format(time.RFC3339),
	}
}

// requiredTokens fails a step whose config has a {{trigger.…}} token that
// resolved to nothing although the trigger declares it (kind.Shape.Required:
// e.g. a field deleted since the save). Tokens with `| default: …`, under
// free-form or optional data, and of other roots render null as before.
func (rt *Runtime) requiredTokens(def definition, missing [][]string) error {
	if len(missing) == 0 {
		return nil
	}
	tt, ok := rt.kinds.Trigger(def.Trigger.Type)
	if !ok {
		return nil
	}
	ds, ok := tt.(kind.DataShaper)
	if !ok {
		return nil
	}
	shape := ds.DataShape()
	for _, path := range missing {
		if path[0] == "trigger" && shape.Required(path[1:]) {
			return fmt.Errorf("{{%s}} resolves to nothing (write {{%s | default: \"\"}} if it may be absent)",
				strings.Join(path, "."), strings.Join(path, "."))
		}
	}
	return nil
}
