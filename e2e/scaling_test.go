package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/dbtest"
)

// scalingWrites is the writes of each deployment in
// TestManyProcessesDoubleNothing: ROWFLOW_SCALING_WRITES, default 3,000.
func scalingWrites() int {
	if n, err := strconv.Atoi(os.Getenv("ROWFLOW_SCALING_WRITES")); err == nil && n > 0 {
		return n
	}
	return 3000
}

// TestManyProcessesDoubleNothing runs the same load — 3,000 single-record
// writes from 16 concurrent clients, each firing a run of two steps
// (create_record into a log table, then send_webhook) — against one
// `rowflow serve` process (role all), and then against two API processes
// and three worker processes on one database (the writes spread over both
// APIs). In each: one run per write, one log row per run, and every
// webhook-id delivered exactly once (0 duplicate effects). It prints each
// deployment's throughput (writes → all webhooks delivered) and the ratio.
// Every process has the production defaults (200 workers, 40
// connections, 60 s job timeout, 90 s backstop and rescue).
// make test-reliability only: it builds and runs six servers.
func TestManyProcessesDoubleNothing(t *testing.T) {
	t.Parallel()
	if os.Getenv("ROWFLOW_RELIABILITY") == "" {
		t.Skip("heavy: run with make test-reliability")
	}
	bin := rowflowBinary(t)
	prod := []string{"ROWFLOW_MAX_WORKERS=200", "ROWFLOW_POOL_MAX_CONNS=40", "ROWFLOW_JOB_TIMEOUT=60s", "ROWFLOW_INLINE_BACKSTOP=90s", "ROWFLOW_RESCUE_STUCK_JOBS_AFTER=90s"}

	one := func(t *testing.T) []string {
		dbURL := dbtest.NewURL(t)
		srv := startServeWith(t, bin, dbURL, prod...)
		return []string{dbURL, srv.url}
	}
	many := func(t *testing.T) []string {
		dbURL := dbtest.NewURL(t)
		urls := []string{dbURL}
		for range 2 {
			urls = append(urls, startServeWith(t, bin, dbURL, append(prod, "ROWFLOW_ROLE=api")...).url)
		}
		for range 3 {
			startServeWith(t, bin, dbURL, append(prod, "ROWFLOW_ROLE=worker")...)
		}
		return urls
	}
	var single, split float64
	t.Run("one_process", func(t *testing.T) { single = processLoad(t, "1 process (all)", one(t)) })
	t.Run("two_api_three_workers", func(t *testing.T) { split = processLoad(t, "2 API + 3 worker processes", many(t)) })
	if single > 0 && split > 0 {
		t.Logf("FIGURE scaling: 2 API + 3 worker processes deliver %.0f runs/s vs %.0f runs/s for one process: %.2fx (2-core machine shared by all six processes and PostgreSQL)",
			split, single, split/single)
	}
}

// processLoad creates an automation through the first API of urls (the
// database URL, then the APIs' base URLs), writes scalingWrites() records
// spread over the APIs from 16 clients, waits for every webhook and checks
// that nothing ran twice. It returns the runs per second from the first
// write to the last delivery.
func processLoad(t *testing.T, label string, urls []string) float64 {
	dbURL, apis := urls[0], urls[1:]
	total := scalingWrites()
	var mu sync.Mutex
	byMsg := map[string]int{}
	var last atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		byMsg[r.Header.Get("webhook-id")]++
		mu.Unlock()
		last.Store(time.Now().UnixNano())
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rcv.Close)
	api := &crashAPI{t: t, base: apis[0]}
	base := api.post("/api/v1/bases", map[string]any{"name": "scale"})
	orders := api.post("/api/v1/bases/"+base+"/tables", map[string]any{"name": "Orders", "fields": []any{map[string]any{"name": "Name", "type": "text"}}})
	logs := api.post("/api/v1/bases/"+base+"/tables", map[string]any{"name": "Log", "fields": []any{map[string]any{"name": "Order", "type": "text"}}})
	api.post("/api/v1/bases/"+base+"/automations", map[string]any{
		"name":    "log and post",
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": orders}},
		"steps": []any{
			map[string]any{"id": "log", "type": "create_record", "config": map[string]any{"table_id": logs, "fields": map[string]any{"Order": "{{trigger.record.id}}"}}},
			map[string]any{"id": "post", "type": "send_webhook", "config": map[string]any{"url": rcv.URL, "body": map[string]any{"id": "{{trigger.record.id}}"}}},
		},
	})
	// Each API process reads the automation from the database; let the
	// others see it before writing (their caches are checked by version).
	time.Sleep(200 * time.Millisecond)

	const clients = 16
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := &crashAPI{t: t, base: apis[c%len(apis)]}
			for i := next.Add(1); i <= int64(total); i = next.Add(1) {
				resp, err := a.request("/api/v1/tables/"+orders+"/records", map[string]any{"fields": map[string]any{"Name": fmt.Sprint(i)}})
				if !assertCreated(t, resp, err) {
					return
				}
			}
		}()
	}
	wg.Wait()
	written := time.Since(start)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(byMsg) >= total
	}, 5*time.Minute, 20*time.Millisecond, "every webhook arrives")
	elapsed := time.Unix(0, last.Load()).Sub(start)

	pool, err := pgxpool.New(context.Background(), dbURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.Eventually(t, func() bool {
		var done int
		_ = pool.QueryRow(context.Background(), "SELECT count(*) FROM runs WHERE status = 'succeeded'").Scan(&done)
		return done == total
	}, time.Minute, 50*time.Millisecond, "every run succeeds")
	var runs, distinctRecords, logRows, distinctLogged int
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT trigger_data->'record'->>'id') FROM runs`).Scan(&runs, &distinctRecords))
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT cells) FROM records WHERE table_id = $1`, logs).Scan(&logRows, &distinctLogged))
	require.Equal(t, total, runs, "one run per write")
	require.Equal(t, total, distinctRecords)
	require.Equal(t, total, logRows, "create_record ran once per run")
	require.Equal(t, total, distinctLogged)
	time.Sleep(500 * time.Millisecond) // a late duplicate would arrive now
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, byMsg, total)
	dups := 0
	for _, n := range byMsg {
		dups += n - 1
	}
	require.Zero(t, dups, "every webhook-id delivered exactly once")
	rate := float64(total) / elapsed.Seconds()
	t.Logf("FIGURE %s: %d writes from %d clients in %.1f s, all delivered after %.1f s (%.0f runs/s); %d runs, %d create_record effects, %d webhook-ids, 0 duplicates",
		label, total, clients, written.Seconds(), elapsed.Seconds(), rate, runs, logRows, len(byMsg))
	return rate
}

// assertCreated reports whether a write answered 201, failing the test
// (without stopping other goroutines) when not.
func assertCreated(t *testing.T, resp *http.Response, err error) bool {
	if err != nil {
		t.Errorf("write: %v", err)
		return false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		var p map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&p)
		t.Errorf("write answered %d: %v", resp.StatusCode, p)
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return true
}

// TestRecordStepsDoNotStarveThePool: 100 create_record steps at once on
// 50 workers and 4 database connections all succeed. A record action runs
// inside the transaction that completes its step; its reads of the table
// definition used to take a second pool connection while that
// transaction held one, so with more workers than connections every
// connection ended up held by a step waiting for another, until the job
// timeout (TestManyProcessesDoubleNothing found it: 857 of 1,143 runs
// stuck with the production defaults, 200 workers and 40 connections).
func TestRecordStepsDoNotStarveThePool(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *app.Config) {
		c.MaxWorkers, c.PoolMaxConns = 50, 4
		c.JobTimeout, c.InlineBackstop = 5*time.Second, 0 // every step is a River job
	})
	logs := f.table(t, "Log", map[string]any{"name": "Order", "type": "text"})
	aut := f.automation(t, map[string]any{"name": "log", "trigger": f.trigger("record_created", nil),
		"steps": []any{map[string]any{"id": "log", "type": "create_record",
			"config": map[string]any{"table_id": logs["id"], "fields": map[string]any{"Order": "{{trigger.record.id}}"}}}}})
	batch := make([]map[string]any, 100)
	for i := range batch {
		batch[i] = map[string]any{"Name": strconv.Itoa(i)}
	}
	start := time.Now()
	f.createBatch(t, batch...)
	var done, failed int
	require.Eventually(t, func() bool {
		require.NoError(t, f.env.App.Pool.QueryRow(context.Background(),
			`SELECT count(*) FILTER (WHERE status = 'succeeded'), count(*) FILTER (WHERE status = 'failed') FROM runs WHERE automation_id = $1`, aut).Scan(&done, &failed))
		return done+failed == 100
	}, 30*time.Second, 50*time.Millisecond, "every run ends")
	require.Zero(t, failed, "no step timed out waiting for a connection")
	t.Logf("100 create_record steps on 50 workers and 4 connections done in %.1f s", time.Since(start).Seconds())
}
