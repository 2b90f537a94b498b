package automation

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/riverqueue/river"
	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation/kind"

	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/pgtx"
)

// Run statuses (see doc.go for the state machine).
const (
	RunQueued    = "queued"
	RunRunning   = "running"
	RunWaiting   = "waiting"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunSkipped   = "skipped"
	RunCancelled = "cancelled"
)

// StepArgs is the River job of one step of one run. The retry policy is
// copied from the step (over its kind's defaults) at enqueue time so
// NextRetry needs no database read. Jobs enqueued before MaxDelayMS and
// Jitter existed wait at most an hour, without jitter.
type StepArgs struct {
	RunID       string `json:"run_id"`
	Index       int    `json:"index"`
	BackoffType string `json:"backoff_type,omitempty"`
	DelayMS     int    `json:"delay_ms,omitempty"`
	MaxDelayMS  int    `json:"max_delay_ms,omitempty"`
	Jitter      bool   `json:"jitter,omitempty"`
	// Bulk marks a step of a run started by a write of several records (a
	// batch create, update or delete): its job has River priority
	// BulkPriority in BulkQueue, so single writes' work is fetched first
	// and has workers of its own (fairness.go).
	Bulk bool `json:"bulk,omitempty"`
}

// Kind implements river.JobArgs.
func (StepArgs) Kind() string { return "run_step" }

// InsertOpts implements river.JobArgsWithInsertOpts: the priority and
// queue of a bulk step (fairness.go), as rowflow's own inserts write it.
func (a StepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Priority: jobPriority(a.Bulk), Queue: JobQueue(a.Bulk)}
}

// DefaultMaxAttempts is a step's max_attempts when neither its retry
// policy nor its kind (kind.RetryDefaulter) says otherwise.
const DefaultMaxAttempts = 3

// MaxAttemptsLimit is the most attempts a step's retry may ask for.
const MaxAttemptsLimit = 50

// groupMaxAttempts is the max_attempts of a group step's job.
const groupMaxAttempts = 25

// stepJob is the River job of step idx of a run, with the step's retry
// policy over its kind's defaults (kind.RetryOf), due at once (zero
// backstop) or at backstop (inline.go).
func (rt *Runtime) stepJob(runID string, idx int, step StepSpec, backstop time.Time) jobSpec {
	at, _ := rt.kinds.Action(step.Type)
	p := kind.RetryOf(at)
	if r := step.Retry; r != nil {
		if r.MaxAttempts > 0 {
			p.MaxAttempts = r.MaxAttempts
		}
		if b := r.Backoff; b != nil {
			if b.Type != "" {
				p.Exponential = b.Type != "fixed"
			}
			if b.DelayMS > 0 {
				p.Delay = time.Duration(b.DelayMS) * time.Millisecond
			}
			if b.MaxDelayMS > 0 {
				p.MaxDelay = time.Duration(b.MaxDelayMS) * time.Millisecond
			}
			if b.Jitter != nil {
				p.Jitter = *b.Jitter
			}
		}
	}
	args := StepArgs{RunID: runID, Index: idx, BackoffType: "exponential", DelayMS: int(p.Delay / time.Millisecond),
		MaxDelayMS: int(p.MaxDelay / time.Millisecond), Jitter: p.Jitter}
	if !p.Exponential {
		args.BackoffType = "fixed"
	}
	maxAttempts := p.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	if IsGroup(step.Type) {
		// A group's job counts no attempts of the steps inside it (they
		// snooze it and count in their rows); its own attempts are the
		// crashes and database errors of its walks, which it survives.
		maxAttempts = groupMaxAttempts
	}
	return jobSpec{args: args, maxAttempts: maxAttempts, scheduledAt: backstop}
}

// NextRetry is when a failed step runs again after attempt: delay ×
// 2^(attempt-1) (exponential) or delay (fixed), at most max_delay (one
// hour when unset), spread by ±20 % when jitter is on. The jitter is a
// pure function of (run, step, attempt), so the time the step's row shows
// (next_attempt_at) is the time River uses.
func NextRetry(args StepArgs, attempt int, now time.Time) time.Time {
	return now.Add(retryDelay(args, attempt))
}

func retryDelay(args StepArgs, attempt int) time.Duration {
	delay := time.Duration(args.DelayMS) * time.Millisecond
	if delay <= 0 {
		delay = time.Second
	}
	limit := time.Duration(args.MaxDelayMS) * time.Millisecond
	if limit <= 0 {
		limit = time.Hour
	}
	if args.BackoffType != "fixed" {
		for i := 1; i < attempt && delay < limit; i++ {
			delay *= 2
		}
	}
	delay = min(delay, limit)
	if args.Jitter {
		h := fnv.New64a()
		fmt.Fprintf(h, "%s/%d/%d", args.RunID, args.Index, attempt)
		f := 0.8 + 0.4*float64(h.Sum64()%1_000_000)/1_000_000
		delay = time.Duration(float64(delay) * f)
	}
	return delay
}

// initialStatus is a new run's status: failed at once (loop_detected, a
// condition that cannot be evaluated), skipped at once (its conditions
// failed; record_skipped_runs), succeeded at once (no steps), or queued
// for its first step.
func initialStatus(s runStart, def definition) string {
	switch {
	case s.failure != "":
		return RunFailed
	case s.skipped:
		return RunSkipped
	case len(def.Steps) == 0:
		return RunSucceeded
	}
	return RunQueued
}

// inlineStep is the first step of a run that the matching worker executes
// itself (step_inline.go): its job's args and what StartRun would have read.
type inlineStep struct {
	// backstop is when the sweep gives the step to River.
	backstop    time.Time
	args        StepArgs
	maxAttempts int
	run         db.StartRunRow
}

// startRuns stores matched runs and their first steps' jobs in ONE
// statement with q (StartRuns); runs that already exist for (automation,
// event) are left alone. A run marked inline starts running at once with
// its backstop set instead of a job (step_inline.go): it is returned for the
// caller to execute after commit. created maps each start's index to its new run
// id ("" when it existed). eventJobID, when not 0, is an inline event's job
// for the statement to claim (event_inline.go).
func (rt *Runtime) startRuns(ctx context.Context, q *db.Queries, starts []runStart, eventJobID int64) (created []string, inline []inlineStep, err error) {
	if len(starts) == 0 {
		return nil, nil, nil
	}
	b, err := rt.prepareRuns(ctx, q, starts)
	if err != nil {
		return nil, nil, err
	}
	b.p.EventJobID = eventJobID
	rows, err := q.StartRuns(ctx, b.p)
	if err != nil {
		return nil, nil, fmt.Errorf("starting runs: %w", err)
	}
	inserted := make(map[string]bool, len(rows))
	for _, r := range rows {
		inserted[r.ID] = true
	}
	created, inline = b.outcome(starts, inserted)
	return created, inline, nil
}

// runBatch is matched runs as StartRuns' arrays, with what the caller
// needs to execute the inline ones.
type runBatch struct {
	p db.StartRunsParams
	// inline holds, by run id, the first step of each run to execute inline.
	inline map[string]inlineStep
}

// prepareRuns turns matched runs into StartRuns' arrays. A run marked
// inline starts running with a backstop (step_inline.go); one that fails at
// once or has no steps ends at once; the others are queued with their
// first step's job.
func (rt *Runtime) prepareRuns(ctx context.Context, q *db.Queries, starts []runStart) (runBatch, error) {
	b := runBatch{inline: map[string]inlineStep{}}
	p := &b.p
	now := rt.now()
	for _, s := range starts {
		def, err := rt.loadDefinition(ctx, q, s.automation.ID, int(s.automation.Version))
		if err != nil {
			return b, err
		}
		status := initialStatus(s, def)
		data, _ := json.Marshal(s.triggerData)
		id := rowflow.RunIDFor(s.automation.ID, s.eventKey)
		jobArgs, maxAttempts, at := "", int32(0), time.Time{}
		if status == RunQueued {
			var backstop time.Time
			if s.inline {
				status, backstop = RunRunning, now.Add(rt.inlineBackstop)
			}
			j := rt.stepJob(id, 0, def.Steps[0], backstop)
			j.args = bulkStep(j.args.(StepArgs), s.bulk)
			enc, _ := json.Marshal(j.args)
			jobArgs, maxAttempts, at = string(enc), int32(j.maxAttempts), backstop
			if !s.inline && !s.notBefore.IsZero() {
				at = s.notBefore
			}
			if s.inline {
				b.inline[id] = inlineStep{backstop: backstop, args: j.args.(StepArgs), maxAttempts: j.maxAttempts,
					run: db.StartRunRow{ID: id, AutomationID: s.automation.ID, Version: s.automation.Version, BaseID: s.automation.BaseID,
						TriggerType: s.automation.TriggerType, TriggerData: data, Depth: int32(s.depth)}}
			}
		}
		p.Ids = append(p.Ids, id)
		p.AutomationIds = append(p.AutomationIds, s.automation.ID)
		p.Versions = append(p.Versions, s.automation.Version)
		p.BaseIds = append(p.BaseIds, s.automation.BaseID)
		p.TriggerTypes = append(p.TriggerTypes, s.automation.TriggerType)
		p.TriggerDatas = append(p.TriggerDatas, string(data))
		p.Statuses = append(p.Statuses, status)
		p.Errors = append(p.Errors, s.failure)
		p.Depths = append(p.Depths, int32(s.depth))
		p.OriginRunIds = append(p.OriginRunIds, s.originRunID)
		p.IsTests = append(p.IsTests, s.isTest)
		p.EventKeys = append(p.EventKeys, s.eventKey)
		p.JobArgs = append(p.JobArgs, jobArgs)
		p.JobMaxAttempts = append(p.JobMaxAttempts, maxAttempts)
		p.JobScheduledAt = append(p.JobScheduledAt, at)
		p.ConditionTraces = append(p.ConditionTraces, string(s.conditionTrace))
	}
	p.Notify = rt.notify.due(now)
	return b, nil
}

// outcome maps the inserted run ids back to the starts: each start's new
// run id ("" when the run existed) and the inline steps to execute.
func (b runBatch) outcome(starts []runStart, inserted map[string]bool) (created []string, inline []inlineStep) {
	created = make([]string, len(starts))
	for i, id := range b.p.Ids {
		if !inserted[id] {
			continue
		}
		created[i] = id
		if st, ok := b.inline[id]; ok {
			inline = append(inline, st)
		}
	}
	return created, inline
}

// loadDefinition returns the immutable definition of an automation version.
func (rt *Runtime) loadDefinition(ctx context.Context, q *db.Queries, id string, version int) (definition, error) {
	key := fmt.Sprintf("%s@%d", id, version)
	if d, ok := rt.definitions.Get(key); ok {
		return *d, nil
	}
	row, err := q.GetAutomationVersion(ctx, db.GetAutomationVersionParams{AutomationID: id, Version: int32(version)})
	if err != nil {
		return definition{}, pgtx.NotFoundIf(err, "automation version", key)
	}
	var def definition
	if err := json.Unmarshal(row.Definition, &def); err != nil {
		return definition{}, fmt.Errorf("decoding %s: %w", key, err)
	}
	rt.definitions.Put(key, &def)
	return def, nil
}
