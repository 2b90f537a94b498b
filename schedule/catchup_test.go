package schedule

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPlanAfterDowntime: a schedule every 30 minutes whose last tick was
// 3 hours ago, under each policy.
func TestPlanAfterDowntime(t *testing.T) {
	t.Parallel()
	s := mustParse(t, Spec{Cron: "*/30 * * * *"})
	now := time.Date(2026, 5, 4, 12, 10, 0, 0, time.UTC)
	next := time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC) // due 2 h 40 min ago
	at := func(h, m int) time.Time { return time.Date(2026, 5, 4, h, m, 0, 0, time.UTC) }
	for _, tc := range []struct {
		policy string
		want   []time.Time
	}{
		{CatchUpSkip, nil},
		{CatchUpOnce, []time.Time{at(12, 0)}},
		{CatchUpAll, []time.Time{at(9, 30), at(10, 0), at(10, 30), at(11, 0), at(11, 30), at(12, 0)}},
	} {
		p := PlanFires(s, next, now, 2*time.Second, time.Minute, tc.policy)
		require.Equal(t, tc.want, p.Fires, tc.policy)
		require.Equal(t, at(12, 30), p.Next, tc.policy)
	}
}

func TestPlanOnTimeAndLookahead(t *testing.T) {
	t.Parallel()
	s := mustParse(t, Spec{Every: "1m"})
	now := time.Date(2026, 5, 4, 12, 0, 59, 0, time.UTC)
	next := time.Date(2026, 5, 4, 12, 0, 30, 0, time.UTC).Truncate(time.Minute) // 12:00, 59 s late: within grace
	p := PlanFires(s, next, now, 2*time.Second, time.Minute, CatchUpSkip)
	require.Equal(t, []time.Time{next, next.Add(time.Minute)}, p.Fires, "late within grace fires; 12:01 is within the lookahead")
	require.Equal(t, next.Add(2*time.Minute), p.Next)
	// Nothing due yet.
	p = PlanFires(s, next.Add(5*time.Minute), now, 2*time.Second, time.Minute, CatchUpAll)
	require.Empty(t, p.Fires)
	require.Equal(t, next.Add(5*time.Minute), p.Next)
}

func TestPlanAllCapped(t *testing.T) {
	t.Parallel()
	s := mustParse(t, Spec{Every: "1m"})
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	p := PlanFires(s, now.Add(-10*time.Hour), now, 0, time.Minute, CatchUpAll)
	require.Len(t, p.Fires, MaxCatchUp+2) // 100 missed + the 2 within grace (11:59, 12:00)
	require.Equal(t, now.Add(-101*time.Minute), p.Fires[0], "the latest 100 missed fires")
	require.Equal(t, now, p.Fires[len(p.Fires)-1])
}
