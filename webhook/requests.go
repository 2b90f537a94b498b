package webhook

import (
	"context"
	"encoding/json"
	"time"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/pgtx"
)

// StoredRequest is a request a webhook received, as the API lists it
// (credential headers were never stored).
type StoredRequest struct {
	ID          string         `json:"id"`
	WebhookID   string         `json:"webhook_id"`
	Method      string         `json:"method"`
	ContentType string         `json:"content_type"`
	Headers     map[string]any `json:"headers"`
	Query       map[string]any `json:"query"`
	Body        any            `json:"body"`
	DeliveryID  string         `json:"delivery_id,omitempty"`
	ReplayOf    string         `json:"replay_of,omitempty"`
	Runs        []string       `json:"runs"`
	ReceivedAt  time.Time      `json:"received_at"`
}

func requestFromRow(r db.WebhookRequest) StoredRequest {
	out := StoredRequest{ID: r.ID, WebhookID: r.WebhookID, Method: r.Method, ContentType: r.ContentType, ReceivedAt: r.ReceivedAt}
	_ = json.Unmarshal(r.Headers, &out.Headers)
	_ = json.Unmarshal(r.Query, &out.Query)
	if len(r.Body) > 0 {
		_ = json.Unmarshal(r.Body, &out.Body)
	}
	_ = json.Unmarshal(r.Runs, &out.Runs)
	if r.DeliveryID != nil {
		out.DeliveryID = *r.DeliveryID
	}
	if r.ReplayOf != nil {
		out.ReplayOf = *r.ReplayOf
	}
	return out
}

// ListRequests lists a webhook's stored requests, newest first, after the
// cursor (viewer); the next page's cursor is "" at the end.
func (s *Service) ListRequests(ctx context.Context, webhookID, cursor string, limit int) ([]StoredRequest, string, error) {
	if _, err := s.load(ctx, webhookID, rowflow.RoleViewer); err != nil {
		return nil, "", err
	}
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	p := db.ListWebhookRequestsParams{WebhookID: webhookID, Lim: int32(limit + 1)}
	if cursor != "" {
		t, id, err := rowflow.ParseTimeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		p.BeforeReceived, p.BeforeID = &t, id
	}
	rows, err := s.q.ListWebhookRequests(ctx, p)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		next = rowflow.TimeCursor(last.ReceivedAt, last.ID)
	}
	out := make([]StoredRequest, len(rows))
	for i, r := range rows {
		out[i] = requestFromRow(r)
	}
	return out, next, nil
}

// Replay receives a stored request again (editor): a new request (its
// replay_of the original) with new runs of the webhook's automations as
// they are now. Authentication, rate limit and dedupe do not apply.
func (s *Service) Replay(ctx context.Context, webhookID, requestID string) (Answer, error) {
	w, err := s.load(ctx, webhookID, rowflow.RoleEditor)
	if err != nil {
		return Answer{}, err
	}
	r, err := s.q.GetWebhookRequest(ctx, db.GetWebhookRequestParams{ID: requestID, WebhookID: webhookID})
	if err := pgtx.NotFoundIf(err, "webhook request", requestID); err != nil {
		return Answer{}, err
	}
	orig := requestFromRow(r)
	return s.store(ctx, stored{webhook: w, method: r.Method, contentType: r.ContentType, headers: orig.Headers, query: orig.Query,
		raw: r.RawBody, body: orig.Body, replayOf: r.ID})
}

// RetentionBatch is the most stored requests (and expired delivery ids)
// one retention statement deletes.
const RetentionBatch = 1000

// DeleteExpiredRequests deletes the stored requests received more than
// retention ago — never less than DedupeFor, so a delivery id still
// remembered always has its request — and the expired delivery ids, in
// statements of at most RetentionBatch rows until none is due; it returns
// how many rows went. The worker's retention sweep calls it with the run
// retention: a request is kept as long as its runs.
func (s *Service) DeleteExpiredRequests(ctx context.Context, retention time.Duration) (int, error) {
	before := s.now().Add(-max(retention, DedupeFor))
	total := 0
	for {
		n, err := s.q.DeleteExpiredWebhookRequests(ctx, db.DeleteExpiredWebhookRequestsParams{Before: before, Lim: RetentionBatch})
		total += int(n)
		if err != nil || n == 0 || ctx.Err() != nil {
			return total, err
		}
	}
}

// LastTriggerData is the trigger data of the newest request webhook
// webhookID stored (its mapping applied as the webhook is now), for a
// test of an automation it triggers (kind.Tester of webhook_received);
// Invalid "sample" when it has received none yet.
func (s *Service) LastTriggerData(ctx context.Context, webhookID string) (map[string]any, error) {
	w, err := s.load(ctx, webhookID, rowflow.RoleViewer)
	if err != nil {
		return nil, err
	}
	rows, err := s.q.ListWebhookRequests(ctx, db.ListWebhookRequestsParams{WebhookID: webhookID, Lim: 1})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, rowflow.Invalid("sample", "webhook %s has received no request yet: send one, or give a sample", webhookID)
	}
	r := requestFromRow(rows[0])
	data, _ := s.triggerData(ctx, stored{webhook: w, method: r.Method, contentType: r.ContentType, headers: r.Headers, query: r.Query,
		raw: rows[0].RawBody, body: r.Body}, r.ID, r.ReceivedAt)
	return data, nil
}
