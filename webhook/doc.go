// Package webhook is rowflow's incoming webhooks: endpoints of a base with
// their own authentication (Standard Webhooks HMAC, bearer, basic or none),
// secrets shown once and rotated with a grace period, and the requests they
// receive.
//
// A request to POST /api/v1/webhooks/{id}/trigger goes through, in order:
//
//	size limit (413) → authentication over the raw body (401, nothing stored)
//	→ rate limit (429 + Retry-After) → decode (JSON, form, text)
//	→ ONE transaction: claim the sender's delivery id (webhook-id or
//	  Idempotency-Key, 7 days), start the runs of every enabled
//	  webhook_received automation of the webhook (automation.StartTriggered),
//	  store the request with the run ids; synchronous commit
//	→ 202 {request_id, runs} — or, for a delivery id seen before, 200 with
//	  the original answer and nothing started.
//
// So an answered request is never lost, a rejected one leaves nothing, and
// one delivery is one set of runs however often the sender retries it.
// The payload mapping (name → jq expression, itchyny/gojq) is compiled once
// per webhook version and evaluated with a deadline; a mapping that fails
// stores the runs failed with its error.
package webhook
