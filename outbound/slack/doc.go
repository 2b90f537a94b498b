// Package slack posts messages to Slack: chat.postMessage with a bot
// token (slack-go/slack over the caller's HTTP client, the outbound guard)
// and incoming webhooks (a short hand-written POST, because the library's
// webhook call discards Slack's error body). It is a client and nothing
// else: it knows nothing of connections or runs.
package slack
