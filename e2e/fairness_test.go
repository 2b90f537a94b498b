package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/apptest"
	"github.com/rowflow/rowflow/automation"
)

// fairnessRecords is the size of TestBatchImportIsFairToOtherBases's import:
// ROWFLOW_FAIRNESS_RECORDS, default 50,000.
func fairnessRecords() int {
	if n, err := strconv.Atoi(os.Getenv("ROWFLOW_FAIRNESS_RECORDS")); err == nil && n > 0 {
		return n
	}
	return 50_000
}

// TestBatchImportIsFairToOtherBases: base A imports 50,000 records in
// batches of 100 (two importers at once), each firing a webhook run, while
// base B writes single records, each firing a webhook run too, and prints
// B's commit → first step start p50 and p99 idle and under the import.
// Two deployments: one process (role all, production defaults: 200
// workers, 40 connections), and an API process with a worker process,
// where every event and step goes through River. It fails when B's p99
// under the import passes 4× its idle value plus 20 ms: B's work queued
// behind A's (before bulk priorities, automation/fairness.go, B's p99 was
// 42.8 s behind the import's 50,000 River jobs), or waited for a machine
// the import took whole (before the bulk queue and its gate: p99 39 ms in
// one process, 170 ms with API + worker, 24× and 32× idle). Issue #16
// asks ≤ 2× idle; docs/reliability.md has the figures. make
// test-reliability only.
func TestBatchImportIsFairToOtherBases(t *testing.T) {
	t.Parallel()
	if os.Getenv("ROWFLOW_RELIABILITY") == "" {
		t.Skip("heavy: run with make test-reliability")
	}
	for _, split := range []bool{false, true} {
		name := "one_process"
		if split {
			name = "api_and_worker"
		}
		if only := os.Getenv("ROWFLOW_FAIRNESS_ONLY"); only != "" && only != name {
			continue
		}
		t.Run(name, func(t *testing.T) { batchImportFairness(t, split) })
	}
}

// batchImportFairness is TestBatchImportIsFairToOtherBases on one process
// or (split) on an API process and a worker process.
func batchImportFairness(t *testing.T, split bool) {
	prod := func(c *app.Config) { c.MaxWorkers, c.PoolMaxConns = 200, 40 }
	var env *apptest.Env
	if split {
		env = apptest.Start(t, prod, func(c *app.Config) { c.Role = "api" })
		apptest.Start(t, prod, func(c *app.Config) { c.DatabaseURL, c.Role = env.App.Config.DatabaseURL, "worker" })
	} else {
		env = apptest.Start(t, prod)
	}
	var delivered atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		delivered.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rcv.Close)
	a, b := setupOn(t, env), setupOn(t, env)
	for _, f := range []*fixture{a, b} {
		f.automation(t, map[string]any{"name": "post", "trigger": f.trigger("record_created", nil),
			"steps": []any{webhookStep("post", rcv.URL, nil)}})
	}

	// probe writes single records on B every `every` until stop, and returns their ids.
	probe := func(n int, every time.Duration, stop <-chan struct{}) []string {
		var ids []string
		tick := time.NewTicker(every)
		defer tick.Stop()
		for i := 0; n == 0 || i < n; i++ {
			ids = append(ids, b.create(t, map[string]any{"Name": "probe"}))
			select {
			case <-tick.C:
			case <-stop:
				return ids
			}
		}
		return ids
	}
	idle := probe(150, 40*time.Millisecond, nil)
	waitDelivered(t, &delivered, len(idle))
	idleP50, idleP99 := commitToStepPercentiles(t, env, idle)

	total := fairnessRecords()
	const importers = 2
	var next atomic.Int64
	var wg sync.WaitGroup
	importStart := time.Now()
	for range importers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(100) <= int64(total) {
				recs := make([]map[string]any, 100)
				for i := range recs {
					recs[i] = map[string]any{"Name": "import"}
				}
				a.createBatch(t, recs...)
			}
		}()
	}
	stop := make(chan struct{})
	var loaded []string
	probed := make(chan struct{})
	go func() {
		defer close(probed)
		loaded = probe(0, 100*time.Millisecond, stop)
	}()
	wg.Wait()
	imported := time.Since(importStart)
	// Keep probing while A's runs drain: that is when B's runs compete.
	waitDelivered(t, &delivered, len(idle)+total)
	drained := time.Since(importStart)
	close(stop)
	<-probed
	waitDelivered(t, &delivered, len(idle)+total+len(loaded))
	loadP50, loadP99 := commitToStepPercentiles(t, env, loaded)
	t.Logf("FIGURE fairness (%s): %d records imported on base A in %.1f s (%d importers, batches of 100), their %d runs done after %.1f s; base B commit → step: idle p50 %.1f ms p99 %.1f ms (%d writes); under the import p50 %.1f ms p99 %.1f ms (%d writes); p99 ratio %.2f",
		t.Name(), total, imported.Seconds(), importers, total, drained.Seconds(), ms(idleP50), ms(idleP99), len(idle), ms(loadP50), ms(loadP99), len(loaded), float64(loadP99)/float64(idleP99))
	require.LessOrEqual(t, loadP99, 4*idleP99+20*time.Millisecond, "base B's work neither queues behind base A's import nor waits for the machine it takes")
}

// waitDelivered waits until n webhooks arrived.
func waitDelivered(t *testing.T, delivered *atomic.Int64, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return delivered.Load() >= int64(n) }, 10*time.Minute, 50*time.Millisecond,
		fmt.Sprintf("waiting for %d deliveries", n))
}

// commitToStepPercentiles is the p50 and p99 of records.created_at → the
// first step's started_at of the runs of the records ids.
func commitToStepPercentiles(t *testing.T, env *apptest.Env, ids []string) (p50, p99 time.Duration) {
	t.Helper()
	var s50, s99 float64
	var n int
	require.NoError(t, env.App.Pool.QueryRow(context.Background(), `
		SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.99) WITHIN GROUP (ORDER BY d)
		FROM (SELECT extract(epoch FROM (s.started_at - r.created_at)) AS d
		        FROM records r
		        JOIN runs ru ON ru.trigger_data -> 'record' ->> 'id' = r.id
		        JOIN run_steps s ON s.run_id = ru.id AND s.step_index = 0
		       WHERE r.id = ANY($1)) x`, ids).Scan(&n, &s50, &s99))
	require.Equal(t, len(ids), n, "every probe's run started")
	return time.Duration(s50 * float64(time.Second)), time.Duration(s99 * float64(time.Second))
}

// TestBulkWritesQueueBehindSingleWrites: the River jobs of a write of
// several records — its event, and every step of the runs it starts — go
// to queue automation.BulkQueue with priority automation.BulkPriority, so
// they have workers of their own (few) and single writes' work keeps the
// default queue's; a single write's jobs stay in the default queue with
// priority 1. All are worked (completed). An API process and a worker
// process, so every event is a River job.
func TestBulkWritesQueueBehindSingleWrites(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *app.Config) { c.Role = "api" })
	apptest.Start(t, func(c *app.Config) { c.DatabaseURL, c.Role = f.env.App.Config.DatabaseURL, "worker" })
	rcv := newReceiver(t)
	aut := f.automation(t, map[string]any{"name": "two steps", "trigger": f.trigger("record_created", nil),
		"steps": []any{webhookStep("first", rcv.URL, nil), webhookStep("second", rcv.URL, nil)}})
	batch := make([]map[string]any, 5) // more than the runs one event executes inline
	for i := range batch {
		batch[i] = map[string]any{"Name": "bulk"}
	}
	f.createBatch(t, batch...)
	f.create(t, map[string]any{"Name": "single"})
	f.waitExactly(t, aut, 6)
	queues := func(kind string) map[string]int {
		out := map[string]int{}
		rows, err := f.env.App.Pool.Query(context.Background(),
			`SELECT queue || '/' || priority, count(*) FROM river_job WHERE kind = $1 AND state = 'completed' GROUP BY 1`, kind)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			var q string
			var n int
			require.NoError(t, rows.Scan(&q, &n))
			out[q] = n
		}
		require.NoError(t, rows.Err())
		return out
	}
	bulk := automation.BulkQueue + "/" + strconv.Itoa(automation.BulkPriority)
	// River marks a job completed shortly after its work returned.
	events, steps := map[string]int{"default/1": 1, bulk: 1}, map[string]int{"default/1": 1, bulk: 10}
	require.Eventually(t, func() bool { return reflect.DeepEqual(queues("record_event"), events) }, 10*time.Second, 20*time.Millisecond,
		"the batch's event is bulk, the single write's is not: %v", queues("record_event"))
	// The batch's 5 runs: both steps are River jobs of bulk priority. The
	// single write's run executes its first step inline (no job) and its
	// second step is a job of priority 1.
	require.Eventually(t, func() bool { return reflect.DeepEqual(queues("run_step"), steps) }, 10*time.Second, 20*time.Millisecond,
		"step jobs: %v", queues("run_step"))
}
