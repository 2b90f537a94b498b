package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ForEachRow is the for_each row: a run of find_records (1,000 records) →
// for_each → one update_record per record, Rounds times; records updated
// per second inside the group (its row's started_at → finished_at, as
// stored) and per run (the run's created_at → finished_at, find and job
// hops included), the best and the median round.
type ForEachRow struct {
	Records int `json:"records"`
	Rounds  int `json:"rounds"`
	// GroupPerSec / RunPerSec are the median round's; Best* the fastest's.
	GroupPerSec     float64 `json:"group_records_per_sec"`
	RunPerSec       float64 `json:"run_records_per_sec"`
	BestGroupPerSec float64 `json:"best_group_records_per_sec"`
	GroupMS         Dist    `json:"group_ms"`
}

// String is the row as printed.
func (r ForEachRow) String() string {
	return fmt.Sprintf("records=%d rounds=%d | updated/s inside the group: median=%.0f best=%.0f | per run (find + group + hops): median=%.0f | group %s",
		r.Records, r.Rounds, r.GroupPerSec, r.BestGroupPerSec, r.RunPerSec, r.GroupMS)
}

// forEachRow measures the for_each row on a base of its own: records
// Orders records, and a Jobs table whose every new record runs find →
// for_each → update_record over all of them (Amount = the round).
func forEachRow(ctx context.Context, a *api, pool *pgxpool.Pool, records, rounds int) (ForEachRow, error) {
	row := ForEachRow{Records: records, Rounds: rounds}
	baseID, ordersID, err := a.setupTable("bench for_each")
	if err != nil {
		return row, err
	}
	var jobs idOnly
	if err := a.do("POST", "/api/v1/bases/"+baseID+"/tables", map[string]any{"name": "Jobs", "fields": []any{
		map[string]any{"name": "Round", "type": "number"}}}, &jobs, 201); err != nil {
		return row, err
	}
	for done := 0; done < records; {
		batch := make([]any, 0, 100)
		for ; done < records && len(batch) < 100; done++ {
			batch = append(batch, map[string]any{"fields": map[string]any{"Name": fmt.Sprint(done), "Status": "Todo"}})
		}
		if err := a.do("POST", "/api/v1/tables/"+ordersID+"/records", map[string]any{"records": batch}, nil, 201); err != nil {
			return row, err
		}
	}
	var aut idOnly
	if err := a.do("POST", "/api/v1/bases/"+baseID+"/automations", map[string]any{
		"name":      "bench for_each",
		"trigger":   map[string]any{"type": "record_created", "config": map[string]any{"table_id": jobs.ID}},
		"max_steps": records + 10,
		"steps": []any{
			map[string]any{"id": "find", "type": "find_records", "config": map[string]any{"table_id": ordersID, "limit": records}},
			map[string]any{"id": "each", "type": "for_each", "items": "{{steps.find.output.records}}", "steps": []any{
				map[string]any{"id": "update", "type": "update_record", "config": map[string]any{"table_id": ordersID,
					"record_id": "{{item.id}}", "fields": map[string]any{"Status": "Done", "Amount": "{{trigger.record.fields.Round}}"}}},
			}},
		},
	}, &aut, 201); err != nil {
		return row, err
	}
	var group, run []time.Duration
	for r := 1; r <= rounds && ctx.Err() == nil; r++ {
		if err := a.do("POST", "/api/v1/tables/"+jobs.ID+"/records", map[string]any{"fields": map[string]any{"Round": r}}, nil, 201); err != nil {
			return row, err
		}
		deadline := time.Now().Add(5 * time.Minute)
		for {
			var n int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM runs WHERE automation_id = $1 AND status NOT IN ('queued', 'running', 'waiting')`, aut.ID).Scan(&n); err != nil {
				return row, err
			}
			if n >= r {
				break
			}
			if time.Now().After(deadline) {
				return row, fmt.Errorf("for_each round %d did not finish in 5 minutes", r)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	rows, err := pool.Query(ctx, `SELECT r.status, extract(epoch FROM s.finished_at - s.started_at)::float8, extract(epoch FROM r.finished_at - r.created_at)::float8
		FROM runs r JOIN run_steps s ON s.run_id = r.id AND s.step_index = 1 AND s.path = ''
		WHERE r.automation_id = $1`, aut.ID)
	if err != nil {
		return row, err
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var g, t float64
		if err := rows.Scan(&status, &g, &t); err != nil {
			return row, err
		}
		if status != "succeeded" {
			return row, fmt.Errorf("a for_each bench run %s", status)
		}
		group, run = append(group, time.Duration(g*float64(time.Second))), append(run, time.Duration(t*float64(time.Second)))
	}
	if err := rows.Err(); err != nil {
		return row, err
	}
	if len(group) == 0 {
		return row, fmt.Errorf("no for_each bench run finished")
	}
	row.GroupMS = distOf(group)
	best := slices.Min(group)
	perSec := func(ms float64) float64 { return float64(records) / (ms / 1000) }
	row.GroupPerSec = perSec(row.GroupMS.P50)
	row.RunPerSec = perSec(distOf(run).P50)
	row.BestGroupPerSec = float64(records) / best.Seconds()
	return row, nil
}
