package trigger

import (
	"context"

	"github.com/rowflow/rowflow/automation/kind"
)

// WebhookTriggerConfig is webhook_received's config.
type WebhookTriggerConfig struct {
	WebhookID string `json:"webhook_id" doc:"the incoming webhook whose requests fire" example:"whk_01jd0000000000000000000000"`
}

// Webhooks is what webhook_received needs of the incoming webhooks
// (webhook.Service): the base of a webhook the caller can see.
type Webhooks interface {
	BaseOf(ctx context.Context, id string) (string, error)
	// LastTriggerData is the trigger data of the webhook's newest stored
	// request (a test's sample).
	LastTriggerData(ctx context.Context, id string) (map[string]any, error)
}

// WebhookReceived fires for every request a webhook accepts. The runs are
// started by the webhook service in the transaction that stores the
// request (webhook/receive.go); its trigger data is {{trigger.body…}},
// {{trigger.headers…}} (without credentials), {{trigger.query…}},
// {{trigger.data.<name>}} (the webhook's mapping), request_id and
// webhook_id. Conditions name paths of that data ("body.status").
type WebhookReceived struct {
	Webhooks Webhooks
}

// Name implements kind.Kind.
func (WebhookReceived) Name() string { return "webhook_received" }

// Summary implements kind.Kind.
func (WebhookReceived) Summary() string {
	return "An incoming webhook accepts a request; trigger.body, trigger.headers, trigger.query and trigger.data hold it."
}

// NewConfig implements kind.Kind.
func (WebhookReceived) NewConfig() any { return &WebhookTriggerConfig{} }

// Example implements kind.Kind (the webhook must exist in the base).
func (WebhookReceived) Example(string) any { return WebhookTriggerConfig{WebhookID: "whk_…"} }

// Validate implements kind.Trigger: the webhook is one of the base's.
func (w WebhookReceived) Validate(v kind.Validator, cfg any) string {
	c := cfg.(*WebhookTriggerConfig)
	if c.WebhookID == "" {
		v.Add("trigger.config.webhook_id", "is required")
		return ""
	}
	base, err := w.Webhooks.BaseOf(v.Context(), c.WebhookID)
	if err != nil || base != v.BaseID() {
		v.Add("trigger.config.webhook_id", "no webhook %q in this base", c.WebhookID)
	}
	return ""
}

// TestData implements kind.Tester: the trigger data of the webhook's last
// stored request, as a run of it would have seen it.
func (w WebhookReceived) TestData(ctx context.Context, in kind.TestInput) (map[string]any, error) {
	data, err := w.Webhooks.LastTriggerData(ctx, in.Config.(*WebhookTriggerConfig).WebhookID)
	if err != nil {
		return nil, err
	}
	data["type"] = w.Name()
	return data, nil
}

// TestSource implements kind.TestSourcer.
func (WebhookReceived) TestSource() string { return "last_request" }

// PayloadConditions implements kind.PayloadConditions.
func (WebhookReceived) PayloadConditions() {}
