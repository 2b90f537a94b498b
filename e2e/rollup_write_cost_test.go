package e2e_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRollupWriteCost measures what the stats rollup's triggers
// (migrations/00150_run_rollup.sql) cost the write path: rounds of 1,000
// record writes through the API by 8 concurrent clients, each firing one
// run whose send_webhook step runs inline (its completion statement ends
// the run), with the triggers disabled ("off") and enabled ("on") in ABBA
// order. It reports the writes' p50/p95 and the time until every run
// finished. It runs only with ROWFLOW_ROLLUP_BENCH=1.
func TestRollupWriteCost(t *testing.T) {
	if os.Getenv("ROWFLOW_ROLLUP_BENCH") == "" {
		t.Skip("set ROWFLOW_ROLLUP_BENCH=1 to measure the rollup's cost on the write path")
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer hook.Close()
	f := setup(t)
	f.automation(t, map[string]any{"name": "hook", "trigger": f.trigger("record_created", nil),
		"steps": []any{webhookStep("send", hook.URL+"/in", nil)}})
	pool := f.env.App.Pool
	setTriggers := func(on bool) {
		verb := map[bool]string{true: "ENABLE", false: "DISABLE"}[on]
		_, err := pool.Exec(t.Context(), fmt.Sprintf(`ALTER TABLE runs %[1]s TRIGGER runs_rollup_insert; ALTER TABLE runs %[1]s TRIGGER runs_rollup_end; ALTER TABLE runs %[1]s TRIGGER runs_rollup_reopen`, verb))
		require.NoError(t, err)
	}
	const writes, clients = 1000, 8
	round := func(on bool) (p50, p95, all time.Duration) {
		setTriggers(on)
		return writeCostRound(t, f, writes, clients)
	}
	round(true) // warm-up
	for _, on := range []bool{false, true, true, false, false, true, true, false} {
		p50, p95, all := round(on)
		t.Logf("rollup %-5v: %d writes by %d clients: write p50 %.2f ms, p95 %.2f ms; all runs finished after %v (%.0f runs/s)",
			on, writes, clients, float64(p50.Microseconds())/1000, float64(p95.Microseconds())/1000, all.Round(time.Millisecond), float64(writes)/all.Seconds())
	}
	setTriggers(true)
}
