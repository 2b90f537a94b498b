package app

import (
	"context"
	"time"

	"github.com/rowflow/rowflow/outbound/smtp"
)

// alertMail sends the runtime's failure alerts (automation.AlertMailer)
// through the server's SMTP server (ROWFLOW_SMTP_URL).
type alertMail struct {
	server smtp.Config
	sender *smtp.Sender
}

// SendAlert implements automation.AlertMailer.
func (m alertMail) SendAlert(ctx context.Context, to, subject, text string) error {
	_, err := m.sender.Send(ctx, m.server, smtp.Message{From: m.server.From, To: []string{to}, Subject: subject, Text: text, Date: time.Now()})
	return err
}
