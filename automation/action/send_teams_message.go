package action

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/connection"
	"github.com/rowflow/rowflow/outbound/teams"
)

// SendTeamsMessageConfig is send_teams_message's config.
type SendTeamsMessageConfig struct {
	ConnectionID string         `json:"connection_id" doc:"a teams connection of the base (a Teams Workflows webhook)" example:"con_01jd0000000000000000000000"`
	Title        string         `json:"title,omitempty" doc:"bold first line of the card (templated)"`
	Text         string         `json:"text" doc:"card text (templated)" example:"New order {{trigger.record.fields.Name}}"`
	Card         map[string]any `json:"card,omitempty" doc:"a whole Adaptive Card (templated JSON) instead of title and text; type and version default to AdaptiveCard 1.4"`
}

// SendTeamsMessage posts an Adaptive Card to a Teams Workflows webhook
// through the outbound guard; 202 is success, a message over 28 KB fails
// with a clear error.
type SendTeamsMessage struct {
	Connections Connections
	Teams       *teams.Client
}

// Name implements kind.Kind.
func (SendTeamsMessage) Name() string { return "send_teams_message" }

// Summary implements kind.Kind.
func (SendTeamsMessage) Summary() string {
	return "Post an Adaptive Card to a Microsoft Teams Workflows webhook through a teams connection (at most 28 KB)."
}

// NewConfig implements kind.Kind.
func (SendTeamsMessage) NewConfig() any { return &SendTeamsMessageConfig{} }

// Example implements kind.Kind; con_teams_… stands for a teams connection.
func (SendTeamsMessage) Example(string) any {
	return SendTeamsMessageConfig{ConnectionID: "con_teams_…", Title: "New record", Text: "{{trigger.record.id}} was created"}
}

// Secrets implements kind.SecretHolder.
func (SendTeamsMessage) Secrets() []string { return connectionSecrets }

// Validate implements kind.Action.
func (a SendTeamsMessage) Validate(v kind.Validator, cfg any, loc string) {
	c := cfg.(*SendTeamsMessageConfig)
	switch {
	case c.ConnectionID == "":
		v.Add(loc+".connection_id", "is required")
	case kind.IsTemplate(c.ConnectionID):
		v.Add(loc+".connection_id", "must be a connection id, not a template")
	default:
		resolveAt(v, a.Connections, c.ConnectionID, connection.TypeTeams, loc+".connection_id")
	}
	if c.Card == nil && strings.TrimSpace(c.Text) == "" {
		v.Add(loc+".text", "is required (or give a whole card)")
	}
	if c.Card != nil {
		if t, ok := c.Card["type"]; ok && t != "AdaptiveCard" {
			v.Add(loc+".card.type", `must be "AdaptiveCard"`)
		}
		if _, err := teams.Encode(teams.Card(c.Title, c.Text, c.Card)); err != nil {
			v.Add(loc+".card", "%s", err.Error())
		}
	}
}

// connection resolves the teams connection a rendered config names.
func (a SendTeamsMessage) connection(ctx context.Context, s *kind.StepContext, c *SendTeamsMessageConfig) (*connection.Credentials, error) {
	cred, err := a.Connections.Resolve(ctx, s.BaseID, c.ConnectionID)
	if err != nil {
		return nil, kind.Errf("connection %s: %v", c.ConnectionID, err)
	}
	if cred.Type != connection.TypeTeams {
		return nil, kind.Errf("connection %s is a %s connection, not teams", c.ConnectionID, cred.Type)
	}
	return cred, nil
}

// Execute implements kind.Action.
func (a SendTeamsMessage) Execute(ctx context.Context, s *kind.StepContext, cfg any) (any, error) {
	c := cfg.(*SendTeamsMessageConfig)
	cred, err := a.connection(ctx, s, c)
	if err != nil {
		return nil, err
	}
	status, err := a.Teams.Post(ctx, cred.Teams.WebhookURL, teams.Card(c.Title, c.Text, c.Card))
	if err != nil {
		var te *teams.Error
		if errors.As(err, &te) {
			return nil, &kind.ActionError{Err: fmt.Errorf("teams: %w", err), Retryable: te.Temporary}
		}
		return nil, &kind.ActionError{Err: fmt.Errorf("teams: %w", err), Retryable: true}
	}
	return map[string]any{"ok": true, "status": status}, nil
}

// Preview implements kind.Previewer: the envelope with the Adaptive Card
// the step would post (its size checked), never posted.
func (a SendTeamsMessage) Preview(ctx context.Context, s *kind.StepContext, cfg any) (kind.Preview, error) {
	c := cfg.(*SendTeamsMessageConfig)
	if _, err := a.connection(ctx, s, c); err != nil {
		return kind.Preview{}, err
	}
	card := teams.Card(c.Title, c.Text, c.Card)
	if _, err := teams.Encode(card); err != nil {
		return kind.Preview{}, kind.Errf("teams: %v", err)
	}
	return kind.Preview{Request: map[string]any{"connection_id": c.ConnectionID, "payload": teams.Envelope(card)},
		Note: "posted to the connection's Workflows webhook when the step runs"}, nil
}

// RetryDefaults implements kind.RetryDefaulter: a server that is down for
// a while gets the external schedule (about a day, at most an hour apart).
func (SendTeamsMessage) RetryDefaults() kind.RetryPolicy { return kind.ExternalRetry }
