package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rowflow/rowflow/webhook"
)

// WebhookPath is the {webhook_id} path parameter.
type WebhookPath struct {
	WebhookID string `path:"webhook_id" example:"whk_01jd0000000000000000000000"`
}

// requestOrigin captures the scheme and host the request came to, for the
// absolute url of a webhook.
type requestOrigin struct {
	origin string
}

// Resolve implements huma.Resolver.
func (o *requestOrigin) Resolve(ctx huma.Context) []error {
	scheme := "http"
	if ctx.TLS() != nil {
		scheme = "https"
	}
	o.origin = scheme + "://" + ctx.Host()
	return nil
}

// webhookOut is a webhook as answered: its absolute url, and its secret
// only in the answers of create and rotate-secret.
type webhookOut struct {
	webhook.Webhook
	Secret string `json:"secret,omitempty" doc:"shown once, by create and rotate-secret; never again"`
}

type webhookBody struct {
	Body webhookOut
}

func (o requestOrigin) out(w webhook.Webhook, secret string) *webhookBody {
	w.URL = o.origin + w.URL
	return &webhookBody{Body: webhookOut{Webhook: w, Secret: secret}}
}

// WebhookSettings are the settable fields of a webhook (embedded in the
// create and update bodies).
type WebhookSettings struct {
	Mapping       *map[string]string `json:"mapping,omitempty" doc:"name → jq expression over {body, headers, query}; results are {{trigger.data.<name>}}" example:"{\"email\":\".body.customer.email\"}"`
	MaxBodyBytes  *int               `json:"max_body_bytes,omitempty" minimum:"1" maximum:"10485760" doc:"largest accepted body (default 1 MiB; 413 beyond)"`
	RatePerSecond *float64           `json:"rate_per_second,omitempty" doc:"sustained requests per second (default 100; 429 beyond)"`
	RateBurst     *int               `json:"rate_burst,omitempty" minimum:"1" doc:"burst (default 200)"`
}

// triggerInput is a request to a webhook's trigger URL: the raw body
// (signatures are over it), every header and the query.
type triggerInput struct {
	WebhookPath
	RawBody []byte
	req     webhook.Request
}

// Resolve implements huma.Resolver: the headers, query and method.
func (in *triggerInput) Resolve(ctx huma.Context) []error {
	h := http.Header{}
	ctx.EachHeader(func(name, value string) { h.Add(name, value) })
	u := ctx.URL()
	in.req = webhook.Request{Method: ctx.Method(), Header: h, Query: u.Query()}
	return nil
}

type answerBody struct {
	Status int
	Body   webhook.Answer
}

func registerWebhooks(api huma.API, h *handlers) {
	tags := []string{"webhooks"}
	huma.Register(api, huma.Operation{
		OperationID: "create-webhook", Method: http.MethodPost, Path: "/api/v1/webhooks", Tags: tags,
		Summary: "Create an incoming webhook", Description: "The answer holds the webhook's secret, shown this once (none for auth mode none: the unguessable url is the secret).",
		DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *struct {
		requestOrigin
		Body struct {
			BaseID string       `json:"base_id" example:"bas_01jd0000000000000000000000"`
			Name   string       `json:"name" minLength:"1" maxLength:"200" example:"Shop orders"`
			Auth   webhook.Auth `json:"auth"`
			WebhookSettings
		}
	}) (*webhookBody, error) {
		b := in.Body
		w, secret, err := h.webhooks.Create(ctx, b.BaseID, webhook.Input{Name: &b.Name, Auth: &b.Auth, Mapping: b.Mapping,
			MaxBodyBytes: b.MaxBodyBytes, RatePerSecond: b.RatePerSecond, RateBurst: b.RateBurst})
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return in.out(w, secret), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-webhooks", Method: http.MethodGet, Path: "/api/v1/webhooks", Summary: "List a base's incoming webhooks", Tags: tags,
	}, func(ctx context.Context, in *struct {
		requestOrigin
		BaseID string `query:"base_id" required:"true" example:"bas_01jd0000000000000000000000"`
	}) (*listBody[webhookOut], error) {
		ws, err := h.webhooks.List(ctx, in.BaseID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		out := make([]webhookOut, len(ws))
		for i, w := range ws {
			out[i] = in.out(w, "").Body
		}
		return all(out), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-webhook", Method: http.MethodGet, Path: "/api/v1/webhooks/{webhook_id}", Summary: "Get an incoming webhook (never its secret)", Tags: tags,
	}, func(ctx context.Context, in *struct {
		requestOrigin
		WebhookPath
	}) (*webhookBody, error) {
		w, err := h.webhooks.Get(ctx, in.WebhookID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return in.out(w, ""), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "update-webhook", Method: http.MethodPatch, Path: "/api/v1/webhooks/{webhook_id}", Summary: "Change an incoming webhook's name, mapping or limits", Tags: tags,
	}, func(ctx context.Context, in *struct {
		requestOrigin
		WebhookPath
		Body struct {
			Name *string       `json:"name,omitempty" minLength:"1" maxLength:"200"`
			Auth *webhook.Auth `json:"auth,omitempty" doc:"cannot change; accepted when equal"`
			WebhookSettings
		}
	}) (*webhookBody, error) {
		b := in.Body
		w, err := h.webhooks.Update(ctx, in.WebhookID, webhook.Input{Name: b.Name, Auth: b.Auth, Mapping: b.Mapping,
			MaxBodyBytes: b.MaxBodyBytes, RatePerSecond: b.RatePerSecond, RateBurst: b.RateBurst})
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return in.out(w, ""), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-webhook", Method: http.MethodDelete, Path: "/api/v1/webhooks/{webhook_id}", Summary: "Delete an incoming webhook and its stored requests", Tags: tags,
		DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *WebhookPath) (*struct{}, error) {
		if err := h.webhooks.Delete(ctx, in.WebhookID); err != nil {
			return nil, h.problem(ctx, err)
		}
		return &struct{}{}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "rotate-webhook-secret", Method: http.MethodPost, Path: "/api/v1/webhooks/{webhook_id}/rotate-secret", Tags: tags,
		Summary: "Give a webhook a new secret (shown once); the old one stays valid for the grace period",
	}, func(ctx context.Context, in *struct {
		requestOrigin
		WebhookPath
		Body *struct {
			GraceSeconds *int `json:"grace_seconds,omitempty" example:"3600" minimum:"0" maximum:"2592000" doc:"how long the old secret stays valid (default 86400; 0: not at all)"`
		}
	}) (*webhookBody, error) {
		grace := time.Duration(0)
		if in.Body != nil && in.Body.GraceSeconds != nil {
			grace = time.Duration(*in.Body.GraceSeconds) * time.Second
			if grace == 0 {
				grace = -1
			}
		}
		w, secret, err := h.webhooks.RotateSecret(ctx, in.WebhookID, grace)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return in.out(w, secret), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-webhook-requests", Method: http.MethodGet, Path: "/api/v1/webhooks/{webhook_id}/requests", Tags: tags,
		Summary: "A webhook's stored requests, newest first (credential headers are never stored)",
	}, func(ctx context.Context, in *struct {
		WebhookPath
		Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"50"`
		Cursor string `query:"cursor" doc:"next_cursor of the previous page"`
	}) (*listBody[webhook.StoredRequest], error) {
		items, next, err := h.webhooks.ListRequests(ctx, in.WebhookID, in.Cursor, in.Limit)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		out := all(items)
		if next != "" {
			out.Body.NextCursor = &next
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "replay-webhook-request", Method: http.MethodPost, Path: "/api/v1/webhooks/{webhook_id}/requests/{request_id}/replay", Tags: tags,
		Summary: "Receive a stored request again: a new request with new runs", DefaultStatus: http.StatusAccepted,
	}, func(ctx context.Context, in *struct {
		WebhookPath
		RequestID string `path:"request_id" example:"whr_01jd0000000000000000000000"`
	}) (*answerBody, error) {
		ans, err := h.webhooks.Replay(ctx, in.WebhookID, in.RequestID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &answerBody{Status: http.StatusAccepted, Body: ans}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "trigger-webhook", Method: http.MethodPost, Path: "/api/v1/webhooks/{webhook_id}/trigger", Tags: tags,
		Summary: "Send a request to an incoming webhook (the webhook's own auth, no token)",
		Description: "Auth by the webhook's mode: hmac = Standard Webhooks (webhook-id, webhook-timestamp within 5 minutes, " +
			"webhook-signature over the raw body); bearer = Authorization: Bearer <secret>; basic = the secret as password; none. " +
			"Bodies: JSON, form-encoded or text. The request and its runs are stored before the 202 answer; a repeated " +
			"webhook-id or Idempotency-Key (7 days) answers 200 with the original answer. 401: bad auth, nothing stored; " +
			"413: body too large; 429: over the webhook's rate (Retry-After).",
		DefaultStatus: http.StatusAccepted, MaxBodyBytes: 10 << 20, Security: []map[string][]string{},
		Metadata: map[string]any{"auth": authNone},
	}, func(ctx context.Context, in *triggerInput) (*answerBody, error) {
		in.req.Body = in.RawBody
		ans, err := h.webhooks.Receive(ctx, in.WebhookID, in.req)
		var rl *webhook.RateLimitedError
		if errors.As(err, &rl) {
			return nil, huma.ErrorWithHeaders(huma.NewError(http.StatusTooManyRequests, rl.Error()),
				http.Header{"Retry-After": {strconv.Itoa(webhook.RetryAfterSeconds(rl.RetryAfter))}})
		}
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		status := http.StatusAccepted
		if ans.Repeat {
			status = http.StatusOK
		}
		return &answerBody{Status: status, Body: ans}, nil
	})
	// The document shows the body types a sender may use; the handler
	// takes the raw bytes whatever they are (signatures are over them).
	if item := api.OpenAPI().Paths["/api/v1/webhooks/{webhook_id}/trigger"]; item != nil && item.Post != nil {
		item.Post.RequestBody.Content = map[string]*huma.MediaType{
			"application/json":                  {Schema: &huma.Schema{Description: "any JSON: {{trigger.body…}}"}, Example: map[string]any{"order": map[string]any{"id": 7, "total": 120}}},
			"application/x-www-form-urlencoded": {Schema: &huma.Schema{Type: "object", AdditionalProperties: true}},
			"text/plain":                        {Schema: &huma.Schema{Type: "string"}},
		}
	}
}
