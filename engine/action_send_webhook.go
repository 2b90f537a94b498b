package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rowflow/rowflow/engine/outbound"
)

// SendWebhookConfig is send_webhook's config. Every delivery carries the
// Standard Webhooks headers; webhook-id is the same on every retry.
type SendWebhookConfig struct {
	URL       string            `json:"url" doc:"http(s) URL; private and loopback addresses are refused unless allowed by ROWFLOW_OUTBOUND_ALLOW_CIDRS" example:"https://example.com/hooks/orders"`
	Method    string            `json:"method,omitempty" enum:"POST,PUT,PATCH,DELETE,GET" doc:"default POST"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      any               `json:"body,omitempty" doc:"any JSON (templated); default: the trigger record" example:"{\"id\":\"{{trigger.record.id}}\",\"status\":\"{{trigger.record.fields.Status}}\"}"`
	TimeoutMS int               `json:"timeout_ms,omitempty" minimum:"1" maximum:"60000" doc:"default 10000"`
	Secret    string            `json:"secret,omitempty" doc:"signs webhook-signature (HMAC-SHA256, Standard Webhooks); never returned by the API"`
}

var sendWebhookAction = &ActionType{
	Name:      "send_webhook",
	Summary:   "POST JSON to a URL with Standard Webhooks headers; 2xx succeeds, 5xx/408/429/connection errors are retried, other 4xx fail at once.",
	NewConfig: func() any { return &SendWebhookConfig{} },
	Example: func(string) any {
		return SendWebhookConfig{URL: "https://example.com/hooks/orders", Body: map[string]any{"id": "{{trigger.record.id}}"}}
	},
	Validate: func(v *validation, cfg any, loc string) {
		c := cfg.(*SendWebhookConfig)
		if !isTemplate(c.URL) {
			if err := outbound.ValidateURL(c.URL); err != nil {
				v.add(loc+".url", "%s", strings.TrimPrefix(err.Error(), "outbound: "))
			}
		} else if !strings.HasPrefix(c.URL, "http://") && !strings.HasPrefix(c.URL, "https://") {
			v.add(loc+".url", "must start with http:// or https:// (a template may fill the rest)")
		}
		switch strings.ToUpper(c.Method) {
		case "", http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodGet:
		default:
			v.add(loc+".method", "must be POST, PUT, PATCH, DELETE or GET")
		}
		if c.TimeoutMS < 0 || c.TimeoutMS > 60000 {
			v.add(loc+".timeout_ms", "must be between 1 and 60000")
		}
	},
	Execute: func(ctx context.Context, s *StepContext, cfg any) (any, error) {
		c := cfg.(*SendWebhookConfig)
		body := c.Body
		if body == nil {
			body = map[string]any{"run_id": s.RunID, "automation_id": s.AutomationID}
		}
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, errf("encoding body: %v", err)
		}
		timeout := 10 * time.Second
		if c.TimeoutMS > 0 {
			timeout = time.Duration(c.TimeoutMS) * time.Millisecond
		}
		resp, err := outbound.Deliver(ctx, s.Engine.httpClient, outbound.Request{
			URL: c.URL, Method: c.Method, Headers: c.Headers, Body: raw, Secret: c.Secret,
			MsgID: s.IdempotencyKey, Timestamp: s.Engine.now(), Timeout: timeout,
		})
		if err != nil {
			var de *outbound.DeliveryError
			if errors.As(err, &de) {
				ae := &ActionError{Err: err, Retryable: de.Retryable, Output: de.Response}
				if de.Status == http.StatusTooManyRequests || de.Status == http.StatusServiceUnavailable {
					ae.RetryAfter = de.RetryAfter
				}
				return nil, ae
			}
			return nil, &ActionError{Err: fmt.Errorf("delivering: %w", err), Retryable: true}
		}
		return resp, nil
	},
}
