package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/pgtx"
)

// TriggerType is the trigger kind the requests of a webhook fire.
const TriggerType = "webhook_received"

// PrefixRequest is the id prefix of stored requests.
const PrefixRequest = "whr_"

// Request is one request to a webhook's trigger URL, as received.
type Request struct {
	Method string
	Header http.Header
	Query  url.Values
	// Body is the raw body: signatures are checked over these bytes.
	Body []byte
}

// Answer is what the sender gets: the stored request and the runs it
// started. Repeat marks the answer to a delivery id seen before (200).
type Answer struct {
	RequestID string   `json:"request_id"`
	Runs      []string `json:"runs"`
	Repeat    bool     `json:"-"`
}

// RateLimitedError is the answer to a request over its webhook's rate:
// 429 with Retry-After.
type RateLimitedError struct {
	RetryAfter time.Duration
}

// Error implements error.
func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("this webhook receives at most its configured rate; retry after %s", e.RetryAfter.Round(time.Millisecond))
}

// Receive handles one request to webhook id's trigger URL (no token: the
// webhook's own auth). See the package doc for the order of checks. The
// answer is given only once the request and its runs are committed.
func (s *Service) Receive(ctx context.Context, id string, req Request) (Answer, error) {
	w, err := s.q.GetWebhook(ctx, id)
	if err := pgtx.NotFoundIf(err, "webhook", id); err != nil {
		return Answer{}, err
	}
	if len(req.Body) > int(w.MaxBodyBytes) {
		return Answer{}, rowflow.Errorf(rowflow.CodeTooLarge, "the body is %d bytes; this webhook accepts at most %d", len(req.Body), w.MaxBodyBytes)
	}
	now := s.now()
	if err := verify(w, req.Header, req.Body, now); err != nil {
		return Answer{}, err
	}
	if d := s.reserve(w); d > 0 {
		return Answer{}, &RateLimitedError{RetryAfter: d}
	}
	ct := req.Header.Get("Content-Type")
	body, err := decodeBody(ct, req.Body)
	if err != nil {
		return Answer{}, err
	}
	delivery := req.Header.Get("webhook-id")
	if delivery == "" {
		delivery = req.Header.Get("Idempotency-Key")
	}
	if len(delivery) > 200 {
		return Answer{}, rowflow.Invalid("header.webhook-id", "a delivery id is at most 200 characters")
	}
	in := stored{webhook: w, method: req.Method, contentType: ct, headers: headerMap(req.Header), query: valuesMap(req.Query),
		raw: req.Body, body: body, delivery: delivery}
	s.prepare(ctx, &in)
	ans, err := s.ingest(ctx, in)
	if err == nil && !ans.Repeat {
		s.prune(ctx)
	}
	return ans, err
}

// stored is a request about to be stored and its runs started.
type stored struct {
	webhook     db.Webhook
	method      string
	contentType string
	headers     map[string]any
	query       map[string]any
	raw         []byte
	body        any
	delivery    string
	replayOf    string
	// id, data and failure are set by prepare: the request's id, its
	// trigger data and the failure its runs are stored with ("" if none).
	id      string
	data    map[string]any
	failure string
}

// store claims the request's delivery id, starts its runs and stores it
// in ONE transaction (storeBatch), then starts the runs' first steps. A
// delivery id seen before starts nothing and answers the earlier request.
func (s *Service) store(ctx context.Context, in stored) (Answer, error) {
	s.prepare(ctx, &in)
	return s.storeOne(ctx, in)
}

// prepare gives a request its id and its trigger data: the payload
// mapping's results, or the failure its runs are stored with.
func (s *Service) prepare(ctx context.Context, in *stored) {
	in.id = rowflow.NewID(PrefixRequest)
	in.data, in.failure = s.triggerData(ctx, *in, in.id, s.now())
}

// occurrence is the trigger occurrence of a prepared request.
func (in *stored) occurrence() automation.Occurrence {
	return automation.Occurrence{Type: TriggerType, BaseID: in.webhook.BaseID,
		Config: map[string]any{"webhook_id": in.webhook.ID}, Key: "whr:" + in.id, Data: in.data, Failure: in.failure}
}

// storeOne stores one prepared request in a transaction of its own (the
// statements of a batch of one) and starts its runs' first steps.
func (s *Service) storeOne(ctx context.Context, in stored) (Answer, error) {
	answers, started, err := s.storeBatch(ctx, []stored{in})
	if pgtx.ForeignKeyViolation(err) {
		return Answer{}, rowflow.NotFound("webhook", in.webhook.ID) // deleted meanwhile
	}
	if err != nil {
		return Answer{}, err
	}
	for _, st := range started {
		s.runs.Dispatch(st)
	}
	return answers[0].Val, answers[0].Err
}

// triggerData is a request's trigger data ({{trigger.…}}): webhook and
// request ids, method, body, headers, query, received_at, and data (the
// webhook's mapping; {} with failure set when the mapping fails).
func (s *Service) triggerData(ctx context.Context, in stored, reqID string, receivedAt time.Time) (data map[string]any, failure string) {
	data = map[string]any{"webhook_id": in.webhook.ID, "request_id": reqID, "method": in.method,
		"body": in.body, "headers": in.headers, "query": in.query, "received_at": receivedAt.UTC()}
	m, err := s.mappingFor(in.webhook.ID, in.webhook.UpdatedAt, in.webhook.Mapping)
	if err == nil {
		var mapped map[string]any
		if mapped, err = m.run(ctx, map[string]any{"body": in.body, "headers": in.headers, "query": in.query}, len(in.raw)); err == nil {
			data["data"] = mapped
		}
	}
	if err != nil {
		failure = "the webhook's payload mapping failed: " + err.Error()
		data["data"] = map[string]any{}
	}
	return data, failure
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// reserve takes one token of webhook w's bucket; when none is left it
// takes nothing and returns how long until one is.
func (s *Service) reserve(w db.Webhook) time.Duration {
	s.mu.Lock()
	l, ok := s.limiters[w.ID]
	if !ok || l.rate != w.RatePerSecond || l.burst != int(w.RateBurst) {
		l = &limiter{Limiter: rate.NewLimiter(rate.Limit(w.RatePerSecond), int(w.RateBurst)), rate: w.RatePerSecond, burst: int(w.RateBurst)}
		s.limiters[w.ID] = l
	}
	s.mu.Unlock()
	now := time.Now()
	r := l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

// RetryAfterSeconds is the Retry-After value of a wait: whole seconds,
// at least 1.
func RetryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// prune deletes expired delivery ids now and then (one request in 512).
func (s *Service) prune(ctx context.Context) {
	s.mu.Lock()
	s.received++
	due := s.received%512 == 1
	s.mu.Unlock()
	if !due {
		return
	}
	if _, err := s.q.PruneDeliveries(ctx); err != nil {
		s.log.WarnContext(ctx, "pruning expired webhook delivery ids failed", "error", err)
	}
}

// decodeBody decodes a body by its content type: JSON (application/json,
// …+json), form-encoded (application/x-www-form-urlencoded: a key's one
// value as a string, several as a list), anything else as text. An empty
// body is null.
func decodeBody(contentType string, raw []byte) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, rowflow.Invalid("body", "the body is not valid JSON (Content-Type %s): %s", mt, err.Error())
		}
		return v, nil
	case mt == "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, rowflow.Invalid("body", "the body is not valid form encoding: %s", err.Error())
		}
		return valuesMap(vals), nil
	}
	return string(raw), nil
}

// valuesMap turns url.Values into JSON: one value as a string, several as
// a list.
func valuesMap(vals url.Values) map[string]any {
	out := make(map[string]any, len(vals))
	for k, vs := range vals {
		if len(vs) == 1 {
			out[k] = vs[0]
		} else {
			list := make([]any, len(vs))
			for i, v := range vs {
				list[i] = v
			}
			out[k] = list
		}
	}
	return out
}

// headerMap is the request's headers by lower-case name (several values
// joined with ", "), without the credential headers.
func headerMap(h http.Header) map[string]any {
	out := make(map[string]any, len(h))
	for k, vs := range h {
		if authHeaders[http.CanonicalHeaderKey(k)] {
			continue
		}
		out[strings.ToLower(k)] = strings.Join(vs, ", ")
	}
	return out
}
