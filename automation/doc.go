// Package engine is rowflow's domain: the record service (bases, tables,
// fields, records, views, forms, tokens), automations, the matching of
// record events against triggers, and the run state machine. It calls the
// sqlc package (db) directly and knows nothing of HTTP.
//
// # The path of an event
//
// A record create on the fast path (no link cells, outside a caller's
// transaction) in a process that runs automations is matched by the
// writer itself (write_match.go):
//
//	API create ──1 statement, 1 commit──▶ records rows + the runs they fire
//	           (checked against the table's schema and automations versions)
//	           ──▶ first steps executed right after commit (inline.go);
//	               a run's backstop_at stands in for their jobs, and the
//	               leader's sweep gives River the steps of dead processes (backstop.go)
//
// Every other write — updates, deletes, links, writes made by a step,
// tables with a record_enters_view automation, an API-only process — goes
// the event way:
//
//	API write ──1 transaction──▶ records rows + RecordEventArgs job   (record.go, event.go, jobs.go)
//	   │  where the API and workers share a process: the job waits at the
//	   │  backstop and the writer matches the event itself (inline_event.go)
//	event ──1 statement──▶ runs (unique per automation+event, id = RunIDFor)
//	                       + first StepArgs jobs (StartRuns)          (match.go, run.go)
//	      ──▶ up to 4 first steps executed inline, as above
//
// Triggers that are not record writes (an incoming webhook's request, a
// button click) enter at the same statement from their caller's
// transaction (start.go):
//
//	request/click ──1 transaction──▶ the occurrence's own row (webhook_requests)
//	              + runs (unique per automation+occurrence key) + first step jobs
//	              (StartTriggered → StartRuns, synchronous commit)
//	      ──▶ up to 4 first steps executed inline after commit (Dispatch)
//
// and every later step:
//
//	run_step job ──▶ render config, execute action                   (step.go, action_*.go)
//	             ──1 statement──▶ final run_steps row + next StepArgs job | run end (FinishStep)
//
// Jobs are rowflow's own INSERTs into River's table (jobs.go), in the same
// statement as the rows they belong to; River fetches, retries, rescues and
// completes them. Completion is idempotent instead of transactional: a job
// that runs again finds its runs already inserted (event) or its step
// already final (step) and does nothing.
//
// A write made through the API commits synchronously: an accepted write
// and its runs or event are durable when the API answers. Run-state
// statements (StartRuns, FinishStep, FinishInlineStep, deleting an event
// nothing matched) commit asynchronously — and with them the writes a
// record action makes inside a step's completion. They follow from the
// API's write, and a PostgreSQL crash can only roll them back to a state
// their backstops redo (a lost step is run again with its writes), with
// the same run ids.
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
//   - An event the writer matches itself waits as a job at InlineBackstop;
//     a first step run inline has its run's backstop_at instead: River
//     takes either over then (the sweep, every SweepInterval) if the
//     process died.
//   - A PostgreSQL crash losing the last asynchronous commits: the event
//     (durable with the write) is matched again; the runs get the same ids
//     (RunIDFor), so repeated calls carry the same webhook-ids.
//   - River retries a failed attempt with the step's own backoff
//     (NextRetry); 429/503 with Retry-After snooze without using an attempt
//     (at most MaxSnoozes times).
//
// # Loop protection
//
// A write made by a step carries its run (Cause); the runs it triggers get
// depth+1. A run deeper than Opts.MaxDepth (default 8) is stored as failed
// with a loop_detected error and runs no step.
package automation
