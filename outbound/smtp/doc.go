// Package smtp is rowflow's SMTP client (go-mail underneath): it sends one
// message to a server described by a Config, keeps idle connections per
// server for the next message (Sender), and classifies failures as
// temporary (4xx, connection refused, timeouts: retry) or permanent (5xx,
// TLS policy mismatch, bad addresses: fail with the server's reply).
//
// It is a leaf: it knows nothing of connections, runs or steps.
package smtp
