package bench

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// receiver is the local webhook endpoint: it records when each record's
// delivery arrived and how many times.
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	arrived map[string]time.Time
	count   map[string]int
	total   int
	notify  chan struct{}
}

func newReceiver() *receiver {
	r := &receiver{arrived: map[string]time.Time{}, count: map[string]int{}, notify: make(chan struct{}, 1)}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		now := time.Now()
		raw, _ := io.ReadAll(req.Body)
		var body struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &body)
		r.mu.Lock()
		if _, ok := r.arrived[body.ID]; !ok {
			r.arrived[body.ID] = now
		}
		r.count[body.ID]++
		r.total++
		r.mu.Unlock()
		select {
		case r.notify <- struct{}{}:
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	r.srv.Config.SetKeepAlivesEnabled(true)
	r.srv.Start()
	return r
}

// reset forgets every delivery.
func (r *receiver) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.arrived, r.count, r.total = map[string]time.Time{}, map[string]int{}, 0
}

// waitFor waits until every id has arrived or the deadline passes.
func (r *receiver) waitFor(ids []string, deadline time.Time) {
	for time.Now().Before(deadline) {
		r.mu.Lock()
		missing := 0
		for _, id := range ids {
			if _, ok := r.arrived[id]; !ok {
				missing++
			}
		}
		r.mu.Unlock()
		if missing == 0 {
			return
		}
		select {
		case <-r.notify:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// tally returns arrival times of ids, and counts of lost and duplicated.
func (r *receiver) tally(ids []string) (map[string]time.Time, int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]time.Time{}
	lost, dup := 0, 0
	for _, id := range ids {
		t, ok := r.arrived[id]
		if !ok {
			lost++
			continue
		}
		out[id] = t
		dup += r.count[id] - 1
	}
	return out, lost, dup
}
