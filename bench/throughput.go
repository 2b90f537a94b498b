package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// ThroughputRow compares rowflow's end-to-end runs/s (record write →
// webhook delivered) with River's raw trivial jobs/s on the same database.
type ThroughputRow struct {
	Runs          int     `json:"runs"`
	RunsPerSec    float64 `json:"runs_per_sec"`
	Lost          int     `json:"lost"`
	Duplicated    int     `json:"duplicated"`
	RiverJobs     int     `json:"river_jobs"`
	RiverJobsSec  float64 `json:"river_jobs_per_sec"`
	RatioToRiver  float64 `json:"ratio_to_river"`
	WriteBatches  int     `json:"write_batches"`
	WriteParallel int     `json:"write_parallel"`
}

// String is the row as printed.
func (r ThroughputRow) String() string {
	return fmt.Sprintf("runs=%d runs_per_sec=%.0f lost=%d dup=%d | river_raw_jobs_per_sec=%.0f | ratio=%.2f",
		r.Runs, r.RunsPerSec, r.Lost, r.Duplicated, r.RiverJobsSec, r.RatioToRiver)
}

// throughput writes total records in batches of 100 from parallel writers
// as fast as the API takes them, and measures first write → last delivery.
func throughput(ctx context.Context, a *api, rcv *receiver, tableID string, total, parallel int) (ThroughputRow, error) {
	rcv.reset()
	batches := total / 100
	row := ThroughputRow{WriteBatches: batches, WriteParallel: parallel}
	var (
		mu    sync.Mutex
		ids   []string
		first error
		wg    sync.WaitGroup
	)
	next := make(chan int)
	start := time.Now()
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				recs := make([]any, 100)
				for i := range recs {
					recs[i] = map[string]any{"fields": map[string]any{"Name": fmt.Sprintf("t%d-%d", b, i), "Status": "Done", "Amount": i}}
				}
				var out struct {
					Items []idOnly `json:"items"`
				}
				err := a.do("POST", "/api/v1/tables/"+tableID+"/records", map[string]any{"records": recs}, &out, 201)
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				for _, it := range out.Items {
					ids = append(ids, it.ID)
				}
				mu.Unlock()
			}
		}()
	}
	for b := 0; b < batches && ctx.Err() == nil; b++ {
		next <- b
	}
	close(next)
	wg.Wait()
	if first != nil {
		return row, first
	}
	rcv.waitFor(ids, time.Now().Add(120*time.Second))
	arrived, lost, dup := rcv.tally(ids)
	var last time.Time
	for _, t := range arrived {
		if t.After(last) {
			last = t
		}
	}
	row.Runs, row.Lost, row.Duplicated = len(ids), lost, dup
	if el := last.Sub(start).Seconds(); el > 0 {
		row.RunsPerSec = float64(len(arrived)) / el
	}
	return row, nil
}

type rawArgs struct {
	N int `json:"n"`
}

func (rawArgs) Kind() string { return "bench_raw" }

// riverRaw measures River alone on the same database: n trivial jobs
// inserted up front, worked by one client (200 workers, 2 ms cooldown).
func riverRaw(ctx context.Context, pool *pgxpool.Pool, n int) (float64, error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[rawArgs]) error { return nil }))
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:        map[string]river.QueueConfig{"bench_raw": {MaxWorkers: 200}},
		Workers:       workers,
		FetchCooldown: 2 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond,
	})
	if err != nil {
		return 0, err
	}
	for done := 0; done < n; {
		batch := make([]river.InsertManyParams, 0, 1000)
		for i := 0; i < 1000 && done < n; i++ {
			batch = append(batch, river.InsertManyParams{Args: rawArgs{N: done}, InsertOpts: &river.InsertOpts{Queue: "bench_raw"}})
			done++
		}
		if _, err := client.InsertMany(ctx, batch); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	if err := client.Start(ctx); err != nil {
		return 0, err
	}
	defer func() {
		sctx, c := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer c()
		_ = client.Stop(sctx)
	}()
	// Poll the table (a subscription drops events under this load).
	var lastAt time.Time
	for deadline := start.Add(120 * time.Second); ; {
		var left int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE kind = 'bench_raw' AND state <> 'completed'").Scan(&left); err != nil {
			return 0, err
		}
		if left == 0 {
			lastAt = time.Now()
			break
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("river raw: %d of %d jobs left after 120 s", left, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return float64(n) / lastAt.Sub(start).Seconds(), nil
}

// dbCommits returns the database's committed transactions so far.
func dbCommits(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var n int64
	err := pool.QueryRow(ctx, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").Scan(&n)
	return n, err
}
