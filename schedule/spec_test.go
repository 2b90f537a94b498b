package schedule

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func mustParse(t *testing.T, spec Spec) *Schedule {
	t.Helper()
	s, err := Parse(spec, time.Minute, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	return s
}

// local formats fires in loc with their offsets.
func local(fires []time.Time, loc *time.Location) []string {
	out := make([]string, len(fires))
	for i, f := range fires {
		out[i] = f.In(loc).Format("2006-01-02 15:04:05 -0700")
	}
	return out
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		spec Spec
		key  string
	}{
		{"nothing", Spec{}, "cron"},
		{"both", Spec{Cron: "* * * * *", Every: "1h"}, "every"},
		{"bad cron", Spec{Cron: "61 * * * *"}, "cron"},
		{"garbage", Spec{Cron: "every day"}, "cron"},
		{"CRON_TZ", Spec{Cron: "CRON_TZ=Europe/Berlin 0 9 * * *"}, "cron"},
		{"TZ", Spec{Cron: "TZ=Europe/Berlin 0 9 * * *"}, "cron"},
		{"TZ alone", Spec{Cron: "TZ="}, "cron"},
		{"@every", Spec{Cron: "@every 5m"}, "cron"},
		{"never fires", Spec{Cron: "0 0 30 2 *"}, "cron"},
		{"too often (seconds)", Spec{Cron: "*/10 * * * * *"}, "cron"},
		{"unknown zone", Spec{Cron: "0 9 * * *", TimeZone: "Mars/Olympus"}, "time_zone"},
		{"Local", Spec{Cron: "0 9 * * *", TimeZone: "Local"}, "time_zone"},
		{"every not a duration", Spec{Every: "often"}, "every"},
		{"every too short", Spec{Every: "30s"}, "every"},
		{"every sub-second", Spec{Every: "90500ms"}, "every"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tc.spec, time.Minute, now)
			var se *SpecError
			require.ErrorAs(t, err, &se)
			require.Equal(t, tc.key, se.Key, se.Msg)
		})
	}
}

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // a Thursday
	for _, tc := range []struct {
		spec  Spec
		first string
	}{
		{Spec{Cron: "0 9 * * 1-5", TimeZone: "Europe/Berlin"}, "2026-01-01 09:00:00 +0100"},
		{Spec{Cron: "@hourly"}, "2026-01-01 01:00:00 +0000"},
		{Spec{Cron: "@daily", TimeZone: "America/New_York"}, "2026-01-01 00:00:00 -0500"},
		{Spec{Cron: "30 0 9 * * *"}, "2026-01-01 09:00:30 +0000"},
		{Spec{Every: "15m"}, "2026-01-01 00:15:00 +0000"},
		{Spec{Cron: "* * * * *", TimeZone: "Europe/Berlin"}, "2026-01-01 01:01:00 +0100"}, // every minute: the minimum
	} {
		s, err := Parse(tc.spec, time.Minute, now)
		require.NoError(t, err, "%+v", tc.spec)
		require.Equal(t, tc.first, local([]time.Time{s.Next(now)}, s.Location())[0], "%+v", tc.spec)
	}
	// A smaller configured minimum allows faster schedules.
	_, err := Parse(Spec{Every: "1s"}, time.Second, now)
	require.NoError(t, err)
	_, err = Parse(Spec{Cron: "* * * * * *"}, time.Second, now)
	require.NoError(t, err)
}

// TestDST walks cron schedules through both transitions of 2026 in two
// zones on a pinned clock: a skipped local time fires once at the first
// valid instant after it, a repeated one fires once.
func TestDST(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		zone  string
		cron  string
		start time.Time // UTC
		want  []string
	}{
		// Berlin spring-forward: 2026-03-29 02:00 CET → 03:00 CEST.
		{"berlin spring daily skipped time", "Europe/Berlin", "30 2 * * *", time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC), []string{
			"2026-03-28 02:30:00 +0100",
			"2026-03-29 03:00:00 +0200", // 02:30 does not exist: once, at the first valid instant
			"2026-03-30 02:30:00 +0200",
		}},
		{"berlin spring every 30 min", "Europe/Berlin", "*/30 * * * *", time.Date(2026, 3, 29, 0, 15, 0, 0, time.UTC), []string{
			"2026-03-29 01:30:00 +0100",
			"2026-03-29 03:00:00 +0200",
			"2026-03-29 03:30:00 +0200",
		}},
		// Berlin fall-back: 2026-10-25 03:00 CEST → 02:00 CET.
		{"berlin fall daily repeated time", "Europe/Berlin", "30 2 * * *", time.Date(2026, 10, 23, 12, 0, 0, 0, time.UTC), []string{
			"2026-10-24 02:30:00 +0200",
			"2026-10-25 02:30:00 +0200", // once, not again at 02:30 +0100
			"2026-10-26 02:30:00 +0100",
		}},
		{"berlin fall hourly", "Europe/Berlin", "0 * * * *", time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC), []string{
			"2026-10-25 02:00:00 +0200",
			"2026-10-25 03:00:00 +0100", // 02:00 +0100 repeats 02:00: not fired
			"2026-10-25 04:00:00 +0100",
		}},
		{"berlin fall every 15 min", "Europe/Berlin", "*/15 * * * *", time.Date(2026, 10, 25, 0, 40, 0, 0, time.UTC), []string{
			"2026-10-25 02:45:00 +0200",
			"2026-10-25 03:00:00 +0100", // the repeated 02:00–02:45 fire once, the first time
			"2026-10-25 03:15:00 +0100",
		}},
		// New York spring-forward: 2026-03-08 02:00 EST → 03:00 EDT.
		{"new york spring daily skipped time", "America/New_York", "30 2 * * *", time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC), []string{
			"2026-03-07 02:30:00 -0500",
			"2026-03-08 03:00:00 -0400",
			"2026-03-09 02:30:00 -0400",
		}},
		{"new york spring hourly", "America/New_York", "0 * * * *", time.Date(2026, 3, 8, 5, 30, 0, 0, time.UTC), []string{
			"2026-03-08 01:00:00 -0500",
			"2026-03-08 03:00:00 -0400",
			"2026-03-08 04:00:00 -0400",
		}},
		// New York fall-back: 2026-11-01 02:00 EDT → 01:00 EST.
		{"new york fall daily repeated time", "America/New_York", "30 1 * * *", time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC), []string{
			"2026-10-31 01:30:00 -0400",
			"2026-11-01 01:30:00 -0400", // not again at 01:30 -0500
			"2026-11-02 01:30:00 -0500",
		}},
		{"new york fall every minute", "America/New_York", "* * * * *", time.Date(2026, 11, 1, 5, 58, 0, 0, time.UTC), []string{
			"2026-11-01 01:59:00 -0400",
			"2026-11-01 02:00:00 -0500", // the repeated hour 01:00–01:59 -0500 does not fire
			"2026-11-01 02:01:00 -0500",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := mustParse(t, Spec{Cron: tc.cron, TimeZone: tc.zone})
			require.Equal(t, tc.want, local(s.NextN(tc.start, len(tc.want)), s.Location()))
		})
	}
}

// TestDSTEveryFireOnce walks a whole day of every-minute fires through each
// transition: every fire is unique, the local wall clock only moves
// forward, and the count is the day's local minutes that exist once.
func TestDSTEveryFireOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		zone string
		day  string
		want int // fires in the local day
	}{
		{"Europe/Berlin", "2026-03-29", 23 * 60},
		{"Europe/Berlin", "2026-10-25", 24 * 60}, // 25 h long, the repeated hour fires once
		{"America/New_York", "2026-03-08", 23 * 60},
		{"America/New_York", "2026-11-01", 24 * 60},
	} {
		s := mustParse(t, Spec{Cron: "* * * * *", TimeZone: tc.zone})
		loc := s.Location()
		d, err := time.ParseInLocation("2006-01-02", tc.day, loc)
		require.NoError(t, err)
		end := d.AddDate(0, 0, 1)
		seen := map[time.Time]bool{}
		n := 0
		prev := d.Add(-time.Second)
		for f := s.Next(prev); f.Before(end); f = s.Next(f) {
			require.False(t, seen[f])
			seen[f] = true
			require.True(t, wallAfter(f, prev, loc), "%s after %s", f.In(loc), prev.In(loc))
			prev = f
			n++
		}
		require.Equal(t, tc.want, n, "%s %s", tc.zone, tc.day)
	}
}

func TestEveryAligned(t *testing.T) {
	t.Parallel()
	s := mustParse(t, Spec{Every: "15m", TimeZone: "Europe/Berlin"})
	start := time.Date(2026, 10, 25, 0, 7, 0, 0, time.UTC)
	got := s.NextN(start, 3)
	require.Equal(t, []time.Time{
		time.Date(2026, 10, 25, 0, 15, 0, 0, time.UTC),
		time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC),
		time.Date(2026, 10, 25, 0, 45, 0, 0, time.UTC),
	}, got)
	// Exactly on a multiple: the next one.
	require.Equal(t, got[1], s.Next(got[0]))
}
