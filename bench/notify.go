package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// NotifyRow is the notify_user → SSE row: records written at a fixed rate
// fire an automation whose one step is notify_user; one client holds the
// user's notification stream open. (a) the notification's transaction
// (notifications.created_at, taken when the step's completion transaction
// begins, so an upper bound of commit → event) → the event read by the
// client; (b) the write's API response → the event.
type NotifyRow struct {
	Rate       int     `json:"rate"`
	Sent       int     `json:"sent"`
	Received   int     `json:"received"`
	Lost       int     `json:"lost"`
	TxToEvent  Dist    `json:"notification_tx_to_sse_event"`
	RespToEvnt Dist    `json:"response_to_sse_event"`
	Seconds    float64 `json:"seconds"`
}

// String is the row as printed.
func (r NotifyRow) String() string {
	return fmt.Sprintf("rate=%d sent=%d received=%d lost=%d | notification tx → SSE event %s | API response → SSE event %s",
		r.Rate, r.Sent, r.Received, r.Lost, r.TxToEvent, r.RespToEvnt)
}

// notifyLatency measures NotifyRow at rate writes/s for dur.
func notifyLatency(ctx context.Context, a *api, rate int, dur time.Duration) (NotifyRow, error) {
	baseID, tableID, err := a.setupTable("bench notify")
	if err != nil {
		return NotifyRow{}, err
	}
	var user idOnly
	if err := a.do("POST", "/api/v1/users", map[string]any{"email": fmt.Sprintf("bench-%d@example.com", time.Now().UnixNano())}, &user, 201); err != nil {
		return NotifyRow{}, err
	}
	var tok struct {
		Token string `json:"token"`
	}
	if err := a.do("POST", "/api/v1/tokens", map[string]any{"name": "bench notify", "role": "viewer", "user_id": user.ID}, &tok, 201); err != nil {
		return NotifyRow{}, err
	}
	if err := a.do("POST", "/api/v1/bases/"+baseID+"/automations", map[string]any{
		"name":    "bench notify",
		"trigger": map[string]any{"type": "record_created", "config": map[string]any{"table_id": tableID}},
		"steps": []any{map[string]any{"id": "tell", "type": "notify_user", "config": map[string]any{
			"user": user.ID, "title": "New {{trigger.record.fields.Name}}", "link": "/records/{{trigger.record.id}}",
		}}},
	}, nil, 201); err != nil {
		return NotifyRow{}, err
	}

	// The stream: record id → (arrival, notification created_at).
	type got struct{ at, created time.Time }
	var (
		mu      sync.Mutex
		arrived = map[string]got{}
	)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(sctx, "GET", a.base+"/api/v1/notifications/stream", nil)
	if err != nil {
		return NotifyRow{}, err
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		return NotifyRow{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return NotifyRow{}, fmt.Errorf("notification stream: %s", resp.Status)
	}
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "data: ") {
				continue
			}
			now := time.Now()
			var n struct {
				RecordID  string    `json:"record_id"`
				CreatedAt time.Time `json:"created_at"`
			}
			if json.Unmarshal([]byte(line[len("data: "):]), &n) == nil {
				mu.Lock()
				arrived[n.RecordID] = got{at: now, created: n.CreatedAt}
				mu.Unlock()
			}
		}
	}()

	n := int(float64(rate) * dur.Seconds())
	interval := time.Second / time.Duration(rate)
	answered := map[string]time.Time{}
	var wg sync.WaitGroup
	var first error
	start := time.Now()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var r idOnly
			err := a.do("POST", "/api/v1/tables/"+tableID+"/records", map[string]any{"fields": map[string]any{"Name": fmt.Sprintf("order %d", i)}}, &r, 201)
			t := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
				}
				return
			}
			answered[r.ID] = t
		}(i)
	}
	wg.Wait()
	row := NotifyRow{Rate: rate, Seconds: time.Since(start).Seconds()}
	if first != nil {
		return row, first
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		done := len(arrived) >= len(answered)
		mu.Unlock()
		if done {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	var tx, rsp []time.Duration
	for id, t := range answered {
		g, ok := arrived[id]
		if !ok {
			row.Lost++
			continue
		}
		tx = append(tx, max(0, g.at.Sub(g.created)))
		rsp = append(rsp, max(0, g.at.Sub(t)))
	}
	row.Sent, row.Received = len(answered), len(answered)-row.Lost
	row.TxToEvent, row.RespToEvnt = distOf(tx), distOf(rsp)
	return row, nil
}
