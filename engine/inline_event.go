package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/rowflow/rowflow/db"
)

// Inline events: a process that runs both the API and the workers matches
// the events of its own writes itself, right after they commit, instead of
// waiting for River to fetch the record_event job. That saves a queue hop
// (latency) and River's fetch, completion and clean-up of the job
// (database time: the event job is the largest row River handles).
//
// The event job is still inserted with the write — durably — but scheduled
// at now + InlineBackstop, so River leaves it alone:
//
//   - matching claims it: StartRuns deletes the still-scheduled job in the
//     statement that inserts the runs, and inserts nothing if it is gone
//     (River took it at the backstop and owns the event). When nothing
//     fires, DeleteScheduledJob removes it;
//   - an error, too many events in flight, or shutdown: the job is made
//     available at once (ReleaseScheduledJob) and River's worker matches it,
//     with its usual retries;
//   - a crash: River runs the job at the backstop, like a rescued one.
//
// Runs stay unique per (automation, event) either way, so an event matched
// by both never starts a run twice.

// maxInlineEvents bounds the events a process matches itself at once;
// beyond it River's workers take them (they are bounded by MaxWorkers).
const maxInlineEvents = 1024

// inlineEvent is an event job inserted scheduled at the backstop, to be
// matched by this process after its write commits.
type inlineEvent struct {
	jobID int64
	args  RecordEventArgs
}

// eventDue is when a new event job is due: now (zero) for River, or at the
// backstop when this process matches its writes' events itself.
func (e *Engine) eventDue() time.Time {
	if !e.inlineEvents {
		return time.Time{}
	}
	return e.now().Add(e.inlineBackstop)
}

// pendingEventKey carries the *inlineEvent slot of a write made in a
// transaction: emitEvent fills it, the writer dispatches it after commit.
type pendingEventKey struct{}

// withEventSlot returns ctx with an empty slot for the write's event when
// this process matches its events itself, and ctx itself otherwise or
// inside a caller's transaction (whose commit is not the writer's to wait
// for: that event goes to River).
func (e *Engine) withEventSlot(ctx context.Context) (context.Context, *inlineEvent) {
	if !e.inlineEvents || ctx.Value(txKey{}) != nil {
		return ctx, nil
	}
	slot := &inlineEvent{}
	return context.WithValue(ctx, pendingEventKey{}, slot), slot
}

// writeTx runs a record write's transaction (inTx) with an event slot in
// the ctx fn receives, and matches the committed write's event inline.
func (e *Engine) writeTx(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx, q *db.Queries) error) error {
	wctx, slot := e.withEventSlot(ctx)
	err := e.inTx(wctx, func(tx pgx.Tx, q *db.Queries) error { return fn(wctx, tx, q) })
	if err == nil {
		e.dispatchEvent(slot)
	}
	return err
}

// dispatchEvent matches a committed write's event in the background (a
// nil or empty slot: nothing to do).
func (e *Engine) dispatchEvent(ev *inlineEvent) {
	if ev == nil || ev.jobID == 0 {
		return
	}
	release := func() { e.releaseEvent(ev.jobID) }
	e.background(time.Now().Add(e.jobTimeout), release, []any{"job_id", ev.jobID}, func(ctx context.Context) {
		job := &river.Job[RecordEventArgs]{JobRow: &rivertype.JobRow{ID: ev.jobID, Attempt: 1, MaxAttempts: eventMaxAttempts,
			Kind: ev.args.Kind(), State: rivertype.JobStateRunning}, Args: ev.args}
		if err := e.processEvent(ctx, job, ev.jobID); err != nil {
			e.log.Warn("matching an event inline failed; River retries it", "job_id", ev.jobID, "error", err)
			release()
		}
	})
}

// dispatchSteps executes the first steps of runs a write just started
// (write_match.go) in the background; beyond maxInlineEvents in flight,
// or while draining, they go to River at once.
func (e *Engine) dispatchSteps(steps []inlineStep) {
	for _, st := range steps {
		// The attempt ends well before the run's backstop, so the sweep
		// never gives River a step still being executed here.
		deadline := time.Now().Add(e.jobTimeout)
		if limit := st.backstop.Add(-e.inlineBackstop / 4); limit.Before(deadline) {
			deadline = limit
		}
		e.background(deadline, func() { e.releaseInline(st) }, []any{"run_id", st.run.ID}, func(ctx context.Context) { e.runInline(ctx, st) })
	}
}

// background runs fn in a goroutine holding one of the maxInlineEvents
// slots, with a context ending at deadline. release gives the work to
// River instead: at once when no slot is free (or the engine is draining),
// or after fn panicked (the panic is logged with attrs, the process lives
// on).
func (e *Engine) background(deadline time.Time, release func(), attrs []any, fn func(ctx context.Context)) {
	if !e.acquireSlot() {
		release()
		return
	}
	go func() {
		defer e.releaseSlot()
		defer func() {
			if p := recover(); p != nil {
				e.log.Error("inline work panicked; River takes it over", append(attrs, "panic", fmt.Sprint(p))...)
				release()
			}
		}()
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		defer cancel()
		fn(ctx)
	}()
}

// acquireSlot takes one of the maxInlineEvents slots of background work;
// false when all are taken or the engine is draining.
func (e *Engine) acquireSlot() bool {
	e.inflightMu.Lock()
	defer e.inflightMu.Unlock()
	if e.draining || len(e.eventSlots) == cap(e.eventSlots) {
		return false
	}
	e.eventSlots <- struct{}{}
	e.inflight.Add(1)
	return true
}

// releaseSlot gives back a slot taken by acquireSlot.
func (e *Engine) releaseSlot() {
	<-e.eventSlots
	e.inflight.Done()
}

// releaseInline hands an inline first step to River at once, unexecuted.
func (e *Engine) releaseInline(st inlineStep) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.handBack(ctx, st, nil)
}

// releaseEvent hands a still-scheduled event job to River at once.
func (e *Engine) releaseEvent(jobID int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.q.ReleaseScheduledJob(ctx, jobID); err != nil {
		e.log.Warn("handing an event to River failed; it runs at its backstop", "job_id", jobID, "error", err)
	}
}

// Drain stops matching new events inline (they go to River at once) and
// waits until the events in flight are done or ctx ends. Call it before
// stopping River and closing the pool.
func (e *Engine) Drain(ctx context.Context) error {
	e.inflightMu.Lock()
	e.draining = true
	e.inflightMu.Unlock()
	done := make(chan struct{})
	go func() {
		e.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
