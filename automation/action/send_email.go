package action

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"

	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/connection"
	"github.com/rowflow/rowflow/outbound/smtp"
)

// SendEmailConfig is send_email's config. Address fields are one address
// or a comma-separated list, templated, and checked after rendering.
type SendEmailConfig struct {
	ConnectionID string `json:"connection_id,omitempty" doc:"an smtp connection of the base; omitted: the server's default SMTP server (ROWFLOW_SMTP_URL)" example:"con_01jd0000000000000000000000"`
	To           string `json:"to" doc:"address or comma-separated addresses (templated)" example:"{{trigger.record.fields.Email}}"`
	Cc           string `json:"cc,omitempty"`
	Bcc          string `json:"bcc,omitempty"`
	ReplyTo      string `json:"reply_to,omitempty"`
	Subject      string `json:"subject" example:"Order {{trigger.record.fields.Name}} received"`
	Text         string `json:"text,omitempty" doc:"plain-text body (templated)"`
	HTML         string `json:"html,omitempty" doc:"HTML body (templated; inserted values are HTML-escaped)"`
}

// Mailer sends one message to an SMTP server (*smtp.Sender).
type Mailer interface {
	Send(ctx context.Context, cfg smtp.Config, m smtp.Message) (smtp.Result, error)
}

// SendEmail sends an email through an smtp connection of the base or the
// server's default SMTP server. The Message-ID is the same on every
// attempt of one step of one run.
type SendEmail struct {
	Connections Connections
	// Mail sends through connections (its dialer is the outbound guard's).
	Mail Mailer
	// Default is the server's own SMTP server (nil: none) and DefaultMail
	// the sender for it (the operator's choice: not guarded).
	Default     *smtp.Config
	DefaultMail Mailer
}

// Name implements kind.Kind.
func (SendEmail) Name() string { return "send_email" }

// Summary implements kind.Kind.
func (SendEmail) Summary() string {
	return "Send an email through an smtp connection or the server's SMTP server; 4xx and refused connections are retried, 5xx fail at once."
}

// NewConfig implements kind.Kind.
func (SendEmail) NewConfig() any { return &SendEmailConfig{} }

// Example implements kind.Kind: it needs the server's default SMTP server.
func (SendEmail) Example(string) any {
	return SendEmailConfig{To: "ops@example.com", Subject: "New record {{trigger.record.id}}", Text: "Created: {{trigger.record.id}}"}
}

// Secrets implements kind.SecretHolder.
func (SendEmail) Secrets() []string { return connectionSecrets }

// Escape implements kind.Escaper: values put into html are HTML-escaped.
func (SendEmail) Escape(path string) func(string) string {
	if path == "html" {
		return html.EscapeString
	}
	return nil
}

// Validate implements kind.Action.
func (a SendEmail) Validate(v kind.Validator, cfg any, loc string) {
	c := cfg.(*SendEmailConfig)
	switch {
	case c.ConnectionID != "":
		if kind.IsTemplate(c.ConnectionID) {
			v.Add(loc+".connection_id", "must be a connection id, not a template")
		} else {
			resolveAt(v, a.Connections, c.ConnectionID, connection.TypeSMTP, loc+".connection_id")
		}
	case a.Default == nil:
		v.Add(loc+".connection_id", "name an smtp connection: this server has no default SMTP server (ROWFLOW_SMTP_URL)")
	}
	if strings.TrimSpace(c.To) == "" {
		v.Add(loc+".to", "is required")
	}
	for _, f := range []struct{ key, val string }{{"to", c.To}, {"cc", c.Cc}, {"bcc", c.Bcc}, {"reply_to", c.ReplyTo}} {
		if !kind.IsTemplate(f.val) {
			if _, err := smtp.SplitAddresses(f.val); err != nil {
				v.Add(loc+"."+f.key, "%s", err.Error())
			}
		}
	}
	if strings.TrimSpace(c.Subject) == "" {
		v.Add(loc+".subject", "is required")
	}
	if c.Text == "" && c.HTML == "" {
		v.Add(loc+".text", "give text, html or both")
	}
}

// message is the server, sender and message Execute sends (and Preview
// shows) for a rendered config.
func (a SendEmail) message(ctx context.Context, s *kind.StepContext, c *SendEmailConfig) (*smtp.Config, Mailer, smtp.Message, error) {
	server, mailer := a.Default, a.DefaultMail
	if c.ConnectionID != "" {
		cred, err := a.Connections.Resolve(ctx, s.BaseID, c.ConnectionID)
		if err != nil {
			return nil, nil, smtp.Message{}, kind.Errf("connection %s: %v", c.ConnectionID, err)
		}
		if cred.Type != connection.TypeSMTP {
			return nil, nil, smtp.Message{}, kind.Errf("connection %s is a %s connection, not smtp", c.ConnectionID, cred.Type)
		}
		server, mailer = &cred.SMTP, a.Mail
	}
	if server == nil || mailer == nil {
		return nil, nil, smtp.Message{}, kind.Errf("no SMTP server: name an smtp connection or set ROWFLOW_SMTP_URL")
	}
	m := smtp.Message{From: server.From, Subject: oneLine(c.Subject), Text: c.Text, HTML: c.HTML, Date: s.Now}
	var err error
	for _, f := range []struct {
		key string
		val string
		dst *[]string
	}{{"to", c.To, &m.To}, {"cc", c.Cc, &m.Cc}, {"bcc", c.Bcc, &m.Bcc}} {
		if *f.dst, err = smtp.SplitAddresses(f.val); err != nil {
			return nil, nil, smtp.Message{}, kind.Errf("%s: %v", f.key, err)
		}
	}
	if len(m.To) == 0 {
		return nil, nil, smtp.Message{}, kind.Errf("to: no address after rendering")
	}
	if strings.TrimSpace(c.ReplyTo) != "" {
		if m.ReplyTo, err = smtp.CheckAddress(c.ReplyTo); err != nil {
			return nil, nil, smtp.Message{}, kind.Errf("reply_to: %v", err)
		}
	}
	// One Message-ID per step execution (each for_each item its own):
	// receivers that drop repeated Message-IDs drop only true retries.
	m.MessageID = MessageID(s.RunID, s.StepID, server.From)
	return server, mailer, m, nil
}

// Execute implements kind.Action.
func (a SendEmail) Execute(ctx context.Context, s *kind.StepContext, cfg any) (any, error) {
	server, mailer, m, err := a.message(ctx, s, cfg.(*SendEmailConfig))
	if err != nil {
		return nil, err
	}
	res, err := mailer.Send(ctx, *server, m)
	if err != nil {
		var se *smtp.Error
		if errors.As(err, &se) {
			return nil, &kind.ActionError{Err: fmt.Errorf("smtp: %w", err), Retryable: se.Temporary}
		}
		return nil, &kind.ActionError{Err: fmt.Errorf("smtp: %w", err), Retryable: true}
	}
	return map[string]any{"message_id": "<" + res.MessageID + ">", "accepted": res.Accepted}, nil
}

// Preview implements kind.Previewer: the server and the message (its
// addresses checked, the subject on one line), never sent. Which
// recipients the server accepts is known only when it is sent.
func (a SendEmail) Preview(ctx context.Context, s *kind.StepContext, cfg any) (kind.Preview, error) {
	server, _, m, err := a.message(ctx, s, cfg.(*SendEmailConfig))
	if err != nil {
		return kind.Preview{}, err
	}
	port := server.Port
	if port == 0 {
		port = smtp.DefaultPort(server.TLS)
	}
	req := map[string]any{"server": fmt.Sprintf("%s:%d", server.Host, port), "from": m.From, "to": m.To, "subject": m.Subject,
		"message_id": "<" + m.MessageID + ">"}
	for k, v := range map[string][]string{"cc": m.Cc, "bcc": m.Bcc} {
		if len(v) > 0 {
			req[k] = v
		}
	}
	for k, v := range map[string]string{"reply_to": m.ReplyTo, "text": m.Text, "html": m.HTML} {
		if v != "" {
			req[k] = v
		}
	}
	return kind.Preview{Request: req, Note: "sent over SMTP when the step runs; a temporary refusal is retried"}, nil
}

// MessageID is the Message-ID (without <>) of the email of step stepID of
// run runID: the same on every attempt, so a receiver recognises a retry.
func MessageID(runID, stepID, from string) string {
	domain := "rowflow.local"
	if at := strings.LastIndex(from, "@"); at >= 0 {
		if d := strings.Trim(from[at+1:], "> "); d != "" {
			domain = d
		}
	}
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
				return r
			}
			return '-'
		}, s)
	}
	return clean(runID) + "." + clean(stepID) + "@" + clean(domain)
}

// oneLine keeps a rendered subject on one header line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("\r", " ", "\n", " ").Replace(s)), " ")
}

// RetryDefaults implements kind.RetryDefaulter: a server that is down for
// a while gets the external schedule (about a day, at most an hour apart).
func (SendEmail) RetryDefaults() kind.RetryPolicy { return kind.ExternalRetry }
