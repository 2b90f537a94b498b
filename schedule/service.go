package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rowflow/rowflow/db"
)

// Opts configures a Service.
type Opts struct {
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// MinInterval is the shortest time between two fires a schedule may
	// have (default DefaultMinInterval, one minute).
	MinInterval time.Duration
	// Lookahead: a tick fires the fires due up to this far ahead; their
	// runs' first steps wait for their time (default DefaultLookahead).
	// Keep it above the tick interval so no fire waits for a tick.
	Lookahead time.Duration
	// Grace: a fire more than this late is missed (downtime), and the
	// catch-up policy decides on it (default DefaultGrace).
	Grace time.Duration
	// NowFunc pins the clock (tests); nil reads the database clock.
	NowFunc func() time.Time
}

// Defaults of Opts.
const (
	DefaultLookahead = 2 * time.Second
	DefaultGrace     = time.Minute
)

// claimBatch is the most schedules one tick transaction claims.
const claimBatch = 200

// Service keeps the schedule rows and fires them. It is safe for
// concurrent use; any number of processes may tick at once.
type Service struct {
	pool *pgxpool.Pool
	q    *db.Queries
	log  *slog.Logger
	opts Opts
}

// New returns a Service.
func New(opts Opts) *Service {
	if opts.MinInterval <= 0 {
		opts.MinInterval = DefaultMinInterval
	}
	if opts.Lookahead <= 0 {
		opts.Lookahead = DefaultLookahead
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	s := &Service{pool: opts.Pool, q: db.New(opts.Pool), log: opts.Logger, opts: opts}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// MinInterval is the shortest time between two fires a schedule may have.
func (s *Service) MinInterval() time.Duration { return s.opts.MinInterval }

// Parse parses spec against the service's minimum interval and clock
// (time.Now when not pinned: save-time checks need no database).
func (s *Service) Parse(spec Spec) (*Schedule, error) {
	return Parse(spec, s.opts.MinInterval, s.now())
}

func (s *Service) now() time.Time {
	if s.opts.NowFunc != nil {
		return s.opts.NowFunc()
	}
	return time.Now()
}

// pinned is the pinned clock for the queries (nil: the database's).
func (s *Service) pinned() *time.Time {
	if s.opts.NowFunc == nil {
		return nil
	}
	t := s.opts.NowFunc()
	return &t
}

// Keep makes automationID's schedule row match the automation inside tx:
// removed when the automation is disabled, else stored for version with
// spec and catch-up policy. A row whose spec did not change keeps its next
// fire (a save that only changes steps does not move or drop a fire);
// otherwise the next fire is the first after now on the database clock —
// so a re-enabled schedule does not catch up the time it was off.
func (s *Service) Keep(ctx context.Context, tx pgx.Tx, automationID string, version int, enabled bool, cron, every, timeZone, catchUp string) error {
	spec := Spec{Cron: cron, Every: every, TimeZone: timeZone}
	q := s.q.WithTx(tx)
	if !enabled {
		return q.DeleteSchedule(ctx, automationID)
	}
	catchUp, err := CheckCatchUp(catchUp)
	if err != nil {
		return err
	}
	sched, err := s.Parse(spec)
	if err != nil {
		return err
	}
	p := db.UpsertScheduleParams{AutomationID: automationID, Version: int32(version), TimeZone: sched.Location().String(), CatchUp: catchUp}
	if sched.every > 0 {
		secs := int64(sched.every / time.Second)
		p.EverySeconds = &secs
	} else {
		p.Cron = &spec.Cron
	}
	cur, err := q.GetSchedule(ctx, automationID)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("reading schedule of %s: %w", automationID, err)
	}
	found := err == nil
	switch {
	case found && sameSpec(cur, p):
		p.NextFireAt = cur.NextFireAt
		// Fires inserted for an older version that have not started run
		// this one. (With a new spec they are not moved: their first step
		// finds the version changed and skips them.)
		if int(cur.Version) != version {
			if _, err := q.MovePendingScheduledRuns(ctx, db.MovePendingScheduledRunsParams{AutomationID: automationID, Version: int32(version)}); err != nil {
				return fmt.Errorf("moving pending fires of %s: %w", automationID, err)
			}
		}
	default:
		now, err := q.ScheduleNow(ctx, s.pinned())
		if err != nil {
			return fmt.Errorf("reading the clock: %w", err)
		}
		p.NextFireAt = sched.Next(now)
		if p.NextFireAt.IsZero() {
			return q.DeleteSchedule(ctx, automationID)
		}
	}
	return q.UpsertSchedule(ctx, p)
}

// Drop removes automationID's schedule row inside tx.
func (s *Service) Drop(ctx context.Context, tx pgx.Tx, automationID string) error {
	return s.q.WithTx(tx).DeleteSchedule(ctx, automationID)
}

// sameSpec reports whether a stored row fires like p.
func sameSpec(cur db.AutomationSchedule, p db.UpsertScheduleParams) bool {
	eq := func(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	eqi := func(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	return eq(cur.Cron, p.Cron) && eqi(cur.EverySeconds, p.EverySeconds) && cur.TimeZone == p.TimeZone
}

// Check parses a timing (the scheduled trigger's save-time check) and
// returns the key and message of its problem ("" when it parses).
func (s *Service) Check(cron, every, timeZone string) (key, problem string) {
	_, err := s.Parse(Spec{Cron: cron, Every: every, TimeZone: timeZone})
	var se *SpecError
	if errors.As(err, &se) {
		return se.Key, se.Msg
	}
	if err != nil {
		return "cron", err.Error()
	}
	return "", ""
}

// CheckCatchUp returns the problem with a catch-up policy ("" when fine).
func (s *Service) CheckCatchUp(policy string) string {
	if _, err := CheckCatchUp(policy); err != nil {
		return err.Error()
	}
	return ""
}

// NextFires returns the next n fires of a timing after now and its zone
// (no fires when it does not parse).
func (s *Service) NextFires(cron, every, timeZone string, now time.Time, n int) ([]time.Time, *time.Location) {
	sched, err := parse(Spec{Cron: cron, Every: every, TimeZone: timeZone}, time.Nanosecond, now, false)
	if err != nil {
		return nil, time.UTC
	}
	return sched.NextN(now, n), sched.Location()
}

// TestFire is the trigger data of a test of automationID's schedule
// (kind.Tester of scheduled): its last fire, or — when it has not fired
// yet (or is disabled, so it keeps no row) — its next fire after now.
func (s *Service) TestFire(ctx context.Context, automationID, triggerType, cron, every, timeZone string, now time.Time) (map[string]any, error) {
	last, err := s.q.ScheduleLastFire(ctx, automationID)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("reading the schedule of %s: %w", automationID, err)
	}
	if timeZone == "" {
		timeZone = "UTC"
	}
	f := Fire{AutomationID: automationID, TriggerType: triggerType, TimeZone: timeZone}
	if last != nil {
		f.ScheduledFor = *last
	} else {
		next, _ := s.NextFires(cron, every, timeZone, now, 1)
		if len(next) == 0 {
			return nil, fmt.Errorf("schedule of %s: no fire time", automationID)
		}
		f.ScheduledFor = next[0]
	}
	f.FiredAt = f.ScheduledFor
	return f.Data(), nil
}
