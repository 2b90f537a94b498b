package action

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rowflow/rowflow/automation/kind"
)

// MaxDelay is the longest a delay step may make its run wait.
const MaxDelay = 30 * 24 * time.Hour

// DelayConfig is delay's config: exactly one of For (a duration) and
// Until (a time). Either may be a template.
type DelayConfig struct {
	For   string `json:"for,omitempty" doc:"how long to wait: a duration such as 90s, 10m, 1h30m or 2d (at most 30d)"`
	Until string `json:"until,omitempty" doc:"when to go on: an ISO 8601 date (2026-12-24, midnight UTC) or date-time (RFC 3339; without an offset: UTC), e.g. {{trigger.record.fields.Due}}; at most 30 days ahead, a time in the past means no wait"`
}

// DelayOutput is a delay step's output: when the run goes on.
type DelayOutput struct {
	ResumeAt time.Time `json:"resume_at"`
	// WaitMS is how long the run waits from the step's completion (0: a
	// time in the past, no wait).
	WaitMS int64 `json:"wait_ms"`
}

// Delay makes the run wait durably before its next step: the step
// completes at once and the next step's job is inserted due at the resume
// time (kind.Waiter). No worker is held and a restart changes nothing; a
// delay that is the last step ends the run at once (nothing follows).
type Delay struct{}

// Name implements kind.Kind.
func (Delay) Name() string { return "delay" }

// Summary implements kind.Kind.
func (Delay) Summary() string {
	return "Wait before the next step, durably (no worker held, survives restarts): for a duration (10m) or until a time ({{trigger.record.fields.Due}}); at most 30 days; the run shows waiting with resume_at."
}

// NewConfig implements kind.Kind.
func (Delay) NewConfig() any { return &DelayConfig{} }

// Example implements kind.Kind.
func (Delay) Example(string) any { return DelayConfig{For: "10m"} }

// Validate implements kind.Action: exactly one of for and until; literal
// values are parsed and bounded now, templates when the step runs.
func (Delay) Validate(v kind.Validator, cfg any, loc string) {
	c := cfg.(*DelayConfig)
	switch {
	case c.For == "" && c.Until == "":
		v.Add(loc+".for", "give for (a duration such as 10m) or until (a time)")
	case c.For != "" && c.Until != "":
		v.Add(loc+".until", "give for or until, not both")
	case c.For != "" && !kind.IsTemplate(c.For):
		if _, err := ParseDelay(c.For); err != nil {
			v.Add(loc+".for", "%s", err)
		}
	case c.Until != "" && !kind.IsTemplate(c.Until):
		t, err := ParseUntil(c.Until)
		if err != nil {
			v.Add(loc+".until", "%s", err)
		} else if time.Until(t) > MaxDelay {
			v.Add(loc+".until", "is more than 30 days ahead")
		}
	}
}

// Execute implements kind.Action: it computes the resume time from the
// rendered config and the step's clock. A bad rendered value fails the
// step for good.
func (Delay) Execute(_ context.Context, s *kind.StepContext, cfg any) (any, error) {
	c := cfg.(*DelayConfig)
	now := s.Now
	var at time.Time
	switch {
	case c.For != "" && c.Until != "":
		return nil, kind.Errf("give for or until, not both")
	case c.For != "":
		d, err := ParseDelay(c.For)
		if err != nil {
			return nil, kind.Errf("for: %s", err)
		}
		at = now.Add(d)
	case c.Until != "":
		t, err := ParseUntil(c.Until)
		if err != nil {
			return nil, kind.Errf("until: %s", err)
		}
		if t.Sub(now) > MaxDelay {
			return nil, kind.Errf("until: %s is more than 30 days ahead", t.UTC().Format(time.RFC3339))
		}
		at = t
	default:
		return nil, kind.Errf("give for or until")
	}
	// Microseconds: the precision of the run's resume_at in PostgreSQL.
	out := DelayOutput{ResumeAt: at.UTC().Truncate(time.Microsecond)}
	if at.After(now) {
		out.WaitMS = at.Sub(now).Milliseconds()
	} else {
		out.ResumeAt = now.UTC().Truncate(time.Microsecond)
	}
	return out, nil
}

// ResumeAt implements kind.Waiter.
func (Delay) ResumeAt(output any) time.Time {
	if o, ok := output.(DelayOutput); ok && o.WaitMS > 0 {
		return o.ResumeAt
	}
	return time.Time{}
}

// ParseDelay parses a delay's for: a Go duration (90s, 10m, 1h30m, 0s)
// optionally led by whole days (2d, 1d12h); negative or above MaxDelay is
// an error.
func ParseDelay(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	days := false
	if i := strings.IndexByte(s, 'd'); i > 0 {
		days = true
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 31 {
			return 0, fmt.Errorf("%q is not a duration (like 90s, 10m, 1h30m or 2d)", s)
		}
		d = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
	}
	if s != "" {
		rest, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration (like 90s, 10m, 1h30m or 2d)", s)
		}
		d += rest
	} else if !days {
		return 0, fmt.Errorf("%q is not a duration (like 90s, 10m, 1h30m or 2d)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("must not be negative")
	}
	if d > MaxDelay {
		return 0, fmt.Errorf("%s is more than the 30 days a run may wait", d)
	}
	return d, nil
}

// untilLayouts are the ISO 8601 forms until accepts; those without an
// offset are UTC.
var untilLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"}

// ParseUntil parses a delay's until: RFC 3339, or an ISO 8601 date or
// date-time without an offset (UTC).
func ParseUntil(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range untilLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date or date-time (2026-12-24, 2026-12-24T09:00:00Z)", s)
}

// EffectFree implements kind.EffectFree: a dry run executes it.
func (Delay) EffectFree() {}
