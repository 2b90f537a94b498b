// Package smtpserver is a small SMTP server (emersion/go-smtp) that keeps
// what it receives: `rowflow mail` prints each message, and tests assert
// on them and inject 4xx/5xx replies. It stores messages in memory only
// and never relays.
package smtpserver
