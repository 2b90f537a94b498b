package schedule

import "time"

// maxScan bounds the fires one Plan walks through (about two years of a
// fire a minute): past it the walk jumps to the present.
const maxScan = 1_000_000

// Plan is what a tick does with one schedule: the fires to run now (in
// order) and the schedule's next fire after them (zero: none ever again).
type Plan struct {
	Fires []time.Time
	Next  time.Time
}

// PlanFires decides the fires of a schedule whose next fire is next, at
// database time now: every fire up to now+lookahead is due (fires ahead of
// now run at their time: their runs' first steps wait for it). A fire more
// than grace before now was missed (nobody ticked: downtime); policy says
// what happens to the missed ones — skip drops them, once runs the latest,
// all runs the latest MaxCatchUp. Fires within grace are never "missed":
// they run under every policy.
func PlanFires(s *Schedule, next, now time.Time, lookahead, grace time.Duration, policy string) Plan {
	horizon := now.Add(lookahead)
	missedBefore := now.Add(-grace)
	keep := 0
	switch policy {
	case CatchUpAll:
		keep = MaxCatchUp
	case CatchUpOnce, "":
		keep = 1
	}
	var missed, due []time.Time
	t := next
	for n := 0; !t.IsZero() && !t.After(horizon); n++ {
		if n == maxScan {
			// Years of missed fires: continue from the present.
			t = s.Next(missedBefore)
			continue
		}
		if t.Before(missedBefore) {
			if keep > 0 {
				if len(missed) == keep {
					missed = append(missed[:0], missed[1:]...)
				}
				missed = append(missed, t)
			}
		} else {
			due = append(due, t)
		}
		t = s.Next(t)
	}
	return Plan{Fires: append(missed, due...), Next: t}
}
