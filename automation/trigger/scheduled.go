package trigger

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow/automation/kind"
)

// ScheduledConfig is scheduled's config: cron (in time_zone) or every.
type ScheduledConfig struct {
	Cron     string `json:"cron,omitempty" doc:"a cron expression: 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or @hourly, @daily, @weekly, @monthly, @yearly; when both day fields are restricted both must match" example:"0 9 * * 1-5"`
	Every    string `json:"every,omitempty" doc:"a fixed interval instead of cron (\"15m\", \"1h\"; at least one minute), fired at the multiples of the interval since the Unix epoch" example:"15m"`
	TimeZone string `json:"time_zone,omitempty" doc:"the IANA time zone cron is read in (default UTC); never in the expression" example:"Europe/Berlin"`
	CatchUp  string `json:"catch_up,omitempty" enum:"skip,once,all" doc:"fires missed while rowflow was down: skip them, run once for all of them (default), or run each (at most 100, the latest)"`
}

// Schedules is what the scheduled trigger uses of the schedule service
// (schedule.Service implements it through app's adapter).
type Schedules interface {
	// Check reports the problem of a timing, at its key ("cron", "every",
	// "time_zone"); "" when it is fine.
	Check(cron, every, timeZone string) (key, problem string)
	// CheckCatchUp reports a problem with a catch-up policy ("" is fine).
	CheckCatchUp(policy string) string
	// NextFires returns the next n fires after now, and the zone they are in.
	NextFires(cron, every, timeZone string, now time.Time, n int) ([]time.Time, *time.Location)
	// Keep makes the automation's schedule row match it inside tx
	// (removed when disabled).
	Keep(ctx context.Context, tx pgx.Tx, automationID string, version int, enabled bool, cron, every, timeZone, catchUp string) error
	// Drop removes the automation's schedule row inside tx.
	Drop(ctx context.Context, tx pgx.Tx, automationID string) error
	// TestFire is the trigger data of the automation's last fire (or,
	// before its first, of its next one): a test's sample.
	TestFire(ctx context.Context, automationID, triggerType, cron, every, timeZone string, now time.Time) (map[string]any, error)
}

// Scheduled fires at the times of a cron expression in a time zone, or at
// a fixed interval. Its trigger data is {{trigger.scheduled_for}} (the
// fire time) and {{trigger.fired_at}} (when the run was fired), both UTC,
// with scheduled_for_local and time_zone. Each fire is one run, however
// many processes tick; disabling, deleting or saving the automation takes
// effect for every fire not yet started.
type Scheduled struct {
	Schedules Schedules
}

var (
	_ kind.Tester      = Scheduled{}
	_ kind.Lifecycle   = Scheduled{}
	_ kind.Upcoming    = Scheduled{}
	_ kind.CurrentOnly = Scheduled{}
)

// Name implements kind.Kind.
func (Scheduled) Name() string { return "scheduled" }

// Summary implements kind.Kind.
func (Scheduled) Summary() string {
	return "At the times of a cron expression in a time zone, or every fixed interval; trigger.scheduled_for is the fire time."
}

// NewConfig implements kind.Kind.
func (Scheduled) NewConfig() any { return &ScheduledConfig{} }

// Example implements kind.Kind.
func (Scheduled) Example(string) any {
	return ScheduledConfig{Cron: "0 9 * * 1-5", TimeZone: "Europe/Berlin", CatchUp: "once"}
}

// Validate implements kind.Trigger: the timing parses, fires, and not more
// often than the minimum interval. A scheduled trigger watches no table.
func (s Scheduled) Validate(v kind.Validator, cfg any) string {
	c := cfg.(*ScheduledConfig)
	if key, problem := s.Schedules.Check(c.Cron, c.Every, c.TimeZone); problem != "" {
		v.Add("trigger.config."+key, "%s", problem)
	}
	if problem := s.Schedules.CheckCatchUp(c.CatchUp); problem != "" {
		v.Add("trigger.config.catch_up", "%s", problem)
	}
	return ""
}

// AutomationChanged implements kind.Lifecycle: the schedule row follows
// the automation in its own transaction.
func (s Scheduled) AutomationChanged(ctx context.Context, tx pgx.Tx, ch kind.LifecycleChange) error {
	if tx == nil {
		return errors.New("scheduled: lifecycle change outside a transaction")
	}
	if ch.Op == kind.OpDeleted {
		return s.Schedules.Drop(ctx, tx, ch.AutomationID)
	}
	c := ch.Config.(*ScheduledConfig)
	return s.Schedules.Keep(ctx, tx, ch.AutomationID, ch.Version, ch.Enabled, c.Cron, c.Every, c.TimeZone, c.CatchUp)
}

// NextFires implements kind.Upcoming.
func (s Scheduled) NextFires(cfg any, now time.Time, n int) []kind.NextFire {
	c := cfg.(*ScheduledConfig)
	fires, loc := s.Schedules.NextFires(c.Cron, c.Every, c.TimeZone, now, n)
	out := make([]kind.NextFire, len(fires))
	for i, f := range fires {
		out[i] = kind.NextFire{Local: f.In(loc), UTC: f.UTC()}
	}
	return out
}

// CurrentOnly implements kind.CurrentOnly: a fire's run is inserted ahead
// of its time, and runs only if the automation is still as it was.
func (Scheduled) CurrentOnly() {}

// TestData implements kind.Tester: the data of the schedule's last fire
// time (before its first fire, or while disabled: its next one).
func (t Scheduled) TestData(ctx context.Context, in kind.TestInput) (map[string]any, error) {
	c := in.Config.(*ScheduledConfig)
	return t.Schedules.TestFire(ctx, in.AutomationID, t.Name(), c.Cron, c.Every, c.TimeZone, in.Now)
}

// TestSource implements kind.TestSourcer.
func (Scheduled) TestSource() string { return "last_fire" }
