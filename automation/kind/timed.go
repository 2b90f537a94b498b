package kind

import "time"

// CurrentOnly is a Trigger whose runs are inserted ahead of their first
// step (a schedule's fire waits for its time): such a run's first step
// runs only while the automation is still enabled at the run's version. A
// run whose automation was disabled or saved again meanwhile ends skipped.
type CurrentOnly interface {
	CurrentOnly()
}

// Upcoming is a Trigger that fires at times of its own: the automation's
// API answer lists its next fires (next_fires).
type Upcoming interface {
	// NextFires returns the next n fires of cfg after now.
	NextFires(cfg any, now time.Time, n int) []NextFire
}

// NextFire is one coming fire time, in the trigger's time zone and in UTC.
type NextFire struct {
	Local time.Time `json:"local" doc:"in the schedule's time zone"`
	UTC   time.Time `json:"utc"`
}

// Waiter is an Action that makes its run wait (delay): after a successful
// Execute, ResumeAt reads from its output when the run's next step may
// start. The runtime completes the step at once and inserts the next
// step's job due then, in the step's completion statement: no worker is
// held, and a restart changes nothing. The run shows waiting with
// resume_at meanwhile. A time not after now (or a zero one) means no wait.
type Waiter interface {
	ResumeAt(output any) time.Time
}
