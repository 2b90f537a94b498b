// Package connection keeps the credentials actions use — SMTP servers,
// Slack webhooks or bot tokens, Teams Workflows webhooks — one base each.
//
// Secrets (password, bot_token, webhook_url) are sealed with AES-256-GCM
// (crypt.go) before they reach the database, bound to the row's id and
// base; the key comes from ROWFLOW_SECRET_KEY or a 0600 key file created
// in the data folder on first run. The API view of a connection (View)
// never carries a secret: each is "••••" plus has_<name>: true. A patch
// that omits a secret, or sends the mask back, keeps it.
//
// Actions reach connections through Resolve, with the run's base: a
// connection of another base does not exist for them.
package connection
