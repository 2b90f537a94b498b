// Package automation is the automation runtime: automations and their
// immutable versions (automation.go), save-time validation (validate.go,
// the kinds' kind.Validator), matching record writes against triggers
// (hook.go, event.go, match.go), runs and steps (run.go, step.go), if and
// for_each groups (group.go, group_run.go, group_foreach.go,
// group_batch.go, validate_steps.go), inline
// execution (event_inline.go, step_inline.go, background.go), the
// backstop sweep (sweep.go) and the Lifecycle calls of triggers that keep
// rows of their own (lifecycle.go). It hears record writes as the record
// service's record.Hook, runs the trigger and action kinds of its
// kind.Registry, and inserts its River jobs with its own statements
// (job_insert.go). It knows nothing of HTTP; the kinds know nothing of it.
//
//	record.Service ──Hook──▶ automation.Runtime ──kind.Registry──▶ action/…, trigger/…
//	      ▲                        │
//	      └── kind.Records ────────┘ (record actions write through the record service)
//
// # The path of an event
//
// A record create on the fast path (no link cells, outside a caller's
// transaction) in a process that runs automations is matched by the
// writer itself (Runtime.CreateWithRuns, hook.go):
//
//	record.Service.CreateRecords ──Hook.CreateWithRuns: 1 statement, 1 commit──▶
//	           records rows + the runs they fire
//	           (checked against the table's schema and automations versions)
//	           ──▶ first steps executed right after commit (step_inline.go);
//	               a run's backstop_at stands in for their jobs, and the
//	               leader's sweep gives River the steps of dead processes (sweep.go)
//
// Every other write — updates, deletes, links, writes made by a step,
// tables with an automation whose trigger reads a view at match time
// (kind.NeedsViewAtMatch), an API-only process — goes the event way:
//
//	record write ──1 transaction, Hook.Changed──▶ records rows + RecordEventArgs job   (hook.go, job_insert.go)
//	   │  where the API and workers share a process: the job waits at the
//	   │  backstop and the writer matches the event itself (event_inline.go)
//	event ──1 statement──▶ runs (unique per automation+event, id = RunIDFor)
//	                       + first StepArgs jobs (StartRuns)          (event.go, match.go, run.go)
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
//	run_step job ──▶ render config, execute the action kind           (step.go, automation/action/*.go)
//	             ──1 statement──▶ final run_steps row + next StepArgs job | run end (FinishStep)
//
// Jobs are rowflow's own INSERTs into River's table (job_insert.go), in the same
// statement as the rows they belong to; River fetches, retries, rescues and
// completes them. Completion is idempotent instead of transactional: a job
// that runs again finds its runs already inserted (event) or its step
// already final (step) and does nothing.
//
// A write made through the API commits synchronously: an accepted write
// and its runs or event are durable when the API answers. Run-state
// statements (StartRuns, FinishStep, FinishInlineSteps, deleting an event
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
//	           │                             │ ▲ │
//	           │        delay step done ─────┘ │ └─step failed, on_error=stop──▶ failed
//	           │        (kind.Waiter)   ▼      │
//	           │                     waiting ──┘ resume_at came: next step starts
//	           │ (no steps)
//	           └──────────────────────────────────────────────────────▶ succeeded
//
// A delay step (a kind.Waiter) completes at once; its completion
// statement (FinishStep / FinishInlineSteps, next_scheduled_at) inserts
// the next step's job due at the resume time and sets the run waiting
// with resume_at. No worker is held while it waits, and a restart changes
// nothing: the job is in River's table (available, fetched once its
// scheduled_at has come). The next step's StartRun moves the run back to
// running and clears resume_at. A resume time not ahead (until in the
// past, for 0s) is no wait: the next job is available at once, the run
// stays running. A delay that is the last step ends the run at once.
//
// A group step (if, for_each: group.go, group_run.go) is one step of the
// chain to this state machine: its job walks the steps inside it in
// process, each executed step committing a run_steps row of its own
// (path "each[37].update", under the group's step_index), and the group's
// completion is its FinishStep. A step inside that is to be retried (or
// got a Retry-After), or a walk whose job time is three quarters gone,
// snoozes the group's job (river.JobSnooze: no River attempt used; inner
// steps count their attempts in their rows); the next fetch resumes at
// the first step without a final row. A run that reaches its max_steps
// fails.
//
// A run of a kind.CurrentOnly trigger (scheduled: inserted ahead of its
// fire time, its first step's job due then) ends skipped at its first
// step when its automation is no longer enabled at its version
// (StartTriggeredRuns, staleSkipped).
//
// An event whose conditions fail starts no run — unless its automation
// has record_skipped_runs: then it is stored ended skipped at once, with
// no step and its condition_trace (match.go). Every stored run keeps the
// trace of its conditions at match time.
//
// A dry run (POST /automations/{id}/test, dryrun.go) is none of these: it
// stores no run; its steps run in a transaction that is rolled back.
//
// Every statement that moves a real run into succeeded, failed, skipped
// or cancelled also counts it in the statistics rollup (triggers on runs,
// migrations/00150_run_rollup.sql, read by stats.go and rollup.go), and
// the retry that moves a failed run back to running uncounts it, so no
// completion path has to remember the rollup. A run failed for good also
// tells its automation's owner in-app and alert_email by email
// (auto_disable.go, failure_notice.go), after the failure is stored.
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
//   - Inside a group: the group's job is rescued like any step's and
//     resumes at the first inner step without a final row (a record
//     action's write committed with its row or not at all; an outgoing
//     call is repeated with its item's idempotency key).
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
//
// # The user behind a run
//
// A write made with a token of a user carries cause.user_id; so does the
// trigger data of the runs it starts ({{trigger.cause.user_id}}), and a
// step's writes carry their run's user on (step.go, causeUserID), so a
// chain of automations keeps the person at its origin.
package automation
