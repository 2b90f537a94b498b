package e2e_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/dbtest"
)

// TestKillWorkerWithQueuedRuns kills `rowflow serve` (SIGKILL) with 1,000
// runs queued and about a hundred delivered, restarts it on the same
// database, and checks that every run's webhook arrives: 0 lost, repeats
// only with the same webhook-id. It builds and kills a real server, so it
// runs in `make test-reliability` (ROWFLOW_RELIABILITY=1) only.
func TestKillWorkerWithQueuedRuns(t *testing.T) {
	t.Parallel()
	if os.Getenv("ROWFLOW_RELIABILITY") == "" {
		t.Skip("heavy: run with make test-reliability")
	}
	const total = 1000
	bin := rowflowBinary(t)
	dbURL := dbtest.NewURL(t)

	var mu sync.Mutex
	byMsg := map[string]int{}
	gate := make(chan struct{})
	delivered := make(chan struct{}, 4*total)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-gate
		time.Sleep(time.Millisecond) // keep some steps in flight
		mu.Lock()
		byMsg[r.Header.Get("webhook-id")]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		delivered <- struct{}{}
	}))
	t.Cleanup(rcv.Close)
	var once sync.Once
	release := func() { once.Do(func() { close(gate) }) }
	t.Cleanup(release)

	srv := startServe(t, bin, dbURL)
	api := &crashAPI{t: t, base: srv.url}
	base := api.post("/api/v1/bases", map[string]any{"name": "queue"})
	orders := api.post("/api/v1/bases/"+base+"/tables", map[string]any{"name": "Orders", "fields": []any{map[string]any{"name": "Name", "type": "text"}}})
	api.post("/api/v1/bases/"+base+"/automations", map[string]any{
		"name":    "post",
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": orders}},
		"steps": []any{map[string]any{"id": "post", "type": "send_webhook", "config": map[string]any{"url": rcv.URL, "body": map[string]any{"id": "{{trigger.record.id}}"}},
			"retry": map[string]any{"max_attempts": 20, "backoff": map[string]any{"type": "fixed", "delay_ms": 50}}}},
	})
	for b := 0; b < total/100; b++ {
		recs := make([]any, 100)
		for i := range recs {
			recs[i] = map[string]any{"fields": map[string]any{"Name": fmt.Sprint(b*100 + i)}}
		}
		resp, err := api.request("/api/v1/tables/"+orders+"/records", map[string]any{"records": recs})
		require.NoError(t, err)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusCreated, resp.StatusCode, "%s", raw)
	}
	release()
	for range 100 {
		select {
		case <-delivered:
		case <-time.After(60 * time.Second):
			t.Fatal("no deliveries before the kill")
		}
	}
	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGKILL))
	_ = srv.cmd.Wait()
	mu.Lock()
	atKill := len(byMsg)
	mu.Unlock()
	killed := time.Now()

	startServe(t, bin, dbURL)
	pool, err := pgxpool.New(context.Background(), dbURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(byMsg) >= total
	}, 3*time.Minute, 50*time.Millisecond, "every queued run's webhook arrives after the restart")
	recovered := time.Since(killed)
	require.Eventually(t, func() bool {
		var done int
		_ = pool.QueryRow(context.Background(), "SELECT count(*) FROM runs WHERE status = 'succeeded'").Scan(&done)
		return done == total
	}, time.Minute, 50*time.Millisecond)
	var runs int
	require.NoError(t, pool.QueryRow(context.Background(), "SELECT count(*) FROM runs").Scan(&runs))
	require.Equal(t, total, runs, "one run per record")
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, byMsg, total)
	redelivered := 0
	for _, n := range byMsg {
		redelivered += n - 1
	}
	t.Logf("FIGURE kill -9 with %d queued runs (%d delivered before the kill): %d delivered in all, 0 lost, %d redeliveries (same webhook-id); all delivered %.1f s after the kill (restart, rescue after 3 s)",
		total, atKill, len(byMsg), redelivered, recovered.Seconds())
}
