package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/rowflow/rowflow/db"
)

// Run statuses (see doc.go for the state machine).
const (
	RunQueued    = "queued"
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunSkipped   = "skipped"
	RunCancelled = "cancelled"
)

// StepArgs is the River job of one step of one run. The retry policy is
// copied from the step at enqueue time so NextRetry needs no database read.
type StepArgs struct {
	RunID       string `json:"run_id"`
	Index       int    `json:"index"`
	BackoffType string `json:"backoff_type,omitempty"`
	DelayMS     int    `json:"delay_ms,omitempty"`
}

// Kind implements river.JobArgs.
func (StepArgs) Kind() string { return "run_step" }

// DefaultMaxAttempts is a step's max_attempts when its retry policy says none.
const DefaultMaxAttempts = 3

// enqueueStep inserts the job of step idx of a run inside tx, to run at
// once, or — for a first step executed inline — at backstop (see inline.go).
func (e *Engine) enqueueStep(ctx context.Context, tx pgx.Tx, runID string, idx int, step StepSpec) error {
	_, err := e.insertStep(ctx, tx, runID, idx, step, time.Time{})
	return err
}

// insertStep is enqueueStep returning the job row.
func (e *Engine) insertStep(ctx context.Context, tx pgx.Tx, runID string, idx int, step StepSpec, backstop time.Time) (*rivertype.JobRow, error) {
	p := stepJob(runID, idx, step, backstop)
	res, err := e.queue.InsertTx(ctx, tx, p.Args, p.InsertOpts)
	if err != nil {
		return nil, fmt.Errorf("enqueueing step %d of %s: %w", idx, runID, err)
	}
	return res.Job, nil
}

// stepJob is the River job of step idx of a run, with the step's retry
// policy.
func stepJob(runID string, idx int, step StepSpec, backstop time.Time) river.InsertManyParams {
	args := StepArgs{RunID: runID, Index: idx, BackoffType: "exponential", DelayMS: 1000}
	maxAttempts := DefaultMaxAttempts
	if r := step.Retry; r != nil {
		if r.MaxAttempts > 0 {
			maxAttempts = r.MaxAttempts
		}
		if b := r.Backoff; b != nil {
			if b.Type != "" {
				args.BackoffType = b.Type
			}
			if b.DelayMS > 0 {
				args.DelayMS = b.DelayMS
			}
		}
	}
	return river.InsertManyParams{Args: args, InsertOpts: &river.InsertOpts{MaxAttempts: maxAttempts, ScheduledAt: backstop}}
}

// NextRetry is when a failed step runs again: delay × 2^(attempt-1)
// (exponential) or delay (fixed), at most one hour.
func NextRetry(args StepArgs, attempt int, now time.Time) time.Time {
	delay := time.Duration(args.DelayMS) * time.Millisecond
	if delay <= 0 {
		delay = time.Second
	}
	if args.BackoffType != "fixed" {
		for i := 1; i < attempt && delay < time.Hour; i++ {
			delay *= 2
		}
	}
	return now.Add(min(delay, time.Hour))
}

// startRun stores a matched run and enqueues its first step, inside tx.
// A run that already exists for (automation, event) is left alone.
func (e *Engine) startRun(ctx context.Context, tx pgx.Tx, q *db.Queries, s runStart) error {
	_, _, err := e.startRunID(ctx, tx, q, s)
	return err
}

// startRunID is startRun returning the new run's id ("" if it existed) and
// its first step's job. With s.inline, that job is scheduled at the
// backstop: the caller executes the step itself right after commit.
func (e *Engine) startRunID(ctx context.Context, tx pgx.Tx, q *db.Queries, s runStart) (string, *rivertype.JobRow, error) {
	def, err := e.loadDefinition(ctx, q, s.automation.ID, int(s.automation.Version))
	if err != nil {
		return "", nil, err
	}
	data, _ := json.Marshal(s.triggerData)
	status := initialStatus(s, def)
	var errText *string
	var started, finished *time.Time
	if status != RunQueued {
		now := e.now()
		started, finished = &now, &now
	}
	if s.failure != "" {
		errText = &s.failure
	}
	var origin *string
	if s.originRunID != "" {
		origin = &s.originRunID
	}
	run, err := q.InsertRun(ctx, db.InsertRunParams{
		ID: NewID(PrefixRun), AutomationID: s.automation.ID, Version: s.automation.Version, BaseID: s.automation.BaseID,
		TriggerType: s.automation.TriggerType, TriggerData: data, Status: status, Error: errText, Depth: int32(s.depth),
		OriginRunID: origin, IsTest: s.isTest, EventKey: s.eventKey, StartedAt: started, FinishedAt: finished,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, nil // already started by an earlier attempt
	}
	if err != nil {
		return "", nil, fmt.Errorf("inserting run: %w", err)
	}
	if status != RunQueued {
		return run.ID, nil, nil
	}
	var backstop time.Time
	if s.inline {
		backstop = e.now().Add(e.inlineBackstop)
	}
	job, err := e.insertStep(ctx, tx, run.ID, 0, def.Steps[0], backstop)
	return run.ID, job, err
}

// initialStatus is a new run's status: failed at once (loop_detected, a
// condition that cannot be evaluated), succeeded at once (no steps), or
// queued for its first step.
func initialStatus(s runStart, def definition) string {
	switch {
	case s.failure != "":
		return RunFailed
	case len(def.Steps) == 0:
		return RunSucceeded
	}
	return RunQueued
}

// startRuns stores many matched runs (a batch write's) in one statement and
// enqueues the first steps of those it created in another; runs that
// already exist for (automation, event) are left alone, as in startRun.
func (e *Engine) startRuns(ctx context.Context, tx pgx.Tx, q *db.Queries, starts []runStart) error {
	var p db.InsertRunsParams
	defs := make([]definition, len(starts))
	for i, s := range starts {
		def, err := e.loadDefinition(ctx, q, s.automation.ID, int(s.automation.Version))
		if err != nil {
			return err
		}
		defs[i] = def
		status := initialStatus(s, def)
		data, _ := json.Marshal(s.triggerData)
		p.Ids = append(p.Ids, NewID(PrefixRun))
		p.AutomationIds = append(p.AutomationIds, s.automation.ID)
		p.Versions = append(p.Versions, s.automation.Version)
		p.BaseIds = append(p.BaseIds, s.automation.BaseID)
		p.TriggerTypes = append(p.TriggerTypes, s.automation.TriggerType)
		p.TriggerDatas = append(p.TriggerDatas, string(data))
		p.Statuses = append(p.Statuses, status)
		p.Errors = append(p.Errors, s.failure)
		p.Depths = append(p.Depths, int32(s.depth))
		p.OriginRunIds = append(p.OriginRunIds, s.originRunID)
		p.EventKeys = append(p.EventKeys, s.eventKey)
	}
	inserted, err := q.InsertRuns(ctx, p)
	if err != nil {
		return fmt.Errorf("inserting runs: %w", err)
	}
	created := make(map[string]bool, len(inserted))
	for _, id := range inserted {
		created[id] = true
	}
	var jobs []river.InsertManyParams
	for i, id := range p.Ids {
		if created[id] && p.Statuses[i] == RunQueued {
			jobs = append(jobs, stepJob(id, 0, defs[i].Steps[0], time.Time{}))
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	if _, err := e.queue.InsertManyTx(ctx, tx, jobs); err != nil {
		return fmt.Errorf("enqueueing first steps: %w", err)
	}
	return nil
}

// loadDefinition returns the immutable definition of an automation version.
func (e *Engine) loadDefinition(ctx context.Context, q *db.Queries, id string, version int) (definition, error) {
	key := fmt.Sprintf("%s@%d", id, version)
	if d, ok := e.definitions.Load(key); ok {
		return d.(definition), nil
	}
	row, err := q.GetAutomationVersion(ctx, db.GetAutomationVersionParams{AutomationID: id, Version: int32(version)})
	if err != nil {
		return definition{}, notFoundIf(err, "automation version", key)
	}
	var def definition
	if err := json.Unmarshal(row.Definition, &def); err != nil {
		return definition{}, fmt.Errorf("decoding %s: %w", key, err)
	}
	e.definitions.Store(key, def)
	return def, nil
}
