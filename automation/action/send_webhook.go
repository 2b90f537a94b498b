package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/outbound"
)

// SendWebhookConfig is send_webhook's config. Every delivery carries the
// Standard Webhooks headers; webhook-id is the same on every retry.
type SendWebhookConfig struct {
	URL       string            `json:"url" doc:"http(s) URL; private and loopback addresses are refused unless allowed by ROWFLOW_OUTBOUND_ALLOW_CIDRS" example:"https://example.com/hooks/orders"`
	Method    string            `json:"method,omitempty" enum:"POST,PUT,PATCH,DELETE,GET" doc:"default POST"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      any               `json:"body,omitempty" doc:"any JSON (templated); default: the trigger record ({id, fields}), or the whole trigger data for triggers without a record" example:"{\"id\":\"{{trigger.record.id}}\",\"status\":\"{{trigger.record.fields.Status}}\"}"`
	TimeoutMS int               `json:"timeout_ms,omitempty" minimum:"1" maximum:"60000" doc:"default 10000"`
	Secret    string            `json:"secret,omitempty" doc:"signs webhook-signature (HMAC-SHA256, Standard Webhooks); never returned by the API"`
}

// SendWebhook sends JSON to a URL with the Standard Webhooks headers,
// through the outbound guard.
type SendWebhook struct {
	// HTTP makes the call; it must be the outbound guard's client (SSRF).
	HTTP *http.Client
}

// Name implements kind.Kind.
func (SendWebhook) Name() string { return "send_webhook" }

// OutputShape implements kind.OutputShaper: the response (status, headers,
// a free-form body, truncated).
func (SendWebhook) OutputShape(any) *kind.Shape {
	return &kind.Shape{Keys: map[string]*kind.Shape{"status": nil, "headers": nil, "body": nil, "truncated": nil}}
}

// Summary implements kind.Kind.
func (SendWebhook) Summary() string {
	return "POST JSON to a URL with Standard Webhooks headers; 2xx succeeds, 5xx/408/429/connection errors are retried, other 4xx fail at once."
}

// NewConfig implements kind.Kind.
func (SendWebhook) NewConfig() any { return &SendWebhookConfig{} }

// Example implements kind.Kind.
func (SendWebhook) Example(string) any {
	return SendWebhookConfig{URL: "https://example.com/hooks/orders", Body: map[string]any{"id": "{{trigger.record.id}}"}}
}

// Secrets implements kind.SecretHolder: the signing secret and credential
// headers.
func (SendWebhook) Secrets() []string {
	return []string{"secret", "headers.authorization", "headers.proxy-authorization"}
}

// RetryDefaults implements kind.RetryDefaulter: a receiver may be down
// for hours (kind.ExternalRetry).
func (SendWebhook) RetryDefaults() kind.RetryPolicy { return kind.ExternalRetry }

// Destination implements kind.Destined: the secrets go to url.
func (SendWebhook) Destination() string { return "url" }

// Validate implements kind.Action.
func (SendWebhook) Validate(v kind.Validator, cfg any, loc string) {
	c := cfg.(*SendWebhookConfig)
	if !kind.IsTemplate(c.URL) {
		if err := outbound.ValidateURL(c.URL); err != nil {
			v.Add(loc+".url", "%s", strings.TrimPrefix(err.Error(), "outbound: "))
		}
	} else if !strings.HasPrefix(c.URL, "http://") && !strings.HasPrefix(c.URL, "https://") {
		v.Add(loc+".url", "must start with http:// or https:// (a template may fill the rest)")
	}
	switch strings.ToUpper(c.Method) {
	case "", http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodGet:
	default:
		v.Add(loc+".method", "must be POST, PUT, PATCH, DELETE or GET")
	}
	if c.TimeoutMS < 0 || c.TimeoutMS > 60000 {
		v.Add(loc+".timeout_ms", "must be between 1 and 60000")
	}
}

// request is the delivery Execute makes (and Preview shows) for a
// rendered config.
func (SendWebhook) request(s *kind.StepContext, c *SendWebhookConfig) (outbound.Request, error) {
	body := c.Body
	if body == nil {
		body = defaultBody(s.Trigger)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return outbound.Request{}, kind.Errf("encoding body: %v", err)
	}
	timeout := 10 * time.Second
	if c.TimeoutMS > 0 {
		timeout = time.Duration(c.TimeoutMS) * time.Millisecond
	}
	return outbound.Request{
		URL: c.URL, Method: c.Method, Headers: c.Headers, Body: raw, Secret: c.Secret,
		MsgID: s.IdempotencyKey, Timestamp: s.Now, Timeout: timeout,
	}, nil
}

// Execute implements kind.Action.
func (a SendWebhook) Execute(ctx context.Context, s *kind.StepContext, cfg any) (any, error) {
	req, err := a.request(s, cfg.(*SendWebhookConfig))
	if err != nil {
		return nil, err
	}
	resp, err := outbound.Deliver(ctx, a.HTTP, req)
	if err != nil {
		var de *outbound.DeliveryError
		if errors.As(err, &de) {
			ae := &kind.ActionError{Err: err, Retryable: de.Retryable, Output: de.Response}
			if de.Status == http.StatusTooManyRequests || de.Status == http.StatusServiceUnavailable {
				ae.RetryAfter = de.RetryAfter
			}
			return nil, ae
		}
		return nil, &kind.ActionError{Err: fmt.Errorf("delivering: %w", err), Retryable: true}
	}
	return resp, nil
}

// Preview implements kind.Previewer: the request with its Standard
// Webhooks headers (the signature as it would be computed), checked as
// Deliver checks it, never sent. The answer (the step's output) is known
// only when it is sent.
func (a SendWebhook) Preview(_ context.Context, s *kind.StepContext, cfg any) (kind.Preview, error) {
	req, err := a.request(s, cfg.(*SendWebhookConfig))
	if err != nil {
		return kind.Preview{}, err
	}
	p, err := outbound.Prepare(req)
	if err != nil {
		return kind.Preview{}, kind.Errf("%v", err)
	}
	var body any
	_ = json.Unmarshal(p.Body, &body)
	return kind.Preview{
		Request: map[string]any{"method": p.Method, "url": p.URL, "headers": p.Headers, "body": body},
		Note:    "sent through the outbound guard (the address is checked when it dials); 2xx succeeds, 5xx/408/429 and connection errors are retried",
	}, nil
}

// defaultBody is what a webhook without a body sends: the trigger's record
// ({id, fields}) when it has one, else the whole trigger data.
func defaultBody(trigger map[string]any) any {
	if rec, ok := trigger["record"]; ok && rec != nil {
		return rec
	}
	return trigger
}
