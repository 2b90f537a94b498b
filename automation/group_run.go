package automation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/record"
)

// Executing a group (group.go). A top-level group is one step of the
// chain: its job (or its inline execution) walks the group's steps in
// process, one after the other (or Concurrency items at once), and each
// executed step commits its own row (SaveGroupStep) — together with its
// record writes for a record action, as FinishStep does for top-level
// steps. The group's completion is its top-level step's (FinishStep:
// next step or run end). The walk stops early, leaving the group's row
// running, when:
//
//   - a step inside failed and will be retried, or got a Retry-After: its
//     row holds the attempts used and next_attempt_at, and the group's job
//     is snoozed until then (river.JobSnooze: no River attempt is used;
//     inner steps count their attempts in their rows);
//   - three quarters of the job's time are gone: snoozed for 0 s, the next
//     fetch goes on where this one stopped;
//   - the run ended meanwhile (cancelled) or a concurrent execution of the
//     same step won a row (SaveGroupStep wrote nothing): it stops silently.
//
// A crash leaves the group's job running; River rescues it and the walk
// starts again, skipping every step with a final row: a crash in item 37
// resumes at item 37, whose record write either committed with its row or
// not at all.

// groupRun is one execution of one top-level group step.
type groupRun struct {
	rt      *Runtime
	st      stepState
	trigger map[string]any
	// rows are the rows of the steps inside the group so far, by path.
	rows map[string]db.RunStep
	// count is the run's step executions so far (max_steps), ordinal the
	// last ordinal given to a row in this group.
	count, max int64
	ordinal    atomic.Int32
	// soft is when the walk yields (zero: never).
	soft time.Time
	// stopped is set once any item of a concurrent for_each stopped: the
	// others stop before their next step.
	stopped atomic.Bool
}

// node is where a step inside a group sits.
type node struct {
	path   string // its row's path ("each[3].update"; "" for the top-level group)
	name   string // its display path: path, or the top-level group's id
	parent string
	item   *int32
	// ordinal is its row's place in the group's execution order.
	ordinal int32
}

// groupPause stops a walk to snooze the group's job for delay.
type groupPause struct{ delay time.Duration }

func (p *groupPause) Error() string { return fmt.Sprintf("group paused for %s", p.delay) }

// groupFailure is a step inside a group that failed for good with
// on_error stop: its group fails with it.
type groupFailure struct {
	path string
	err  error
}

func (f *groupFailure) Error() string { return fmt.Sprintf("step %s failed: %s", f.path, f.err) }

func (f *groupFailure) Unwrap() error { return f.err }

// errMaxSteps fails the run: it reached its max_steps.
type errMaxSteps struct{ max int64 }

func (e errMaxSteps) Error() string {
	return fmt.Sprintf("the run reached its max_steps: %d step executions (raise the automation's max_steps, at most %d, or give the group fewer items)", e.max, MaxStepsLimit)
}

// errGroupStopped ends a walk silently: the run ended, or another
// execution owns the step.
var errGroupStopped = errors.New("group stopped: the run ended or another execution owns it")

// executeGroup executes top-level group step st (its `if` held) with the
// rows read so far (prior: ListRunStepOutputs).
func (rt *Runtime) executeGroup(ctx context.Context, job *river.Job[StepArgs], st stepState, prior []db.RunStep) error {
	run := st.run
	rows, err := rt.q.ListGroupSteps(ctx, db.ListGroupStepsParams{RunID: run.ID, StepIndex: int32(st.index)})
	if err != nil {
		return fmt.Errorf("reading the steps of group %s: %w", st.step.ID, err)
	}
	count, err := rt.q.CountRunActions(ctx, run.ID)
	if err != nil {
		return fmt.Errorf("counting the steps of run %s: %w", run.ID, err)
	}
	g := &groupRun{rt: rt, st: st, rows: make(map[string]db.RunStep, len(rows)), count: int64(count), max: DefaultMaxSteps}
	if st.def.MaxSteps > 0 {
		g.max = int64(st.def.MaxSteps)
	}
	for _, r := range rows {
		g.rows[r.Path] = r
		if r.Ordinal > g.ordinal.Load() {
			g.ordinal.Store(r.Ordinal)
		}
	}
	if dl, ok := ctx.Deadline(); ok {
		now := time.Now()
		g.soft = now.Add(dl.Sub(now) * 3 / 4)
	}
	var self *db.RunStep
	for i := range prior {
		if int(prior[i].StepIndex) == st.index && prior[i].Path == "" {
			self = &prior[i]
		}
	}
	data := templateData(run, prior, rt.now())
	g.trigger, _ = data["trigger"].(map[string]any)
	in, out, err := g.group(ctx, st.step, node{name: st.step.ID}, self, data)
	st.input = in
	var pause *groupPause
	var fail *groupFailure
	var capped errMaxSteps
	switch {
	case err == nil:
		return rt.completeStep(ctx, st, "succeeded", out, nil)
	case errors.As(err, &pause):
		return river.JobSnooze(pause.delay)
	case errors.Is(err, errGroupStopped):
		return nil
	case errors.As(err, &capped):
		st.step.OnError = "stop" // the cap fails the run, whatever on_error says
		return rt.failStep(ctx, job, st, out, err, false)
	case errors.As(err, &fail):
		return rt.failStep(ctx, job, st, out, err, false)
	}
	return err
}

// group runs group s at n (self: its row so far) in scope data and
// returns its input (the for_each items) and output.
func (g *groupRun) group(ctx context.Context, s StepSpec, n node, self *db.RunStep, data map[string]any) (in, out any, err error) {
	if s.Type == StepForEach {
		return g.forEach(ctx, s, n, self, data)
	}
	return g.ifGroup(ctx, s, n, self, data)
}

// ifGroup runs an "if" group: the first branch whose condition holds
// (chosen once, then read from its row), in the scope around it.
func (g *groupRun) ifGroup(ctx context.Context, s StepSpec, n node, self *db.RunStep, data map[string]any) (any, any, error) {
	branch, have := -1, false
	if self != nil && len(self.Output) > 0 {
		var o struct {
			Branch *int `json:"branch"`
		}
		if json.Unmarshal(self.Output, &o) == nil && o.Branch != nil {
			branch, have = *o.Branch, true
		}
	}
	if !have {
		for k, b := range s.Branches {
			if b.Else {
				branch = k
				break
			}
			ok, err := matchBranch(b.If, data, g.rt.now())
			if err != nil {
				return nil, map[string]any{"branch": -1}, &groupFailure{path: n.name, err: fmt.Errorf("branches[%d].if: %w", k, err)}
			}
			if ok {
				branch = k
				break
			}
		}
		if err := g.saveGroupState(ctx, s, n, nil, map[string]any{"branch": branch}); err != nil {
			return nil, nil, err
		}
	}
	out := map[string]any{"branch": branch}
	if branch < 0 || branch >= len(s.Branches) {
		return nil, out, nil
	}
	return nil, out, g.seq(ctx, s.Branches[branch].Steps, branchPath(n.name, branch), n.name, n.item, data)
}

// saveGroupState records a group's decision (its branch, its items) on its
// row, running, before its steps run.
func (g *groupRun) saveGroupState(ctx context.Context, s StepSpec, n node, in, out any) error {
	if n.path == "" {
		st := g.st
		st.input = in
		written, err := g.rt.saveStep(ctx, g.rt.q, st, "running", out, nil, "")
		if err == nil && written == 0 {
			return errGroupStopped
		}
		return err
	}
	return g.save(ctx, g.rt.q, s, n, n.ordinal, "running", 0, 0, in, out, "", nil, g.rt.now())
}

// save writes the row of step s at n (SaveGroupStep); errGroupStopped when
// it was not written.
func (g *groupRun) save(ctx context.Context, q *db.Queries, s StepSpec, n node, ordinal int32, status string, attempts, snoozes int,
	in, out any, errText string, next *time.Time, started time.Time) error {
	p := db.SaveGroupStepParams{RunID: g.st.run.ID, StepIndex: int32(g.st.index), Path: n.path, Parent: &n.parent, ItemIndex: n.item,
		Ordinal: ordinal, StepID: s.ID, Type: s.Type, Status: status, Attempts: int32(attempts), Snoozes: int32(snoozes),
		StartedAt: started, NextAttemptAt: next}
	if in != nil {
		p.Input, _ = json.Marshal(in)
	}
	if out != nil {
		p.Output, _ = json.Marshal(out)
	}
	if errText != "" {
		p.Error = &errText
	}
	written, err := q.SaveGroupStep(ctx, p)
	if err != nil {
		return fmt.Errorf("saving step %s of run %s: %w", n.path, g.st.run.ID, err)
	}
	if written == 0 {
		return errGroupStopped
	}
	return nil
}

// seq runs steps one after the other in scope data (their outputs go to
// data["steps"] by id), their rows under prefix, and stops at the first
// that fails for good with on_error stop.
func (g *groupRun) seq(ctx context.Context, steps []StepSpec, prefix, parent string, item *int32, data map[string]any) error {
	outputs := data["steps"].(map[string]any)
	for _, s := range steps {
		if g.stopped.Load() {
			return errGroupStopped
		}
		n := node{path: prefix + s.ID, name: prefix + s.ID, parent: parent, item: item}
		if row, ok := g.rows[n.path]; ok && isFinal(row.Status) {
			var out any
			if len(row.Output) > 0 {
				_ = json.Unmarshal(row.Output, &out)
			}
			outputs[s.ID] = map[string]any{"output": out, "status": row.Status}
			if s.Type == StepIf {
				g.branchOutputs(s, n.path, outputs)
			}
			if row.Status == "succeeded" && row.NextAttemptAt != nil && row.NextAttemptAt.After(g.rt.now()) {
				// A delay inside the group whose wait is not over (the job
				// came back early: a rescue).
				return &groupPause{delay: row.NextAttemptAt.Sub(g.rt.now())}
			}
			if row.Status == "failed" && s.OnError != "continue" {
				msg := ""
				if row.Error != nil {
					msg = *row.Error
				}
				return &groupFailure{path: n.name, err: errors.New(msg)}
			}
			continue
		}
		var self *db.RunStep
		if row, ok := g.rows[n.path]; ok {
			self = &row
		}
		status, out, err := g.one(ctx, s, n, self, data)
		if err != nil {
			return err
		}
		// Later steps see the output as stored (JSON), as they would
		// read it from its row.
		outputs[s.ID] = map[string]any{"output": asJSON(out), "status": status}
	}
	return nil
}

// branchOutputs puts the outputs of the steps an if group at path ran
// (read from their rows) in outputs: a walk that skips the finished group
// still gives later steps what the branch's steps made.
func (g *groupRun) branchOutputs(s StepSpec, path string, outputs map[string]any) {
	for k, b := range s.Branches {
		for _, is := range b.Steps {
			p := branchPath(path, k) + is.ID
			row, ok := g.rows[p]
			if !ok {
				continue
			}
			var out any
			if len(row.Output) > 0 {
				_ = json.Unmarshal(row.Output, &out)
			}
			outputs[is.ID] = map[string]any{"output": out, "status": row.Status}
			if is.Type == StepIf {
				g.branchOutputs(is, p, outputs)
			}
		}
	}
}

// asJSON is v as encoding/json decodes its encoding: what templates see of
// a stored output (an action's output may be a struct of its kind's).
func asJSON(v any) any {
	switch v.(type) {
	case nil, string, float64, bool:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// isFinal reports whether a step row's status is final.
func isFinal(status string) bool {
	return status == "succeeded" || status == "failed" || status == "skipped"
}

// one executes step s at n (a group or an action) and returns its final
// status and output; an error stops the walk (a *groupFailure, a pause,
// the cap, errGroupStopped or the database's).
func (g *groupRun) one(ctx context.Context, s StepSpec, n node, self *db.RunStep, data map[string]any) (string, any, error) {
	rt := g.rt
	if !g.soft.IsZero() && time.Now().After(g.soft) {
		return "", nil, &groupPause{}
	}
	ordinal, started := int32(0), rt.now()
	if self != nil {
		ordinal = self.Ordinal
		if self.StartedAt != nil {
			started = *self.StartedAt
		}
	} else {
		ordinal = g.ordinal.Add(1)
		if !IsGroup(s.Type) {
			if c := atomic.AddInt64(&g.count, 1); c > g.max {
				return "", nil, errMaxSteps{max: g.max}
			}
		}
	}
	if ok, err := rt.stepCondition(ctx, g.st.run, s); err != nil {
		return g.failed(ctx, s, n, ordinal, 1, 0, nil, nil, fmt.Errorf("if: %w", err), started)
	} else if !ok {
		return "skipped", nil, g.save(ctx, rt.q, s, n, ordinal, "skipped", 0, 0, nil, nil, "", nil, started)
	}
	if IsGroup(s.Type) {
		n.ordinal = ordinal
		in, out, err := g.group(ctx, s, n, self, data)
		var fail *groupFailure
		switch {
		case err == nil:
			return "succeeded", out, g.save(ctx, rt.q, s, n, ordinal, "succeeded", 0, 0, in, out, "", nil, started)
		case errors.As(err, &fail):
			return g.failed(ctx, s, n, ordinal, 0, 0, in, out, err, started)
		}
		return "", nil, err
	}
	return g.action(ctx, s, n, ordinal, self, data, started)
}

// failed stores step s at n failed for good; with on_error continue the
// walk goes on, otherwise its group fails.
func (g *groupRun) failed(ctx context.Context, s StepSpec, n node, ordinal int32, attempts, snoozes int, in, out any, cause error, started time.Time) (string, any, error) {
	if err := g.save(ctx, g.rt.q, s, n, ordinal, "failed", attempts, snoozes, in, out, cause.Error(), nil, started); err != nil {
		return "", nil, err
	}
	if s.OnError == "continue" {
		return "failed", out, nil
	}
	return "failed", out, &groupFailure{path: n.name, err: cause}
}

// action executes action step s at n: render its config in scope data,
// execute it (a record action inside the transaction that writes its
// row), and store its row.
func (g *groupRun) action(ctx context.Context, s StepSpec, n node, ordinal int32, self *db.RunStep, data map[string]any, started time.Time) (string, any, error) {
	rt := g.rt
	run := g.st.run
	attempt, snoozes := 1, 0
	if self != nil {
		attempt, snoozes = int(self.Attempts)+1, int(self.Snoozes)
	}
	at, cfg, input, err := rt.renderAction(g.st.def, s, data)
	if err != nil {
		return g.failed(ctx, s, n, ordinal, attempt, snoozes, input, nil, err, started)
	}
	sc := &kind.StepContext{RunID: run.ID, AutomationID: run.AutomationID, BaseID: run.BaseID, StepID: s.ID + itemKey(n.path),
		Attempt: attempt, RetryDeclared: s.Retry != nil && s.Retry.MaxAttempts > 0, Depth: int(run.Depth),
		IdempotencyKey: "msg_" + run.ID + "_" + s.ID + itemKey(n.path), Trigger: g.trigger, Now: rt.now()}
	// The step reads its table once (the write and its output), as an API
	// request does.
	actx := record.WithMemo(rt.actionContext(ctx, run, g.trigger))
	var out any
	if _, ok := at.(kind.Transactional); ok {
		err = rt.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
			var err error
			if out, err = at.Execute(record.WithTx(actx, tx), sc, cfg); err != nil {
				return err
			}
			return g.save(ctx, q, s, n, ordinal, "succeeded", attempt, snoozes, input, out, "", nil, started)
		})
		if err == nil || errors.Is(err, errGroupStopped) {
			return "succeeded", out, err
		}
	} else {
		out, err = at.Execute(actx, sc, cfg)
		if err == nil {
			// A delay (kind.Waiter) inside a group waits by snoozing the
			// group's job; its row keeps the resume time (next_attempt_at)
			// so that an early fetch waits on.
			var resume *time.Time
			if at := rt.resumeAt(s, out); at.After(rt.now()) {
				resume = &at
			}
			if err := g.save(ctx, rt.q, s, n, ordinal, "succeeded", attempt, snoozes, input, out, "", resume, started); err != nil {
				return "", nil, err
			}
			if resume != nil {
				return "", nil, &groupPause{delay: resume.Sub(rt.now())}
			}
			return "succeeded", out, nil
		}
	}
	var ae *kind.ActionError
	var output any
	if errors.As(err, &ae) {
		output = ae.Output
		if ae.RetryAfter > 0 && snoozes < MaxSnoozes {
			next := rt.now().Add(ae.RetryAfter)
			msg := fmt.Sprintf("%s (waiting %s as asked by Retry-After)", err, ae.RetryAfter)
			if serr := g.save(ctx, rt.q, s, n, ordinal, "running", attempt-1, snoozes+1, input, output, msg, &next, started); serr != nil {
				return "", nil, serr
			}
			return "", nil, &groupPause{delay: ae.RetryAfter}
		}
	}
	j := rt.stepJob(run.ID, g.st.index, s, time.Time{})
	if isRetryable(err) && attempt < j.maxAttempts {
		next := NextRetry(j.args.(StepArgs), attempt, rt.now())
		msg := fmt.Sprintf("%s (attempt %d of %d; will retry)", err, attempt, j.maxAttempts)
		if serr := g.save(ctx, rt.q, s, n, ordinal, "running", attempt, snoozes, input, output, msg, &next, started); serr != nil {
			return "", nil, serr
		}
		return "", nil, &groupPause{delay: max(0, next.Sub(rt.now()))}
	}
	return g.failed(ctx, s, n, ordinal, attempt, snoozes, input, output, err, started)
}
