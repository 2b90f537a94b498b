package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rowflow/rowflow/webhook"
)

// IncomingRow is one fixed-rate run of signed requests to an incoming
// webhook: answer latency at the sender, and request stored (the
// webhook_requests row, written in the answering transaction) → the run's
// first step start, from the database's timestamps.
type IncomingRow struct {
	Rate           int     `json:"rate"`
	Seconds        float64 `json:"seconds"`
	Sent           int     `json:"sent"`
	Delivered      int     `json:"delivered"`
	Lost           int     `json:"lost"`
	Duplicated     int     `json:"duplicated"`
	Answer         Dist    `json:"answer"`
	RequestToStart Dist    `json:"request_to_step_start"`
}

// String is the row as printed.
func (r IncomingRow) String() string {
	return fmt.Sprintf("rate=%d sent=%d delivered=%d lost=%d dup=%d | request→step start %s | answer p50=%.2f p99=%.2f",
		r.Rate, r.Sent, r.Delivered, r.Lost, r.Duplicated, r.RequestToStart, r.Answer.P50, r.Answer.P99)
}

// IncomingThroughput is signed requests sent by parallel senders as fast
// as they are answered: accepted (202) per second, and how many accepted
// requests lack their stored row or run (lost).
type IncomingThroughput struct {
	Requests    int     `json:"requests"`
	Parallel    int     `json:"parallel"`
	Seconds     float64 `json:"seconds"`
	AcceptedSec float64 `json:"accepted_per_sec"`
	Lost        int     `json:"lost"`
	Answer      Dist    `json:"answer"`
}

// String is the row as printed.
func (r IncomingThroughput) String() string {
	return fmt.Sprintf("requests=%d parallel=%d accepted/s=%.0f lost=%d | answer p50=%.2f p99=%.2f",
		r.Requests, r.Parallel, r.AcceptedSec, r.Lost, r.Answer.P50, r.Answer.P99)
}

// IncomingResult is the incoming-webhook rows.
type IncomingResult struct {
	Latency    []IncomingRow      `json:"latency"`
	Throughput IncomingThroughput `json:"throughput"`
}

// hookClient sends signed requests to one hmac webhook.
type hookClient struct {
	a      *api
	url    string
	secret string
	seq    atomic.Int64
	prefix string
}

// setupIncoming creates an hmac webhook with a rate limit above the bench's
// rates and a webhook_received automation that delivers {id} to url.
func setupIncoming(a *api, url string) (*hookClient, error) {
	var b idOnly
	if err := a.do("POST", "/api/v1/bases", map[string]any{"name": "bench incoming"}, &b, 201); err != nil {
		return nil, err
	}
	var w struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	if err := a.do("POST", "/api/v1/webhooks", map[string]any{"base_id": b.ID, "name": "bench", "auth": map[string]any{"mode": "hmac"},
		"rate_per_second": 10000, "rate_burst": 20000}, &w, 201); err != nil {
		return nil, err
	}
	err := a.do("POST", "/api/v1/bases/"+b.ID+"/automations", map[string]any{
		"name":    "bench incoming",
		"trigger": map[string]any{"type": "webhook_received", "config": map[string]any{"webhook_id": w.ID}},
		"steps": []any{map[string]any{"id": "notify", "type": "send_webhook", "config": map[string]any{
			"url": url, "body": map[string]any{"id": "{{trigger.body.id}}"}}}},
	}, nil, 201)
	return &hookClient{a: a, url: a.base + webhook.Path(w.ID), secret: w.Secret, prefix: fmt.Sprintf("b%d", time.Now().UnixNano())}, err
}

// send posts one signed request {id} and returns the id and how long the
// answer took.
func (h *hookClient) send() (string, time.Duration, error) {
	id := fmt.Sprintf("%s-%d", h.prefix, h.seq.Add(1))
	body := []byte(`{"id": "` + id + `", "amount": 120}`)
	now := time.Now()
	sig, err := webhook.Sign(h.secret, id, now, body)
	if err != nil {
		return "", 0, err
	}
	req, err := http.NewRequest("POST", h.url, bytes.NewReader(body))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", fmt.Sprint(now.Unix()))
	req.Header.Set("webhook-signature", sig)
	resp, err := h.a.hc.Do(req)
	if err != nil {
		return "", 0, err
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return "", 0, fmt.Errorf("trigger: %d %s", resp.StatusCode, raw)
	}
	return id, time.Since(now), nil
}

// incomingFixedRate sends signed requests at rate/s for dur (open loop).
func incomingFixedRate(ctx context.Context, h *hookClient, pool *pgxpool.Pool, rcv *receiver, rate int, dur time.Duration) (IncomingRow, error) {
	rcv.reset()
	n := int(float64(rate) * dur.Seconds())
	interval := time.Second / time.Duration(rate)
	var (
		mu      sync.Mutex
		ids     []string
		answers []time.Duration
		first   error
		wg      sync.WaitGroup
	)
	sem := make(chan struct{}, 256)
	start := time.Now()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			id, took, err := h.send()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
				}
				return
			}
			ids, answers = append(ids, id), append(answers, took)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if first != nil {
		return IncomingRow{}, fmt.Errorf("incoming webhook at %d/s: %w", rate, first)
	}
	rcv.waitFor(ids, time.Now().Add(30*time.Second))
	arrived, lost, dup := rcv.tally(ids)
	row := IncomingRow{Rate: rate, Seconds: elapsed.Seconds(), Sent: len(ids), Delivered: len(arrived), Lost: lost, Duplicated: dup, Answer: distOf(answers)}
	starts, err := requestToStart(ctx, pool, ids)
	row.RequestToStart = distOf(starts)
	return row, err
}

// requestToStart reads, per delivery id, the time from the stored request
// to its run's first step start.
func requestToStart(ctx context.Context, pool *pgxpool.Pool, ids []string) ([]time.Duration, error) {
	rows, err := pool.Query(ctx, `
		SELECT extract(epoch FROM (s.started_at - q.received_at))
		FROM webhook_requests q
		JOIN runs ru ON ru.id = q.runs ->> 0
		JOIN run_steps s ON s.run_id = ru.id AND s.step_index = 0
		WHERE q.delivery_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("reading step start times: %w", err)
	}
	defer rows.Close()
	var out []time.Duration
	for rows.Next() {
		var sec float64
		if err := rows.Scan(&sec); err != nil {
			return nil, err
		}
		out = append(out, time.Duration(sec*float64(time.Second)))
	}
	return out, rows.Err()
}

// incomingThroughput sends total signed requests from parallel senders and
// checks that every accepted one was stored with its run.
func incomingThroughput(ctx context.Context, h *hookClient, pool *pgxpool.Pool, total, parallel int) (IncomingThroughput, error) {
	var (
		mu      sync.Mutex
		ids     []string
		answers []time.Duration
		first   error
		next    atomic.Int64
		wg      sync.WaitGroup
	)
	start := time.Now()
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(total) && ctx.Err() == nil {
				id, took, err := h.send()
				mu.Lock()
				if err != nil && first == nil {
					first = err
				} else if err == nil {
					ids, answers = append(ids, id), append(answers, took)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	row := IncomingThroughput{Requests: len(ids), Parallel: parallel, Seconds: elapsed.Seconds(), Answer: distOf(answers)}
	row.AcceptedSec = float64(len(ids)) / elapsed.Seconds()
	if first != nil {
		return row, first
	}
	var stored int
	err := pool.QueryRow(ctx, `SELECT count(*) FROM webhook_requests q JOIN runs r ON r.id = q.runs ->> 0 WHERE q.delivery_id = ANY($1)`, ids).Scan(&stored)
	row.Lost = len(ids) - stored
	return row, err
}

// incoming runs the incoming-webhook rows and prints them to out.
func incoming(ctx context.Context, a *api, pool *pgxpool.Pool, rcv *receiver, short bool, out io.Writer) (*IncomingResult, error) {
	h, err := setupIncoming(a, rcv.srv.URL)
	if err != nil {
		return nil, err
	}
	dur, total := 10*time.Second, 20000
	if short {
		dur, total = 3*time.Second, 3000
	}
	// Warm up (connections, caches, table statistics).
	if _, err := incomingThroughput(ctx, h, pool, total/5, 8); err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, "ANALYZE"); err != nil {
		return nil, err
	}
	res := &IncomingResult{}
	fmt.Fprintln(out, "\nincoming webhook (hmac, signed requests): stored request → first step start; answer at the sender; ms")
	for _, rate := range []int{200, 1000} {
		row, err := incomingFixedRate(ctx, h, pool, rcv, rate, dur)
		if err != nil {
			return nil, err
		}
		res.Latency = append(res.Latency, row)
		fmt.Fprintln(out, "  "+row.String())
	}
	if res.Throughput, err = incomingThroughput(ctx, h, pool, total, 64); err != nil {
		return nil, err
	}
	fmt.Fprintln(out, "incoming webhook durable throughput (64 senders, enough to saturate the server; accepted = stored with its run before the answer)")
	fmt.Fprintln(out, "  "+res.Throughput.String())
	return res, nil
}
