package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ScriptRow is the run_script rows: a trivial script's step time (step
// start → step end, as stored), scripts/s sustained (batches of records,
// each running one trivial script; first write → last step end), and the
// server's resident memory while two scripts each fill their memory limit.
type ScriptRow struct {
	Step          Dist    `json:"step"`
	Runs          int     `json:"runs"`
	ScriptsPerSec float64 `json:"scripts_per_sec"`
	MemoryMB      int     `json:"memory_mb"`
	RSSBeforeMiB  float64 `json:"rss_before_mib"`
	RSSPeakMiB    float64 `json:"rss_peak_mib"`
	RSSAfterMiB   float64 `json:"rss_after_mib"`
	// OverlapMS is how long the two memory-filling scripts ran together.
	OverlapMS float64 `json:"overlap_ms"`
}

// String is the row as printed.
func (r ScriptRow) String() string {
	return fmt.Sprintf("trivial step %s | sustained runs=%d scripts_per_sec=%.0f | 2 scripts × %d MiB (together %.0f ms): rss before=%.0f peak=%.0f after=%.0f MiB",
		r.Step, r.Runs, r.ScriptsPerSec, r.MemoryMB, r.OverlapMS, r.RSSBeforeMiB, r.RSSPeakMiB, r.RSSAfterMiB)
}

// trivialScript reads its input and sets one output.
const trivialScript = "output.set('double', input.config().amount * 2)"

// hungryScript fills its memory limit with 1000-byte strings (every byte
// written: the worst case for resident memory).
const hungryScript = "const a = []; for (;;) a.push('x'.repeat(1000) + a.length)"

// scriptRows measures the run_script rows on a base of their own.
func scriptRows(ctx context.Context, a *api, srv *server, pool *pgxpool.Pool, sequential, total int) (ScriptRow, error) {
	var row ScriptRow
	baseID, tableID, err := a.setupTable("bench scripts")
	if err != nil {
		return row, err
	}
	var aut idOnly
	if err := a.do("POST", "/api/v1/bases/"+baseID+"/automations", map[string]any{
		"name":    "bench script",
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": tableID}},
		"steps": []any{map[string]any{"id": "calc", "type": "run_script", "config": map[string]any{
			"code": trivialScript, "inputs": map[string]any{"amount": "{{trigger.record.fields.Amount}}"}}}},
	}, &aut, 201); err != nil {
		return row, err
	}
	// Step time of sequential single writes.
	for i := 0; i < sequential && ctx.Err() == nil; i++ {
		if err := a.do("POST", "/api/v1/tables/"+tableID+"/records", map[string]any{"fields": map[string]any{"Name": "s", "Amount": i}}, nil, 201); err != nil {
			return row, err
		}
	}
	if err := waitSteps(ctx, pool, aut.ID, sequential); err != nil {
		return row, err
	}
	rows, err := pool.Query(ctx, `SELECT s.finished_at - s.started_at FROM run_steps s JOIN runs r ON r.id = s.run_id
		WHERE r.automation_id = $1 AND s.status = 'succeeded'`, aut.ID)
	if err != nil {
		return row, err
	}
	var ds []time.Duration
	for rows.Next() {
		var d time.Duration
		if err := rows.Scan(&d); err != nil {
			return row, err
		}
		ds = append(ds, d)
	}
	if err := rows.Err(); err != nil {
		return row, err
	}
	row.Step = distOf(ds)

	// Sustained: batches of 100 from 4 writers.
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	next := make(chan int)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				recs := make([]any, 100)
				for i := range recs {
					recs[i] = map[string]any{"fields": map[string]any{"Name": "t", "Amount": b*100 + i}}
				}
				if err := a.do("POST", "/api/v1/tables/"+tableID+"/records", map[string]any{"records": recs}, nil, 201); err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
				}
			}
		}()
	}
	for b := 0; b < total/100 && ctx.Err() == nil; b++ {
		next <- b
	}
	close(next)
	wg.Wait()
	if first != nil {
		return row, first
	}
	if err := waitSteps(ctx, pool, aut.ID, sequential+total); err != nil {
		return row, err
	}
	row.Runs = total
	row.ScriptsPerSec = float64(total) / time.Since(start).Seconds()

	// Two scripts at their full memory limit (the maximum, 256 MiB).
	row.MemoryMB = 256
	var hungry idOnly
	if err := a.do("POST", "/api/v1/bases/"+baseID+"/automations", map[string]any{
		"name":       "bench hungry",
		"trigger":    map[string]any{"type": "record_created", "config": map[string]any{"table_id": tableID}},
		"conditions": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Name", "op": "is", "value": "hungry"}}},
		"steps": []any{map[string]any{"id": "hungry", "type": "run_script", "config": map[string]any{
			"code": hungryScript, "memory_mb": row.MemoryMB, "timeout_ms": 20000}}},
	}, &hungry, 201); err != nil {
		return row, err
	}
	row.RSSBeforeMiB, _ = srv.memory()
	// Two writers, so that the two runs start at once (a batch's runs may
	// be executed one after the other by the writer).
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			errs <- a.do("POST", "/api/v1/tables/"+tableID+"/records", map[string]any{"fields": map[string]any{"Name": "hungry"}}, nil, 201)
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			return row, err
		}
	}
	done := make(chan error, 1)
	go func() { done <- waitSteps(ctx, pool, hungry.ID, 2) }()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if rss, _ := srv.memory(); rss > row.RSSPeakMiB {
				row.RSSPeakMiB = rss
			}
			if err != nil {
				return row, err
			}
			// How long the two scripts ran together.
			if err := pool.QueryRow(ctx, `SELECT greatest(0, extract(epoch FROM least(max(s.finished_at), min(s.finished_at)) - greatest(min(s.started_at), max(s.started_at))) * 1000)
				FROM run_steps s JOIN runs r ON r.id = s.run_id WHERE r.automation_id = $1`, hungry.ID).Scan(&row.OverlapMS); err != nil {
				return row, err
			}
			time.Sleep(time.Second) // let the freed VMs' memory go back
			row.RSSAfterMiB, _ = srv.memory()
			return row, nil
		case <-tick.C:
			if rss, _ := srv.memory(); rss > row.RSSPeakMiB {
				row.RSSPeakMiB = rss
			}
		}
	}
}

// waitSteps waits until the automation has n finished runs.
func waitSteps(ctx context.Context, pool *pgxpool.Pool, automationID string, n int) error {
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		var done int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM runs WHERE automation_id = $1 AND status IN ('succeeded', 'failed')`, automationID).Scan(&done); err != nil {
			return err
		}
		if done >= n {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("only some of %d runs of %s finished in 120 s", n, automationID)
}
