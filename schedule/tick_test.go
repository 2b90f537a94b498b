package schedule_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/dbtest"
	"github.com/rowflow/rowflow/schedule"
)

// clock is a pinned clock the test moves.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// setupSchedule stores an enabled automation and its schedule row through
// Keep (as its Lifecycle hook does) on a fresh database.
func setupSchedule(t *testing.T, svc *schedule.Service, pool *pgxpool.Pool, cron, zone, catchUp string) string {
	t.Helper()
	ctx := context.Background()
	id := "aut_" + fmt.Sprint(time.Now().UnixNano())
	_, err := pool.Exec(ctx, "INSERT INTO bases (id, name) VALUES ('bas_1', 'b') ON CONFLICT DO NOTHING")
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `INSERT INTO automations (id, base_id, name, trigger_type, trigger) VALUES ($1, 'bas_1', 'a', 'scheduled', '{}')`, id)
	require.NoError(t, err)
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		return svc.Keep(ctx, tx, id, 1, true, cron, "", zone, catchUp)
	}))
	return id
}

// TestTickThroughDST moves a pinned clock in 7-minute steps across both
// transitions of two zones and ticks at each: the fires the database path
// (claim, plan, advance) makes are each local time once, a skipped one at
// the transition.
func TestTickThroughDST(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		zone, cron string
		from       time.Time
		want       []string
	}{
		{"Europe/Berlin", "30 2 * * *", time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC),
			[]string{"2026-03-28 02:30 +0100", "2026-03-29 03:00 +0200", "2026-03-30 02:30 +0200"}},
		{"Europe/Berlin", "30 2 * * *", time.Date(2026, 10, 24, 0, 0, 0, 0, time.UTC),
			[]string{"2026-10-24 02:30 +0200", "2026-10-25 02:30 +0200", "2026-10-26 02:30 +0100"}},
		{"America/New_York", "30 2 * * *", time.Date(2026, 3, 7, 5, 0, 0, 0, time.UTC),
			[]string{"2026-03-07 02:30 -0500", "2026-03-08 03:00 -0400", "2026-03-09 02:30 -0400"}},
		{"America/New_York", "30 1 * * *", time.Date(2026, 10, 31, 4, 0, 0, 0, time.UTC),
			[]string{"2026-10-31 01:30 -0400", "2026-11-01 01:30 -0400", "2026-11-02 01:30 -0500"}},
	} {
		t.Run(tc.zone+" "+tc.from.Format("2006-01"), func(t *testing.T) {
			t.Parallel()
			pool := dbtest.New(t)
			c := &clock{now: tc.from}
			svc := schedule.New(schedule.Opts{Pool: pool, NowFunc: c.Now})
			setupSchedule(t, svc, pool, tc.cron, tc.zone, "all")
			loc, err := time.LoadLocation(tc.zone)
			require.NoError(t, err)
			var got []string
			start := func(_ context.Context, _ pgx.Tx, fires []schedule.Fire) error {
				for _, f := range fires {
					got = append(got, f.ScheduledFor.In(loc).Format("2006-01-02 15:04 -0700"))
					require.Equal(t, tc.zone, f.TimeZone)
				}
				return nil
			}
			for ; c.now.Before(tc.from.Add(72 * time.Hour)); c.now = c.now.Add(7 * time.Minute) {
				_, err := svc.Tick(context.Background(), start)
				require.NoError(t, err)
			}
			require.Equal(t, tc.want, got)
		})
	}
}

// TestTickCatchUpPinned: the service stops ticking for 3 hours (downtime)
// and ticks again; each policy decides on the 6 missed half-hour fires.
func TestTickCatchUpPinned(t *testing.T) {
	t.Parallel()
	for policy, want := range map[string]int{"skip": 0, "once": 1, "all": 6} {
		t.Run(policy, func(t *testing.T) {
			t.Parallel()
			pool := dbtest.New(t)
			c := &clock{now: time.Date(2026, 6, 1, 8, 50, 0, 0, time.UTC)}
			svc := schedule.New(schedule.Opts{Pool: pool, NowFunc: c.Now})
			setupSchedule(t, svc, pool, "*/30 * * * *", "UTC", policy)
			var got []time.Time
			start := func(_ context.Context, _ pgx.Tx, fires []schedule.Fire) error {
				for _, f := range fires {
					got = append(got, f.ScheduledFor)
				}
				return nil
			}
			c.now = c.now.Add(3*time.Hour + 5*time.Minute) // 11:55: 9:00 … 11:30 missed
			n, err := svc.Tick(context.Background(), start)
			require.NoError(t, err)
			require.Equal(t, want, n)
			require.Len(t, got, want)
			if want > 0 {
				require.Equal(t, time.Date(2026, 6, 1, 11, 30, 0, 0, time.UTC), got[len(got)-1].UTC(), "the latest missed fire")
			}
			// The next tick, at the next fire, fires it on time.
			c.now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
			n, err = svc.Tick(context.Background(), start)
			require.NoError(t, err)
			require.Equal(t, 1, n)
		})
	}
}
