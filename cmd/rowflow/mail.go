package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rowflow/rowflow/outbound/smtp/smtpserver"
)

// mailServer runs `rowflow mail`: a local SMTP server that prints each
// message it receives (envelope, headers, body) and delivers nothing — for
// trying send_email with ROWFLOW_SMTP_URL=smtp://127.0.0.1:1025?tls=none.
func mailServer(ctx context.Context, args []string) error {
	fs := newFlags("rowflow mail", "[-addr 127.0.0.1:1025]", "Runs a local SMTP server that prints each message it receives — to try send_email (ROWFLOW_SMTP_URL=smtp://127.0.0.1:1025?tls=none).")
	addr := fs.String("addr", "127.0.0.1:1025", "listen address")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	srv, err := smtpserver.Start(smtpserver.Opts{Addr: *addr, OnMessage: func(m smtpserver.Message) {
		var b strings.Builder
		fmt.Fprintf(&b, "%s MAIL FROM:<%s> RCPT TO:<%s>\n", time.Now().Format(time.TimeOnly), m.From, strings.Join(m.To, ">, <"))
		for _, h := range []string{"Message-ID", "Date", "From", "To", "Cc", "Reply-To", "Subject", "Content-Type"} {
			if v := m.Header.Get(h); v != "" {
				fmt.Fprintf(&b, "  %s: %s\n", h, v)
			}
		}
		body := m.Body
		if len(body) > 4000 {
			body = body[:4000] + "\n  … (cut)"
		}
		fmt.Fprintf(&b, "\n%s\n\n", strings.TrimRight(body, "\r\n"))
		fmt.Print(b.String())
	}})
	if err != nil {
		return err
	}
	fmt.Printf("receiving mail on smtp://%s (no TLS, no auth; Ctrl-C stops)\n", srv.Addr())
	<-ctx.Done()
	return srv.Close()
}
