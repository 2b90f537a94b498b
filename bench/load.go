package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// LatencyRow is one fixed-rate run: (a) write transaction → first step
// start, from the database's timestamps; (b) API response → webhook
// arrival at the receiver, from this process's clock.
type LatencyRow struct {
	Rate          int     `json:"rate"`
	Seconds       float64 `json:"seconds"`
	Sent          int     `json:"sent"`
	Delivered     int     `json:"delivered"`
	Lost          int     `json:"lost"`
	Duplicated    int     `json:"duplicated"`
	WriteLatency  Dist    `json:"write_latency"`
	CommitToStart Dist    `json:"commit_to_step_start"`
	Arrival       Dist    `json:"response_to_arrival"`
}

// String is the row as printed; scripts read rate= and arrival_p99=.
func (r LatencyRow) String() string {
	return fmt.Sprintf("rate=%d sent=%d delivered=%d lost=%d dup=%d | commit→start %s | arrival_p50=%.2f arrival_p95=%.2f arrival_p99=%.2f arrival_max=%.2f | write p50=%.2f p99=%.2f",
		r.Rate, r.Sent, r.Delivered, r.Lost, r.Duplicated, r.CommitToStart, r.Arrival.P50, r.Arrival.P95, r.Arrival.P99, r.Arrival.Max, r.WriteLatency.P50, r.WriteLatency.P99)
}

// fixedRate writes records at rate/s for dur through the API (open loop:
// a request is sent on schedule whether or not earlier ones answered) and
// measures both latencies once every delivery arrived or the grace passed.
func fixedRate(ctx context.Context, a *api, pool *pgxpool.Pool, rcv *receiver, tableID string, rate int, dur time.Duration) (LatencyRow, error) {
	rcv.reset()
	n := int(float64(rate) * dur.Seconds())
	interval := time.Second / time.Duration(rate)
	type sent struct {
		id       string
		answered time.Time
		took     time.Duration
	}
	var (
		mu    sync.Mutex
		out   []sent
		errs  int
		first error
		wg    sync.WaitGroup
	)
	sem := make(chan struct{}, 256)
	start := time.Now()
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			t0 := time.Now()
			var r idOnly
			err := a.do("POST", "/api/v1/tables/"+tableID+"/records", map[string]any{"fields": map[string]any{
				"Name": fmt.Sprintf("order %d", i), "Status": "Done", "Amount": i,
			}}, &r, 201)
			t1 := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs++
				if first == nil {
					first = err
				}
				return
			}
			out = append(out, sent{id: r.ID, answered: t1, took: t1.Sub(t0)})
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	if first != nil {
		return LatencyRow{}, fmt.Errorf("%d writes failed at %d/s, first: %w", errs, rate, first)
	}
	ids := make([]string, len(out))
	for i, s := range out {
		ids[i] = s.id
	}
	rcv.waitFor(ids, time.Now().Add(30*time.Second))
	arrived, lost, dup := rcv.tally(ids)
	row := LatencyRow{Rate: rate, Seconds: elapsed.Seconds(), Sent: len(out), Delivered: len(arrived), Lost: lost, Duplicated: dup}
	var writes, arrivals []time.Duration
	for _, s := range out {
		writes = append(writes, s.took)
		if t, ok := arrived[s.id]; ok {
			arrivals = append(arrivals, max(0, t.Sub(s.answered)))
		}
	}
	row.WriteLatency, row.Arrival = distOf(writes), distOf(arrivals)
	starts, err := commitToStart(ctx, pool, ids)
	if err != nil {
		return row, err
	}
	row.CommitToStart = distOf(starts)
	return row, nil
}

// commitToStart reads, for each record, the time from its write
// transaction (records.created_at) to its run's first step start.
func commitToStart(ctx context.Context, pool *pgxpool.Pool, ids []string) ([]time.Duration, error) {
	rows, err := pool.Query(ctx, `
		SELECT extract(epoch FROM (s.started_at - r.created_at))
		FROM records r
		JOIN runs ru ON ru.trigger_data -> 'record' ->> 'id' = r.id
		JOIN run_steps s ON s.run_id = ru.id AND s.step_index = 0
		WHERE r.id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("reading step start times: %w", err)
	}
	defer rows.Close()
	var out []time.Duration
	for rows.Next() {
		var sec float64
		if err := rows.Scan(&sec); err != nil {
			return nil, err
		}
		out = append(out, time.Duration(sec*float64(time.Second)))
	}
	return out, rows.Err()
}
