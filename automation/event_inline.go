package automation

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
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
func (rt *Runtime) eventDue() time.Time {
	if !rt.inlineEvents {
		return time.Time{}
	}
	return rt.now().Add(rt.inlineBackstop)
}

// dispatchEvent matches a committed write's event in the background.
func (rt *Runtime) dispatchEvent(ev *inlineEvent) {
	release := func() { rt.releaseEvent(ev.jobID) }
	rt.background(time.Now().Add(rt.jobTimeout), release, []any{"job_id", ev.jobID}, func(ctx context.Context) {
		job := &river.Job[RecordEventArgs]{JobRow: &rivertype.JobRow{ID: ev.jobID, Attempt: 1, MaxAttempts: eventMaxAttempts,
			Kind: ev.args.Kind(), State: rivertype.JobStateRunning}, Args: ev.args}
		if err := rt.processEvent(ctx, job, ev.jobID); err != nil {
			rt.log.Warn("matching an event inline failed; River retries it", "job_id", ev.jobID, "error", err)
			release()
		}
	})
}

// releaseEvent hands a still-scheduled event job to River at once.
func (rt *Runtime) releaseEvent(jobID int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rt.q.ReleaseScheduledJob(ctx, jobID); err != nil {
		rt.log.Warn("handing an event to River failed; it runs at its backstop", "job_id", jobID, "error", err)
	}
}
