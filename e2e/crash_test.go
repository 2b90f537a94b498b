package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/dbtest"
)

// TestCrashLosesAndDoublesNothing kills `rowflow serve` with SIGKILL while
// records are being written and their runs are in flight, starts it again
// on the same database, and checks that every record that made it into the
// database got exactly one run, exactly one create_record effect, and a
// delivered webhook (at least once, always with the same webhook-id).
func TestCrashLosesAndDoublesNothing(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and kills a real server")
	}
	bin := rowflowBinary(t)
	dbURL := dbtest.NewURL(t)

	var mu sync.Mutex
	byMsg := map[string]int{}
	byRecord := map[string]int{}
	delivered := make(chan struct{}, 10000)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			ID string `json:"id"`
		}
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &body)
		time.Sleep(2 * time.Millisecond) // keep some steps in flight
		mu.Lock()
		byMsg[r.Header.Get("webhook-id")]++
		byRecord[body.ID]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		delivered <- struct{}{}
	}))
	t.Cleanup(rcv.Close)

	srv := startServe(t, bin, dbURL)
	api := &crashAPI{t: t, base: srv.url}
	base := api.post("/api/v1/bases", map[string]any{"name": "crash"})
	orders := api.post("/api/v1/bases/"+base+"/tables", map[string]any{"name": "Orders", "fields": []any{map[string]any{"name": "Name", "type": "text"}}})
	logs := api.post("/api/v1/bases/"+base+"/tables", map[string]any{"name": "Log", "fields": []any{map[string]any{"name": "Order", "type": "text"}}})
	api.post("/api/v1/bases/"+base+"/automations", map[string]any{
		"name":    "log and post",
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": orders}},
		"steps": []any{
			map[string]any{"id": "log", "type": "create_record", "config": map[string]any{"table_id": logs, "fields": map[string]any{"Order": "{{trigger.record.id}}"}}},
			map[string]any{"id": "post", "type": "send_webhook", "config": map[string]any{"url": rcv.URL, "body": map[string]any{"id": "{{trigger.record.id}}"}},
				"retry": map[string]any{"max_attempts": 10, "backoff": map[string]any{"type": "fixed", "delay_ms": 50}}},
		},
	})

	// Write until the server dies under us; kill it once 40 webhooks arrived.
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for i := 0; i < 2000; i++ {
			if !api.tryPost("/api/v1/tables/"+orders+"/records", map[string]any{"fields": map[string]any{"Name": fmt.Sprint(i)}}) {
				return
			}
		}
	}()
	for i := 0; i < 40; i++ {
		select {
		case <-delivered:
		case <-time.After(30 * time.Second):
			t.Fatal("no deliveries before the crash")
		}
	}
	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGKILL))
	_ = srv.cmd.Wait()
	<-writerDone

	// Restart on the same database: stuck steps are rescued (3 s here).
	srv2 := startServe(t, bin, dbURL)
	_ = srv2
	pool, err := pgxpool.New(context.Background(), dbURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	var written int
	require.NoError(t, pool.QueryRow(context.Background(), "SELECT count(*) FROM records WHERE table_id = $1", orders).Scan(&written))
	require.GreaterOrEqual(t, written, 40)
	require.Eventually(t, func() bool {
		var done int
		_ = pool.QueryRow(context.Background(), "SELECT count(*) FROM runs WHERE status = 'succeeded'").Scan(&done)
		return done >= written
	}, 90*time.Second, 50*time.Millisecond, "every written record's run finishes after the restart")

	var runs, distinctRecords, logRows, distinctLogged int
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT trigger_data->'record'->>'id') FROM runs`).Scan(&runs, &distinctRecords))
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT cells) FROM records WHERE table_id = $1`, logs).Scan(&logRows, &distinctLogged))
	require.Equal(t, written, runs, "one run per record: none lost, none doubled")
	require.Equal(t, written, distinctRecords)
	require.Equal(t, written, logRows, "create_record ran exactly once per run, across the crash")
	require.Equal(t, written, distinctLogged)

	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(byMsg) == written
	}, 30*time.Second, 20*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, byRecord, written, "every record's webhook arrived")
	redelivered := 0
	for _, n := range byMsg {
		redelivered += n - 1
	}
	t.Logf("FIGURE kill -9 during a burst: %d records written before the kill; %d runs, %d create_record effects, %d webhook-ids delivered, %d redeliveries (same webhook-id)",
		written, runs, logRows, len(byMsg), redelivered)
}

type serveProc struct {
	cmd *exec.Cmd
	url string
}

// startServe runs `rowflow serve` on a free port with fast rescue settings
// and waits for /readyz; it is stopped (SIGTERM) when the test ends.
func startServe(t *testing.T, bin, dbURL string) *serveProc {
	t.Helper()
	return startServeWith(t, bin, dbURL)
}

// startServeWith is startServe with extra environment (later entries win:
// "ROWFLOW_ROLE=worker", "ROWFLOW_MAX_WORKERS=200"). A worker-only process
// serves no HTTP: it is not waited for, and its url is empty.
func startServeWith(t *testing.T, bin, dbURL string, extra ...string) *serveProc {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve")
	// The data folder (its secret key file) is the test's own, the same
	// across the restart.
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "ROWFLOW_ADDR="+addr, "ROWFLOW_ADMIN_TOKEN=crash-admin-token-0123456789abcdefghij",
		"ROWFLOW_DATA_DIR="+filepath.Join(filepath.Dir(bin), "data"),
		"ROWFLOW_OUTBOUND_ALLOW_CIDRS=127.0.0.0/8", "ROWFLOW_LOG_LEVEL=error", "ROWFLOW_MAX_WORKERS=20", "ROWFLOW_RATE_TOKEN_REQUESTS=0",
		"ROWFLOW_JOB_TIMEOUT=2s", "ROWFLOW_RESCUE_STUCK_JOBS_AFTER=3s", "ROWFLOW_INLINE_BACKSTOP=3s")
	cmd.Env = append(cmd.Env, extra...)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	p := &serveProc{cmd: cmd, url: "http://" + addr}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	if slices.Contains(extra, "ROWFLOW_ROLE=worker") {
		p.url = ""
		return p
	}
	require.Eventually(t, func() bool {
		resp, err := http.Get(p.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 60*time.Second, 20*time.Millisecond, "rowflow serve did not become ready")
	return p
}

// crashAPI is a minimal admin client of a server process.
type crashAPI struct {
	t    *testing.T
	base string
}

func (a *crashAPI) request(path string, body any) (*http.Response, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", a.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer crash-admin-token-0123456789abcdefghij")
	req.Header.Set("Content-Type", "application/json")
	return http.DefaultClient.Do(req)
}

// post requires a 201 and returns the created id.
func (a *crashAPI) post(path string, body any) string {
	a.t.Helper()
	resp, err := a.request(path, body)
	require.NoError(a.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	require.Equal(a.t, http.StatusCreated, resp.StatusCode, "%s", raw)
	var out struct {
		ID string `json:"id"`
	}
	require.NoError(a.t, json.Unmarshal(raw, &out))
	return out.ID
}

// tryPost reports whether the server took the write (false once it is gone).
func (a *crashAPI) tryPost(path string, body any) bool {
	resp, err := a.request(path, body)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusCreated
}
