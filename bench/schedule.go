package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ScheduleRow is schedule lateness: a scheduled automation firing every
// second, from each fire time to the start of the run's first step (as
// run_steps.started_at records it), over Fires fires.
type ScheduleRow struct {
	Fires    int  `json:"fires"`
	Lateness Dist `json:"lateness"`
}

// String is the row as printed.
func (r ScheduleRow) String() string {
	return fmt.Sprintf("fires=%d every=1s lateness %s", r.Fires, r.Lateness)
}

// scheduleLateness starts a server of its own on dbURL whose schedules may
// fire every second (the default minimum is a minute), lets an automation
// fire every second n times with a send_webhook step to url, and measures
// each fire's lateness. Other servers on the database tick too: any of
// them may fire a schedule, as in production.
func scheduleLateness(ctx context.Context, binary, dbURL string, pool *pgxpool.Pool, url string, n int) (ScheduleRow, error) {
	srv, err := startServer(ctx, binary, dbURL, []string{"ROWFLOW_SCHEDULE_MIN_INTERVAL=1s"})
	if err != nil {
		return ScheduleRow{}, err
	}
	defer srv.stop()
	a := newAPI(srv.url)
	var b idOnly
	if err := a.do("POST", "/api/v1/bases", map[string]any{"name": "bench schedule"}, &b, 201); err != nil {
		return ScheduleRow{}, err
	}
	var aut idOnly
	if err := a.do("POST", "/api/v1/bases/"+b.ID+"/automations", map[string]any{
		"name":    "bench every second",
		"trigger": map[string]any{"type": "scheduled", "config": map[string]any{"every": "1s", "catch_up": "skip"}},
		"steps": []any{map[string]any{"id": "notify", "type": "send_webhook", "config": map[string]any{
			"url": url, "body": map[string]any{"scheduled_for": "{{trigger.scheduled_for}}"},
		}}},
	}, &aut, 201); err != nil {
		return ScheduleRow{}, err
	}
	// The first fire may be partial (the save came mid-second): measure
	// from the second fire on.
	deadline := time.Now().Add(time.Duration(n+30) * time.Second)
	var lat []time.Duration
	for time.Now().Before(deadline) {
		rows, err := pool.Query(ctx, `
			SELECT extract(epoch FROM s.started_at - (r.trigger_data->>'scheduled_for')::timestamptz)::float8
			FROM runs r JOIN run_steps s ON s.run_id = r.id AND s.step_index = 0
			WHERE r.automation_id = $1 AND s.started_at IS NOT NULL
			ORDER BY r.trigger_data->>'scheduled_for' OFFSET 1 LIMIT $2`, aut.ID, n)
		if err != nil {
			return ScheduleRow{}, err
		}
		lat = lat[:0]
		for rows.Next() {
			var secs float64
			if err := rows.Scan(&secs); err != nil {
				rows.Close()
				return ScheduleRow{}, err
			}
			lat = append(lat, time.Duration(secs*float64(time.Second)))
		}
		rows.Close()
		if len(lat) >= n {
			break
		}
		select {
		case <-ctx.Done():
			return ScheduleRow{}, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	_ = a.do("POST", "/api/v1/automations/"+aut.ID+"/disable", nil, nil, 200)
	if len(lat) < n {
		return ScheduleRow{}, fmt.Errorf("schedule lateness: %d of %d fires ran in time", len(lat), n)
	}
	return ScheduleRow{Fires: len(lat), Lateness: distOf(lat)}, nil
}
