// Package engine is rowflow's domain: the record service (bases, tables,
// fields, records, views, forms, tokens), automations, the matching of
// record events against triggers, and the run state machine. It calls the
// sqlc package (db) directly and knows nothing of HTTP.
//
// # The path of an event
//
//	API write ──tx──▶ records row + RecordEventArgs job          (record.go, event.go)
//	record_event job ──tx──▶ runs rows (unique per automation+event) + first StepArgs jobs
//	                 ──▶ first steps executed inline, jobs kept as backstops (inline.go)
//	run_step job ──▶ render config, execute action                (step.go, action_*.go)
//	             ──tx──▶ final run_steps row + next StepArgs job | run end
//
// Jobs are completed by River after Work returns. Completion is idempotent
// instead of transactional: a job that runs again finds its runs already
// inserted (event) or its step already final (step) and does nothing.
//
// # Run states
//
//	           ┌──────────── loop_detected / bad condition ─────────────┐
//	           │                                                         ▼
//	match ─▶ queued ──first step starts──▶ running ──last step done──▶ succeeded
//	           │                              │
//	           │ (no steps)                   └─step failed, on_error=stop──▶ failed
//	           └──────────────────────────────────────────────────────▶ succeeded
//
// A step is pending (no row yet) → running (an attempt failed and will be
// retried; the row holds the last error) → succeeded | failed | skipped
// (its `if` was false). on_error=continue moves on after a failed step and
// the run can still succeed.
//
// # What happens on a crash
//
//   - Before the write commits: nothing happened (no record, no job).
//   - After the write, before matching commits: the event job is still
//     there (available, or running and rescued after RescueStuckJobsAfter);
//     matching runs again from scratch. Runs are unique per (automation,
//     event key), so nothing is doubled — also when matching committed but
//     the job was not yet marked completed.
//   - After a step's completion committed, before River marked its job
//     completed: the job runs again, finds the step final, and stops.
//   - During a record action: the action's writes are in the step's
//     completion transaction, so they vanish with it; the step is retried.
//   - After an outgoing call, before its completion commits: the step is
//     retried and the call repeated with the same webhook-id (at-least-once
//     with an idempotency key: the receiver can drop the duplicate).
//   - River retries a failed attempt with the step's own backoff
//     (NextRetry); 429/503 with Retry-After snooze without using an attempt
//     (at most MaxSnoozes times).
//
// # Loop protection
//
// A write made by a step carries its run (Cause); the runs it triggers get
// depth+1. A run deeper than Opts.MaxDepth (default 8) is stored as failed
// with a loop_detected error and runs no step.
package engine
