package automation

import (
	"context"
	"encoding/json"
	"time"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/condition"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/pgtx"
)

// StepNotRun is the status of a step a failed or cancelled run never
// reached: it is listed (no attempts, no timings) so the run shows every
// step of its automation version.
const StepNotRun = "not_run"

// RunStep is one step's record in a run: status, attempts, the rendered
// input (secrets redacted), output, error and timings. NextAttemptAt is
// set while the step waits to be tried again (after a retryable failure
// or a Retry-After): when it runs next.
type RunStep struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Status: running, succeeded, failed, skipped (its if was false), or
	// not_run (the run stopped before it).
	Status     string          `json:"status"`
	Attempts   int             `json:"attempts"`
	Input      json.RawMessage `json:"input"`
	Output     json.RawMessage `json:"output"`
	Error      *string         `json:"error"`
	StartedAt  *time.Time      `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at"`
	// NextAttemptAt is when a step waiting for a retry runs next (null
	// otherwise); for a delay inside a group, when the walk goes on.
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	// Path, Parent and ItemIndex place a step run inside a group
	// (group.go): its path ("each[37].update", "route.b1.notify"), the
	// path of the group around it, and the for_each item it ran for.
	// Absent for top-level steps.
	Path      string `json:"path,omitempty" doc:"where a step inside a group ran: each[37].update, route.b1.notify (absent for top-level steps)"`
	Parent    string `json:"parent,omitempty" doc:"the path of the group around a step inside a group"`
	ItemIndex *int   `json:"item_index,omitempty" doc:"the for_each item a step inside a group ran for"`
}

// RunTrigger is what started a run.
type RunTrigger struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// Run is one execution of an automation.
type Run struct {
	ID           string  `json:"id"`
	AutomationID string  `json:"automation_id"`
	Version      int     `json:"version"`
	Status       string  `json:"status"`
	Error        *string `json:"error"`
	Depth        int     `json:"depth"`
	OriginRunID  *string `json:"origin_run_id"`
	// ReplayOf is the run this one replays (POST /runs/{id}/replay).
	ReplayOf   *string    `json:"replay_of"`
	IsTest     bool       `json:"is_test"`
	Trigger    RunTrigger `json:"trigger"`
	Steps      []RunStep  `json:"steps"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	// ResumeAt is when a waiting run (after a delay step) goes on with its
	// next step; null otherwise.
	ResumeAt *time.Time `json:"resume_at"`
	// ConditionTrace is the automation's conditions evaluated rule by rule
	// when the run was matched (the shape of explain's conditions); absent
	// for an automation without conditions and for runs stored before it
	// was kept. A skipped run's trace names the rule that failed.
	ConditionTrace *condition.Trace `json:"condition_trace,omitempty" doc:"the conditions evaluated rule by rule when the run was matched (as explain's conditions); a skipped run's names the failing rule"`
}

func runFromRow(r db.Run, steps []db.RunStep) Run {
	out := Run{ID: r.ID, AutomationID: r.AutomationID, Version: int(r.Version), Status: r.Status, Error: r.Error,
		Depth: int(r.Depth), OriginRunID: r.OriginRunID, ReplayOf: r.ReplayOf, IsTest: r.IsTest,
		Trigger:   RunTrigger{Type: r.TriggerType, Data: r.TriggerData},
		CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, ResumeAt: r.ResumeAt, Steps: []RunStep{}}
	if len(r.ConditionTrace) > 0 {
		var tr condition.Trace
		if json.Unmarshal(r.ConditionTrace, &tr) == nil {
			out.ConditionTrace = &tr
		}
	}
	for _, s := range steps {
		rs := RunStep{ID: s.StepID, Type: s.Type, Status: s.Status, Attempts: int(s.Attempts),
			Input: s.Input, Output: s.Output, Error: s.Error, StartedAt: s.StartedAt, FinishedAt: s.FinishedAt,
			NextAttemptAt: s.NextAttemptAt, Path: s.Path}
		if s.Parent != nil {
			rs.Parent = *s.Parent
		}
		if s.ItemIndex != nil {
			i := int(*s.ItemIndex)
			rs.ItemIndex = &i
		}
		out.Steps = append(out.Steps, rs)
	}
	return out
}

// GetRun returns a run with its steps.
func (rt *Runtime) GetRun(ctx context.Context, id string) (Run, error) {
	row, err := rt.q.GetRun(ctx, id)
	if err := pgtx.NotFoundIf(err, "run", id); err != nil {
		return Run{}, err
	}
	if !rowflow.PrincipalFrom(ctx).SeesBase(row.BaseID) {
		return Run{}, rowflow.NotFound("run", id)
	}
	steps, err := rt.q.ListRunSteps(ctx, id)
	if err != nil {
		return Run{}, err
	}
	out := runFromRow(row, steps)
	rt.listNotRun(ctx, &out, steps)
	return out, nil
}

// listNotRun appends, to a failed or cancelled run, the steps of its
// automation version it never reached (status not_run). A definition that
// cannot be read leaves the run as it is: this is presentation only.
func (rt *Runtime) listNotRun(ctx context.Context, run *Run, rows []db.RunStep) {
	if run.Status != RunFailed && run.Status != RunCancelled {
		return
	}
	def, err := rt.loadDefinition(ctx, rt.q, run.AutomationID, run.Version)
	if err != nil {
		return
	}
	ran := make(map[int]bool, len(rows))
	for _, r := range rows {
		if r.Path == "" {
			ran[int(r.StepIndex)] = true
		}
	}
	for i, s := range def.Steps {
		if !ran[i] {
			run.Steps = append(run.Steps, RunStep{ID: s.ID, Type: s.Type, Status: StepNotRun})
		}
	}
}

// RunFilter selects runs of a run list; zero fields select everything.
// From and To bound created_at: From ≤ created_at < To.
type RunFilter struct {
	Status   string
	IsTest   *bool
	RecordID string
	From, To *time.Time
	Cursor   string
	// Limit is the page size (default 50).
	Limit int
}

// ListRuns returns an automation's runs, newest first, selected by f, and
// the next page's cursor ("" at the end).
func (rt *Runtime) ListRuns(ctx context.Context, automationID string, f RunFilter) ([]Run, string, error) {
	if _, err := rt.GetAutomation(ctx, automationID); err != nil {
		return nil, "", err
	}
	p, err := runListParams(f)
	if err != nil {
		return nil, "", err
	}
	rows, err := rt.q.ListRuns(ctx, db.ListRunsParams{AutomationID: automationID, Status: p.Status, IsTest: p.IsTest,
		RecordID: p.RecordID, CreatedFrom: p.CreatedFrom, CreatedTo: p.CreatedTo, BeforeCreated: p.BeforeCreated, BeforeID: p.BeforeID, Lim: p.Lim})
	if err != nil {
		return nil, "", err
	}
	return rt.runPage(ctx, rows, int(p.Lim)-1)
}

// ListBaseRuns returns the runs of every automation of a base, newest
// first, selected by f, and the next page's cursor ("" at the end).
func (rt *Runtime) ListBaseRuns(ctx context.Context, baseID string, f RunFilter) ([]Run, string, error) {
	if _, err := rt.records.GetBase(ctx, baseID); err != nil {
		return nil, "", err
	}
	p, err := runListParams(f)
	if err != nil {
		return nil, "", err
	}
	p.BaseID = baseID
	rows, err := rt.q.ListBaseRuns(ctx, p)
	if err != nil {
		return nil, "", err
	}
	return rt.runPage(ctx, rows, int(p.Lim)-1)
}

// runListParams checks a run filter and turns it into the list
// statements' parameters (one row more than the page, to see a next page).
func runListParams(f RunFilter) (db.ListBaseRunsParams, error) {
	var p db.ListBaseRunsParams
	switch f.Status {
	case "", RunQueued, RunRunning, RunWaiting, RunSucceeded, RunFailed, RunSkipped, RunCancelled:
	default:
		return p, rowflow.Invalid("status", "must be one of queued, running, waiting, succeeded, failed, skipped, cancelled")
	}
	if f.From != nil && f.To != nil && !f.From.Before(*f.To) {
		return p, rowflow.Invalid("to", "must be after from")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	p.Lim = int32(limit + 1)
	if f.Status != "" {
		p.Status = &f.Status
	}
	if f.RecordID != "" {
		p.RecordID = &f.RecordID
	}
	p.IsTest, p.CreatedFrom, p.CreatedTo = f.IsTest, f.From, f.To
	if f.Cursor != "" {
		t, id, err := rowflow.ParseTimeCursor(f.Cursor)
		if err != nil {
			return p, err
		}
		p.BeforeCreated, p.BeforeID = &t, id
	}
	return p, nil
}

// runPage turns up to limit+1 listed run rows into a page of runs with
// their steps, and the next page's cursor ("" when there is none).
func (rt *Runtime) runPage(ctx context.Context, rows []db.Run, limit int) ([]Run, string, error) {
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		next = rowflow.TimeCursor(last.CreatedAt, last.ID)
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	steps, err := rt.q.ListRunStepsOfRuns(ctx, ids)
	if err != nil {
		return nil, "", err
	}
	byRun := map[string][]db.RunStep{}
	for _, s := range steps {
		byRun[s.RunID] = append(byRun[s.RunID], s)
	}
	out := make([]Run, len(rows))
	for i, r := range rows {
		out[i] = runFromRow(r, byRun[r.ID])
		rt.listNotRun(ctx, &out[i], byRun[r.ID])
	}
	return out, next, nil
}
