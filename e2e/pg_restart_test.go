package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/pgcluster"
)

// TestPostgresRestartUnderWrites restarts PostgreSQL (a private cluster of
// the test's own) while records are written at about 200/s through a
// running `rowflow serve`. During the gap the API answers 503 (never
// 500); afterwards every record in the database has exactly one run and
// its webhook, delivered exactly once after dedupe by webhook-id. It
// builds a server and a cluster, so it runs in `make test-reliability`
// (ROWFLOW_RELIABILITY=1) only.
func TestPostgresRestartUnderWrites(t *testing.T) {
	t.Parallel()
	if os.Getenv("ROWFLOW_RELIABILITY") == "" {
		t.Skip("heavy: run with make test-reliability")
	}
	ctx := context.Background()
	bin := rowflowBinary(t)
	// Under the repository's .data (like dbtest's cluster): PostgreSQL's
	// user must be able to reach it, which a private temp dir may forbid.
	root, err := filepath.Abs("../.data")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(root, 0o755))
	parent, err := os.MkdirTemp(root, "pgrestart-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(parent, 0o755))
	dir := filepath.Join(parent, "pg")
	cl, err := pgcluster.Start(ctx, pgcluster.Opts{DataDir: dir, Fast: true})
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = pgcluster.StopDir(context.Background(), dir, nil)
		_ = os.RemoveAll(parent)
	})
	dbURL := cl.URL()

	var mu sync.Mutex
	byMsg, byRecord := map[string]int{}, map[string]int{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			ID string `json:"id"`
		}
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &body)
		mu.Lock()
		byMsg[r.Header.Get("webhook-id")]++
		byRecord[body.ID]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rcv.Close)

	srv := startServe(t, bin, dbURL)
	api := &crashAPI{t: t, base: srv.url}
	base := api.post("/api/v1/bases", map[string]any{"name": "restart"})
	orders := api.post("/api/v1/bases/"+base+"/tables", map[string]any{"name": "Orders", "fields": []any{map[string]any{"name": "Name", "type": "text"}}})
	api.post("/api/v1/bases/"+base+"/automations", map[string]any{
		"name":    "post",
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": orders}},
		"steps": []any{map[string]any{"id": "post", "type": "send_webhook", "config": map[string]any{"url": rcv.URL, "body": map[string]any{"id": "{{trigger.record.id}}"}},
			"retry": map[string]any{"max_attempts": 30, "backoff": map[string]any{"delay_ms": 100, "max_delay_ms": 1000}}}},
	})

	statuses := map[int]int{}
	var answered []string
	stopWriting := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stopWriting:
				return
			case <-tick.C:
			}
			resp, err := api.request("/api/v1/tables/"+orders+"/records", map[string]any{"fields": map[string]any{"Name": fmt.Sprint(i)}})
			if err != nil {
				statuses[-1]++
				continue
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			statuses[resp.StatusCode]++
			if resp.StatusCode == http.StatusCreated {
				var out struct {
					ID string `json:"id"`
				}
				_ = json.Unmarshal(raw, &out)
				answered = append(answered, out.ID)
			}
		}
	}()
	time.Sleep(2 * time.Second) // load before the restart (pacing, not an assertion)
	down := time.Now()
	require.NoError(t, pgcluster.StopDir(ctx, dir, nil))
	time.Sleep(2 * time.Second) // the gap
	_, err = pgcluster.Start(ctx, pgcluster.Opts{DataDir: dir, Fast: true})
	require.NoError(t, err)
	gap := time.Since(down)
	time.Sleep(3 * time.Second) // load after the restart
	close(stopWriting)
	<-writerDone

	pool, err := pgxpool.New(ctx, dbURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	var written int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM records WHERE table_id = $1", orders).Scan(&written))
	require.GreaterOrEqual(t, written, len(answered), "every 201 is in the database")
	require.Eventually(t, func() bool {
		var done int
		_ = pool.QueryRow(ctx, "SELECT count(*) FROM runs WHERE status = 'succeeded'").Scan(&done)
		return done >= written
	}, 3*time.Minute, 50*time.Millisecond, "every written record's run finishes")
	var runs, distinct int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT trigger_data->'record'->>'id') FROM runs`).Scan(&runs, &distinct))
	require.Equal(t, written, runs, "one run per record")
	require.Equal(t, written, distinct)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(byRecord) >= written
	}, time.Minute, 20*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	for _, id := range answered {
		require.GreaterOrEqual(t, byRecord[id], 1, "record %s delivered", id)
	}
	require.Len(t, byMsg, written, "one webhook-id per run")
	redelivered := 0
	for _, n := range byMsg {
		redelivered += n - 1
	}
	require.Zero(t, statuses[http.StatusInternalServerError], "no 500 during the gap: %v", statuses)
	t.Logf("FIGURE PostgreSQL restart (%.1f s gap) under ~200 writes/s: answers %v; %d records in the database (%d answered 201), %d runs, %d delivered, 0 lost, %d redeliveries (same webhook-id)",
		gap.Seconds(), statuses, written, len(answered), runs, len(byMsg), redelivered)
}
