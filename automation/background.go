package automation

import (
	"context"
	"fmt"
	"time"
)

// Background work: a process that writes records executes the work its
// writes cause — matching an event (event_inline.go), a run's first step
// (step_inline.go) — in goroutines of its own, bounded by maxInlineEvents
// slots; whatever does not get a slot, panics or is cut off by shutdown
// goes to River instead.

// dispatchSteps executes the first steps of runs a write just started
// (hook.go) in the background; beyond maxInlineEvents in flight,
// or while draining, they go to River at once.
func (rt *Runtime) dispatchSteps(steps []inlineStep) {
	for _, st := range steps {
		// The attempt ends well before the run's backstop, so the sweep
		// never gives River a step still being executed here.
		deadline := time.Now().Add(rt.jobTimeout)
		if limit := st.backstop.Add(-rt.inlineBackstop / 4); limit.Before(deadline) {
			deadline = limit
		}
		rt.background(deadline, func() { rt.releaseInline(st) }, []any{"run_id", st.run.ID}, func(ctx context.Context) { rt.runInline(ctx, st) })
	}
}

// background runs fn in a goroutine holding one of the maxInlineEvents
// slots, with a context ending at deadline. release gives the work to
// River instead: at once when no slot is free (or the runtime is draining),
// or after fn panicked (the panic is logged with attrs, the process lives
// on).
func (rt *Runtime) background(deadline time.Time, release func(), attrs []any, fn func(ctx context.Context)) {
	if !rt.acquireSlot() {
		release()
		return
	}
	go func() {
		defer rt.releaseSlot()
		defer func() {
			if p := recover(); p != nil {
				rt.log.Error("inline work panicked; River takes it over", append(attrs, "panic", fmt.Sprint(p))...)
				release()
			}
		}()
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		defer cancel()
		fn(ctx)
	}()
}

// acquireSlot takes one of the maxInlineEvents slots of background work;
// false when all are taken or the runtime is draining.
func (rt *Runtime) acquireSlot() bool {
	rt.inflightMu.Lock()
	defer rt.inflightMu.Unlock()
	if rt.draining || len(rt.eventSlots) == cap(rt.eventSlots) {
		return false
	}
	rt.eventSlots <- struct{}{}
	rt.inflight.Add(1)
	return true
}

// releaseSlot gives back a slot taken by acquireSlot.
func (rt *Runtime) releaseSlot() {
	<-rt.eventSlots
	rt.inflight.Done()
}

// releaseInline hands an inline first step to River at once, unexecuted.
func (rt *Runtime) releaseInline(st inlineStep) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rt.handBack(ctx, st, nil)
}

// Drain stops matching new events inline (they go to River at once) and
// waits until the events in flight are done or ctx ends. Call it before
// stopping River and closing the pool.
func (rt *Runtime) Drain(ctx context.Context) error {
	rt.inflightMu.Lock()
	rt.draining = true
	rt.inflightMu.Unlock()
	done := make(chan struct{})
	go func() {
		rt.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
