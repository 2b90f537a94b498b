package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow/db"
)

// Fire is one fire of one schedule: the run to start.
type Fire struct {
	AutomationID string
	BaseID       string
	TriggerType  string
	// Version is the automation version the schedule fires.
	Version int
	// ScheduledFor is the fire time; FiredAt is when the tick fired it
	// (the database clock), or ScheduledFor for a fire ahead of its time.
	ScheduledFor time.Time
	FiredAt      time.Time
	TimeZone     string
}

// EventKey is the fire's event key: runs are unique per (automation, event
// key), so a fire inserted twice is one run.
func (f Fire) EventKey() string {
	return "sched:" + f.AutomationID + ":" + f.ScheduledFor.UTC().Format(time.RFC3339)
}

// Data is the fire's trigger data ({{trigger.scheduled_for}},
// {{trigger.fired_at}}, both UTC RFC 3339; scheduled_for_local in the
// schedule's zone).
func (f Fire) Data() map[string]any {
	loc, err := time.LoadLocation(f.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return map[string]any{
		"type":                f.TriggerType,
		"scheduled_for":       f.ScheduledFor.UTC().Format(time.RFC3339),
		"scheduled_for_local": f.ScheduledFor.In(loc).Format(time.RFC3339),
		"fired_at":            f.FiredAt.UTC().Format(time.RFC3339Nano),
		"time_zone":           f.TimeZone,
	}
}

// StartFunc inserts the runs of fires inside tx (the runtime's entry for
// runs of non-record triggers, wired by jobs). A fire whose run exists
// already must be left alone.
type StartFunc func(ctx context.Context, tx pgx.Tx, fires []Fire) error

// Tick fires every schedule due by now + lookahead: one transaction per
// batch claims the due rows no other tick holds (FOR UPDATE SKIP LOCKED),
// decides their fires on the database clock with each row's catch-up
// policy (PlanFires), inserts their runs with start, and advances the rows.
// It returns the number of fires. Ticks may run concurrently and again: a
// fire is one run whatever happens.
func (s *Service) Tick(ctx context.Context, start StartFunc) (int, error) {
	total := 0
	for {
		claimed, fired, err := s.tickBatch(ctx, start)
		total += fired
		if err != nil || claimed < claimBatch {
			return total, err
		}
	}
}

// tickBatch claims, fires and advances one batch in one transaction.
func (s *Service) tickBatch(ctx context.Context, start StartFunc) (claimed, fired int, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		rows, err := q.ClaimDueSchedules(ctx, db.ClaimDueSchedulesParams{Pinned: s.pinned(),
			LookaheadSeconds: s.opts.Lookahead.Seconds(), Lim: claimBatch})
		if err != nil {
			return fmt.Errorf("claiming due schedules: %w", err)
		}
		claimed = len(rows)
		if claimed == 0 {
			return nil
		}
		var fires []Fire
		adv := db.AdvanceSchedulesParams{}
		for _, r := range rows {
			plan, tz := s.plan(r)
			for _, at := range plan.Fires {
				firedAt := r.DbNow
				if at.After(firedAt) {
					firedAt = at
				}
				fires = append(fires, Fire{AutomationID: r.AutomationID, BaseID: r.BaseID, TriggerType: r.TriggerType,
					Version: int(r.Version), ScheduledFor: at, FiredAt: firedAt, TimeZone: tz})
			}
			last := time.Time{}
			if len(plan.Fires) > 0 {
				last = plan.Fires[len(plan.Fires)-1]
			}
			adv.AutomationIds = append(adv.AutomationIds, r.AutomationID)
			adv.NextFireAts = append(adv.NextFireAts, plan.Next)
			adv.LastFireAts = append(adv.LastFireAts, last)
		}
		if len(fires) > 0 {
			if err := start(ctx, tx, fires); err != nil {
				return fmt.Errorf("starting scheduled runs: %w", err)
			}
		}
		fired = len(fires)
		return q.AdvanceSchedules(ctx, adv)
	})
	return claimed, fired, err
}

// plan decides one claimed row's fires. A row that no longer parses (a
// zone removed from the tz database) stops firing and says so.
func (s *Service) plan(r db.ClaimDueSchedulesRow) (Plan, string) {
	spec := Spec{TimeZone: r.TimeZone}
	if r.Cron != nil {
		spec.Cron = *r.Cron
	} else if r.EverySeconds != nil {
		spec.Every = (time.Duration(*r.EverySeconds) * time.Second).String()
	}
	// The row was checked at save; a smaller minimum configured since
	// must not stop it.
	sched, err := parse(spec, time.Nanosecond, r.DbNow, false)
	if err != nil {
		s.log.Error("schedule no longer parses; it stops firing", "automation_id", r.AutomationID, "error", err)
		return Plan{}, r.TimeZone
	}
	return PlanFires(sched, r.NextFireAt, r.DbNow, s.opts.Lookahead, s.opts.Grace, r.CatchUp), r.TimeZone
}
