// Package schedule keeps the `scheduled` trigger's fire times: parsing a
// schedule (a cron expression in a time zone, or a fixed interval),
// computing its next fires with the daylight-saving guard, the catch-up
// policy after downtime, and the durable rows (automation_schedules) the periodic
// tick of every worker process claims and fires (app/sweep.go).
//
// One row per enabled scheduled automation:
//
//	save / enable ──► row (version, spec, next_fire_at) ──► tick: claim due rows
//	disable / delete ──► row removed                        FOR UPDATE SKIP LOCKED,
//	                                                        insert one run per fire,
//	                                                        advance next_fire_at
//	                                                        (one transaction)
//
// Exactly once: a fire's run has the event key "sched:<automation>:<fire
// time>" and runs are unique per (automation, event key), so two ticks (two
// processes, a leader change, a tick that runs again) can never double a
// fire; the row is advanced in the transaction that inserts the runs, so a
// fire is never lost either. The tick reads the database clock.
//
// Daylight saving: a local time skipped by spring-forward fires once at the
// first valid instant after it (the cron library's behaviour); a local time
// repeated by fall-back fires once — the library would fire it twice, and
// Schedule.Next skips any fire whose local wall time does not come after the
// previous fire's.
package schedule
