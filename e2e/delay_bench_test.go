package e2e_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rowflow/rowflow/apptest"
)

// BenchmarkDelayZeroOverhead is the cost of a `delay: 0s` step: the time
// from a record's create to the delivery of its run's last webhook step,
// for [webhook, webhook] and [webhook, delay 0s, webhook] (the last step
// is a River job in both; the delay adds one step and one job hop).
// Run: go test ./e2e -run '^$' -bench DelayZero -benchtime 200x.
func BenchmarkDelayZeroOverhead(b *testing.B) {
	for _, tc := range []struct {
		name  string
		delay bool
	}{{"without_delay", false}, {"with_delay_0s", true}} {
		b.Run(tc.name, func(b *testing.B) {
			env := apptest.Start(b)
			got := make(chan struct{}, 1024)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/last" {
					got <- struct{}{}
				}
				w.WriteHeader(http.StatusOK)
			}))
			defer srv.Close()
			base := env.JSON("POST", "/api/v1/bases", map[string]any{"name": "B"}, 201)
			tb := env.JSON("POST", "/api/v1/bases/"+base["id"].(string)+"/tables", map[string]any{"name": "T",
				"fields": []any{map[string]any{"name": "Name", "type": "text"}}}, 201)
			hook := func(id, path string) map[string]any {
				return map[string]any{"id": id, "type": "send_webhook", "config": map[string]any{"url": srv.URL + path, "body": map[string]any{"n": "{{trigger.record.id}}"}}}
			}
			steps := []any{hook("a", "/first")}
			if tc.delay {
				steps = append(steps, map[string]any{"id": "pause", "type": "delay", "config": map[string]any{"for": "0s"}})
			}
			steps = append(steps, hook("b", "/last"))
			env.JSON("POST", "/api/v1/bases/"+base["id"].(string)+"/automations", map[string]any{"name": "a", "enabled": true,
				"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": tb["id"]}}, "steps": steps}, 201)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				env.JSON("POST", "/api/v1/tables/"+tb["id"].(string)+"/records", map[string]any{"fields": map[string]any{"Name": "x"}}, 201)
				select {
				case <-got:
				case <-time.After(30 * time.Second):
					b.Fatal("no delivery")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/run")
		})
	}
}
