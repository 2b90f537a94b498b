package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/rowflow/rowflow/outbound"
)

// DefaultAPIURL is Slack's Web API root.
const DefaultAPIURL = "https://slack.com/api/"

// maxAnswer is how much of a webhook's answer is read.
const maxAnswer = 8 << 10

// Client talks to Slack through HTTP (which must be the outbound guard's
// client). APIURL overrides DefaultAPIURL (tests; ROWFLOW_SLACK_API_URL).
type Client struct {
	HTTP   *http.Client
	APIURL string
}

// Message is one message: text (the notification fallback when blocks
// are given) and optional Block Kit blocks as JSON.
type Message struct {
	Channel string
	Text    string
	Blocks  json.RawMessage
}

// Result is Slack's answer to a posted message (an incoming webhook says
// only "ok": Channel and TS stay empty).
type Result struct {
	OK      bool   `json:"ok"`
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// Error is a failed post: Temporary for 5xx and network failures,
// RetryAfter for a 429; otherwise Slack's error string ("channel_not_found")
// is the message and retrying will not help.
type Error struct {
	Err        error
	Temporary  bool
	RetryAfter time.Duration
}

// Error implements error.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ParseBlocks checks raw as a list of Block Kit blocks.
func ParseBlocks(raw json.RawMessage) (slack.Blocks, error) {
	var b slack.Blocks
	if err := json.Unmarshal(raw, &b); err != nil {
		return b, fmt.Errorf("not Block Kit blocks: %v", err)
	}
	return b, nil
}

func (c *Client) api(token string) *slack.Client {
	u := c.APIURL
	if u == "" {
		u = DefaultAPIURL
	}
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return slack.New(token, slack.OptionHTTPClient(c.HTTP), slack.OptionAPIURL(u))
}

// PostMessage posts m with chat.postMessage as the bot of token.
func (c *Client) PostMessage(ctx context.Context, token string, m Message) (Result, error) {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 {
		b, err := ParseBlocks(m.Blocks)
		if err != nil {
			return Result{}, &Error{Err: err}
		}
		opts = append(opts, slack.MsgOptionBlocks(b.BlockSet...))
	}
	ch, ts, err := c.api(token).PostMessageContext(ctx, m.Channel, opts...)
	if err != nil {
		return Result{}, classify(err)
	}
	return Result{OK: true, Channel: ch, TS: ts}, nil
}

// AuthTest checks a bot token (auth.test).
func (c *Client) AuthTest(ctx context.Context, token string) error {
	_, err := c.api(token).AuthTestContext(ctx)
	if err != nil {
		return classify(err)
	}
	return nil
}

// PostWebhook posts m to an incoming webhook URL. The URL is a secret: no
// error quotes it.
func (c *Client) PostWebhook(ctx context.Context, webhookURL string, m Message) (Result, error) {
	body := map[string]any{"text": m.Text}
	if len(m.Blocks) > 0 {
		if _, err := ParseBlocks(m.Blocks); err != nil {
			return Result{}, &Error{Err: err}
		}
		body["blocks"] = m.Blocks
	}
	if m.Channel != "" {
		body["channel"] = m.Channel
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return Result{}, &Error{Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhookURL, bytes.NewReader(raw))
	if err != nil {
		return Result{}, &Error{Err: errors.New("the webhook URL is not valid")}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Result{}, &Error{Err: fmt.Errorf("posting to the Slack webhook: %s", stripURL(err)), Temporary: !blocked(err)}
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	text := strings.TrimSpace(string(answer))
	switch {
	case resp.StatusCode/100 == 2:
		return Result{OK: true}, nil
	case resp.StatusCode == http.StatusTooManyRequests:
		return Result{}, &Error{Err: errors.New("slack rate limit exceeded"), Temporary: true, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	case resp.StatusCode >= 500:
		return Result{}, &Error{Err: fmt.Errorf("slack answered %d: %s", resp.StatusCode, text), Temporary: true}
	}
	// 400 invalid_payload, 403 action_prohibited, 404 channel_not_found, 410 channel_is_archived …
	return Result{}, &Error{Err: fmt.Errorf("slack answered %d: %s", resp.StatusCode, text)}
}

func classify(err error) error {
	var rl *slack.RateLimitedError
	var se slack.SlackErrorResponse
	var sc slack.StatusCodeError
	switch {
	case errors.As(err, &rl):
		return &Error{Err: errors.New("slack rate limit exceeded"), Temporary: true, RetryAfter: rl.RetryAfter}
	case errors.As(err, &se):
		return &Error{Err: fmt.Errorf("slack error: %s", se.Err)}
	case errors.As(err, &sc):
		return &Error{Err: fmt.Errorf("slack answered %d", sc.Code), Temporary: sc.Retryable()}
	}
	return &Error{Err: fmt.Errorf("calling Slack: %s", stripURL(err)), Temporary: !blocked(err)}
}

// stripURL drops the URL a *url.Error quotes (webhook URLs are secrets).
func stripURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

func blocked(err error) bool { return errors.Is(err, outbound.ErrBlocked) }

func retryAfter(v string) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return time.Second
}
