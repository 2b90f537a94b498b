package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // time zones do not depend on the host's zoneinfo

	cron "github.com/netresearch/go-cron"
)

// Catch-up policies: what a schedule does with the fires it missed while no
// process ticked (downtime).
const (
	CatchUpSkip = "skip" // missed fires are dropped
	CatchUpOnce = "once" // one run stands for all the missed fires (the latest)
	CatchUpAll  = "all"  // every missed fire runs, at most MaxCatchUp of them (the latest)
)

// MaxCatchUp is the most missed fires catch-up "all" runs.
const MaxCatchUp = 100

// DefaultMinInterval is the shortest time between two fires a schedule may
// have unless configured otherwise.
const DefaultMinInterval = time.Minute

// parser reads 5 fields (minute first) or 6 (seconds first) and the
// descriptors (@hourly, @daily …). The day-of-month and day-of-week fields
// must both match when both are restricted.
var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Spec is a schedule as configured: Cron (in TimeZone, default UTC) or
// Every (a Go duration: "15m", "1h30m"), never both.
type Spec struct {
	Cron     string
	Every    string
	TimeZone string
}

// SpecError is a problem with one key of a Spec ("cron", "every",
// "time_zone").
type SpecError struct {
	Key string
	Msg string
}

// Error implements error.
func (e *SpecError) Error() string { return e.Key + ": " + e.Msg }

// Schedule is a parsed Spec: it computes fire times.
type Schedule struct {
	spec  Spec
	cron  *cron.SpecSchedule
	every time.Duration
	loc   *time.Location
}

// Parse checks spec and returns its Schedule. It refuses an expression
// with its own zone (CRON_TZ=, TZ=: the zone has its own key), an unknown
// zone, "@every" (use every), an interval below minInterval (0: the
// default) or not a whole number of seconds, fires closer together than
// minInterval, and an expression that never fires (0 0 30 2 *). now is
// where the never-fires and the interval checks start.
func Parse(spec Spec, minInterval time.Duration, now time.Time) (*Schedule, error) {
	return parse(spec, minInterval, now, true)
}

// parse is Parse; check=false skips the checks of the fires themselves
// (for rows checked when they were saved).
func parse(spec Spec, minInterval time.Duration, now time.Time, check bool) (*Schedule, error) {
	if minInterval <= 0 {
		minInterval = DefaultMinInterval
	}
	s := &Schedule{spec: spec, loc: time.UTC}
	if spec.TimeZone != "" {
		if strings.EqualFold(spec.TimeZone, "local") {
			return nil, &SpecError{"time_zone", `"Local" is not a time zone: name one, like "Europe/Berlin" or "UTC"`}
		}
		loc, err := time.LoadLocation(spec.TimeZone)
		if err != nil {
			return nil, &SpecError{"time_zone", fmt.Sprintf("unknown time zone %q (use an IANA name like \"Europe/Berlin\")", spec.TimeZone)}
		}
		s.loc = loc
	}
	switch {
	case spec.Cron == "" && spec.Every == "":
		return nil, &SpecError{"cron", "set cron (\"0 9 * * 1-5\", \"@hourly\") or every (\"15m\")"}
	case spec.Cron != "" && spec.Every != "":
		return nil, &SpecError{"every", "set cron or every, not both"}
	case spec.Every != "":
		d, err := time.ParseDuration(spec.Every)
		if err != nil {
			return nil, &SpecError{"every", fmt.Sprintf("%q is not a duration (\"15m\", \"1h30m\")", spec.Every)}
		}
		if d < minInterval {
			return nil, &SpecError{"every", fmt.Sprintf("must be at least %s", minInterval)}
		}
		if d%time.Second != 0 {
			return nil, &SpecError{"every", "must be a whole number of seconds"}
		}
		s.every = d
		return s, nil
	}
	expr := strings.TrimSpace(spec.Cron)
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return nil, &SpecError{"cron", "put the time zone in time_zone, not in the expression"}
	}
	if strings.HasPrefix(expr, "@every") {
		return nil, &SpecError{"cron", `use "every" for fixed intervals`}
	}
	sched, err := parser.Parse(expr)
	if err != nil {
		return nil, &SpecError{"cron", fmt.Sprintf("%q is not a cron expression: %v", spec.Cron, err)}
	}
	ss, ok := sched.(*cron.SpecSchedule)
	if !ok {
		return nil, &SpecError{"cron", fmt.Sprintf("%q is not a cron expression", spec.Cron)}
	}
	cp := *ss
	cp.Location = s.loc
	s.cron = &cp
	if !check {
		return s, nil
	}
	if err := s.checkFires(now, minInterval); err != nil {
		return nil, err
	}
	return s, nil
}

// checkFires refuses an expression that never fires, or whose first fires
// from now are closer together than minInterval (a cron expression's
// shortest gap shows within its first matching hour).
func (s *Schedule) checkFires(now time.Time, minInterval time.Duration) error {
	prev := s.Next(now)
	if prev.IsZero() {
		return &SpecError{"cron", fmt.Sprintf("%q never fires", s.spec.Cron)}
	}
	for range 200 {
		n := s.Next(prev)
		if n.IsZero() {
			return nil
		}
		if n.Sub(prev) < minInterval {
			return &SpecError{"cron", fmt.Sprintf("%q fires more often than every %s", s.spec.Cron, minInterval)}
		}
		prev = n
	}
	return nil
}

// Spec returns the spec s was parsed from.
func (s *Schedule) Spec() Spec { return s.spec }

// Location is the schedule's time zone (UTC unless set).
func (s *Schedule) Location() *time.Location { return s.loc }

// Next returns the first fire strictly after t (zero: none ever again).
//
// Every fires at the multiples of its interval since the Unix epoch (so
// "15m" fires at :00, :15, :30, :45 UTC), whatever the zone.
//
// Cron fires in the schedule's zone. A local time that spring-forward
// skips fires once, at the first valid instant after it (the transition).
// A local time that fall-back repeats fires once: a fire whose local wall
// time is not after t's is skipped (the library would fire it a second
// time, an hour later).
func (s *Schedule) Next(t time.Time) time.Time {
	if s.every > 0 {
		e := int64(s.every)
		u := t.UnixNano()
		n := (u/e + 1) * e
		if u < 0 && u%e != 0 {
			n = (u / e) * e
		}
		return time.Unix(0, n).UTC()
	}
	from := t
	for range 10000 {
		n := s.cron.Next(from)
		if n.IsZero() {
			return n
		}
		if g := s.gapFire(t, n); !g.IsZero() {
			return g
		}
		if !s.genuine(n) {
			// The library's stand-in for a skipped local time (02:30
			// normalized to 03:30): gapFire already placed that fire.
			from = n
			continue
		}
		if !wallAfter(n, t, s.loc) {
			// Fall-back: n repeats a local time at or before t's.
			// Continue from t's wall time in n's (later) offset.
			_, to := t.In(s.loc).Zone()
			_, no := n.In(s.loc).Zone()
			from = n
			if shifted := t.Add(time.Duration(to-no) * time.Second); shifted.After(n) {
				from = shifted
			}
			continue
		}
		return n
	}
	return time.Time{}
}

// gapFire returns the first spring-forward transition in (t, n] whose
// skipped local times hold a fire of the expression (zero: none).
func (s *Schedule) gapFire(t, n time.Time) time.Time {
	cur := t.In(s.loc)
	for range 100 {
		_, end := cur.ZoneBounds()
		if end.IsZero() || end.After(n) {
			return time.Time{}
		}
		_, before := end.Add(-time.Nanosecond).Zone()
		_, after := end.Zone()
		if after > before {
			// In the old offset, the skipped wall times are the instants
			// [end, end+jump).
			g := s.fixed(before).Next(end.Add(-time.Nanosecond))
			if !g.IsZero() && g.Before(end.Add(time.Duration(after-before)*time.Second)) {
				return end
			}
		}
		cur = end
	}
	return time.Time{}
}

// genuine reports whether n's local wall time matches the expression (the
// library normalizes a skipped local time forward, to one that may not).
func (s *Schedule) genuine(n time.Time) bool {
	_, off := n.In(s.loc).Zone()
	return s.fixed(off).Next(n.Add(-time.Nanosecond)).Equal(n)
}

// fixed is the expression in a zone of a fixed UTC offset (no DST).
func (s *Schedule) fixed(offset int) cron.Schedule {
	cp := *s.cron
	cp.Location = time.FixedZone("", offset)
	return &cp
}

// wallAfter reports whether a's local wall clock in loc is after b's.
func wallAfter(a, b time.Time, loc *time.Location) bool {
	return wall(a.In(loc)).After(wall(b.In(loc)))
}

// wall is t's wall clock read as if it were UTC.
func wall(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// NextN returns the first n fires after t (fewer when the schedule ends).
func (s *Schedule) NextN(t time.Time, n int) []time.Time {
	out := make([]time.Time, 0, n)
	for len(out) < n {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out
}

// ErrCatchUp is returned for an unknown catch-up policy.
var ErrCatchUp = errors.New(`catch_up must be "skip", "once" or "all"`)

// CheckCatchUp checks a catch-up policy ("" is the default, once) and
// returns it.
func CheckCatchUp(p string) (string, error) {
	switch p {
	case "":
		return CatchUpOnce, nil
	case CatchUpSkip, CatchUpOnce, CatchUpAll:
		return p, nil
	}
	return "", ErrCatchUp
}
