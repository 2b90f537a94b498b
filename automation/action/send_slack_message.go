package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/connection"
	"github.com/rowflow/rowflow/outbound/slack"
)

// SendSlackMessageConfig is send_slack_message's config.
type SendSlackMessageConfig struct {
	ConnectionID string `json:"connection_id" doc:"a slack connection of the base (incoming webhook or bot token)" example:"con_01jd0000000000000000000000"`
	Channel      string `json:"channel,omitempty" doc:"channel id or name; default: the connection's default_channel (bot tokens; a webhook posts to its own channel)"`
	Text         string `json:"text" doc:"message text, the notification fallback when blocks are given (templated)" example:"New order {{trigger.record.fields.Name}}"`
	Blocks       any    `json:"blocks,omitempty" doc:"Block Kit blocks (templated JSON)"`
}

// SendSlackMessage posts a message to Slack through a slack connection:
// chat.postMessage for a bot token, a POST for an incoming webhook, both
// through the outbound guard. 429 waits Retry-After without spending an
// attempt; Slack's error string (channel_not_found, …) fails the step.
type SendSlackMessage struct {
	Connections Connections
	Slack       *slack.Client
}

// Name implements kind.Kind.
func (SendSlackMessage) Name() string { return "send_slack_message" }

// Summary implements kind.Kind.
func (SendSlackMessage) Summary() string {
	return "Post a Slack message (text and Block Kit blocks) through a slack connection; rate limits wait Retry-After, Slack errors fail the step."
}

// NewConfig implements kind.Kind.
func (SendSlackMessage) NewConfig() any { return &SendSlackMessageConfig{} }

// Example implements kind.Kind; con_slack_… stands for a slack connection.
func (SendSlackMessage) Example(string) any {
	return SendSlackMessageConfig{ConnectionID: "con_slack_…", Text: "New record {{trigger.record.id}}"}
}

// Secrets implements kind.SecretHolder.
func (SendSlackMessage) Secrets() []string { return connectionSecrets }

// Validate implements kind.Action.
func (a SendSlackMessage) Validate(v kind.Validator, cfg any, loc string) {
	c := cfg.(*SendSlackMessageConfig)
	switch {
	case c.ConnectionID == "":
		v.Add(loc+".connection_id", "is required")
	case kind.IsTemplate(c.ConnectionID):
		v.Add(loc+".connection_id", "must be a connection id, not a template")
	default:
		resolveAt(v, a.Connections, c.ConnectionID, connection.TypeSlack, loc+".connection_id")
	}
	if strings.TrimSpace(c.Text) == "" {
		v.Add(loc+".text", "is required (it is the notification text, also with blocks)")
	}
	if c.Blocks != nil {
		raw, _ := json.Marshal(c.Blocks)
		if !strings.Contains(string(raw), "{{") {
			if _, err := slack.ParseBlocks(raw); err != nil {
				v.Add(loc+".blocks", "%s", err.Error())
			}
		} else if _, ok := c.Blocks.([]any); !ok {
			v.Add(loc+".blocks", "must be a list of blocks")
		}
	}
}

// message is the connection's credentials and the message Execute posts
// (and Preview shows) for a rendered config.
func (a SendSlackMessage) message(ctx context.Context, s *kind.StepContext, c *SendSlackMessageConfig) (*connection.Credentials, slack.Message, error) {
	cred, err := a.Connections.Resolve(ctx, s.BaseID, c.ConnectionID)
	if err != nil {
		return nil, slack.Message{}, kind.Errf("connection %s: %v", c.ConnectionID, err)
	}
	if cred.Type != connection.TypeSlack {
		return nil, slack.Message{}, kind.Errf("connection %s is a %s connection, not slack", c.ConnectionID, cred.Type)
	}
	m := slack.Message{Channel: c.Channel, Text: c.Text}
	if c.Blocks != nil {
		if m.Blocks, err = json.Marshal(c.Blocks); err != nil {
			return nil, slack.Message{}, kind.Errf("blocks: %v", err)
		}
	}
	if cred.Slack.BotToken != "" && m.Channel == "" {
		m.Channel = cred.Slack.DefaultChannel
	}
	return cred, m, nil
}

// Execute implements kind.Action.
func (a SendSlackMessage) Execute(ctx context.Context, s *kind.StepContext, cfg any) (any, error) {
	cred, m, err := a.message(ctx, s, cfg.(*SendSlackMessageConfig))
	if err != nil {
		return nil, err
	}
	var res slack.Result
	if cred.Slack.BotToken != "" {
		res, err = a.Slack.PostMessage(ctx, cred.Slack.BotToken, m)
	} else {
		res, err = a.Slack.PostWebhook(ctx, cred.Slack.WebhookURL, m)
		if res.OK && res.Channel == "" {
			res.Channel = m.Channel
		}
	}
	if err != nil {
		var se *slack.Error
		if errors.As(err, &se) {
			return nil, &kind.ActionError{Err: fmt.Errorf("slack: %w", err), Retryable: se.Temporary, RetryAfter: se.RetryAfter}
		}
		return nil, &kind.ActionError{Err: fmt.Errorf("slack: %w", err), Retryable: true}
	}
	return map[string]any{"ok": res.OK, "channel": res.Channel, "ts": res.TS}, nil
}

// Preview implements kind.Previewer: where the message would go (the bot
// API or the connection's incoming webhook) and what it says, never
// posted. Slack's answer (the message's ts) is known only when it is sent.
func (a SendSlackMessage) Preview(ctx context.Context, s *kind.StepContext, cfg any) (kind.Preview, error) {
	c := cfg.(*SendSlackMessageConfig)
	cred, m, err := a.message(ctx, s, c)
	if err != nil {
		return kind.Preview{}, err
	}
	req := map[string]any{"connection_id": c.ConnectionID, "text": m.Text}
	if cred.Slack.BotToken != "" {
		req["via"], req["channel"] = "chat.postMessage", m.Channel
	} else {
		req["via"] = "incoming webhook"
		if m.Channel != "" {
			req["channel"] = m.Channel
		}
	}
	if len(m.Blocks) > 0 {
		var blocks any
		_ = json.Unmarshal(m.Blocks, &blocks)
		req["blocks"] = blocks
	}
	return kind.Preview{Request: req, Note: "posted with the connection's credentials when the step runs; rate limits are waited out"}, nil
}

// RetryDefaults implements kind.RetryDefaulter: a server that is down for
// a while gets the external schedule (about a day, at most an hour apart).
func (SendSlackMessage) RetryDefaults() kind.RetryPolicy { return kind.ExternalRetry }
