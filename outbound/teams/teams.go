package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/rowflow/rowflow/outbound"
)

// MaxPayload is the most bytes Teams takes in one message.
const MaxPayload = 28 << 10

// Client posts through HTTP, which must be the outbound guard's client.
type Client struct {
	HTTP *http.Client
}

// Error is a failed post; Temporary for 5xx, 429 and network failures.
type Error struct {
	Err       error
	Temporary bool
}

// Error implements error.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Card builds an Adaptive Card: the given card (its "type" and "version"
// default to AdaptiveCard 1.4), or one made of a title and a text.
func Card(title, text string, card map[string]any) map[string]any {
	if card != nil {
		out := make(map[string]any, len(card)+3)
		for k, v := range card {
			out[k] = v
		}
		if _, ok := out["type"]; !ok {
			out["type"] = "AdaptiveCard"
		}
		if _, ok := out["version"]; !ok {
			out["version"] = "1.4"
		}
		if _, ok := out["$schema"]; !ok {
			out["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json"
		}
		return out
	}
	var body []any
	if title != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": true})
	}
	body = append(body, map[string]any{"type": "TextBlock", "text": text, "wrap": true})
	return map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard", "version": "1.4", "body": body,
	}
}

// Envelope is the message a Workflows webhook takes: one attachment
// holding the card.
func Envelope(card map[string]any) map[string]any {
	return map[string]any{
		"type": "message",
		"attachments": []any{map[string]any{
			"contentType": "application/vnd.microsoft.card.adaptive",
			"contentUrl":  nil,
			"content":     card,
		}},
	}
}

// Encode marshals the envelope of card, refusing one over MaxPayload.
func Encode(card map[string]any) ([]byte, error) {
	raw, err := json.Marshal(Envelope(card))
	if err != nil {
		return nil, &Error{Err: fmt.Errorf("encoding the card: %v", err)}
	}
	if len(raw) > MaxPayload {
		return nil, &Error{Err: fmt.Errorf("the Teams message is %d bytes; Teams takes at most %d (28 KB)", len(raw), MaxPayload)}
	}
	return raw, nil
}

// Post sends the envelope of card to a Workflows webhook URL (a secret:
// no error quotes it). Teams answers 202 and reports flow failures only in
// the flow's history; any 2xx is success.
func (c *Client) Post(ctx context.Context, webhookURL string, card map[string]any) (int, error) {
	raw, err := Encode(card)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhookURL, bytes.NewReader(raw))
	if err != nil {
		return 0, &Error{Err: errors.New("the webhook URL is not valid")}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		msg := err.Error()
		var ue *url.Error
		if errors.As(err, &ue) {
			msg = ue.Err.Error()
		}
		return 0, &Error{Err: fmt.Errorf("posting to Teams: %s", msg), Temporary: !errors.Is(err, outbound.ErrBlocked)}
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<10))
	switch {
	case resp.StatusCode/100 == 2:
		return resp.StatusCode, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return resp.StatusCode, &Error{Err: fmt.Errorf("teams answered %d: %s", resp.StatusCode, strings.TrimSpace(string(answer))), Temporary: true}
	}
	return resp.StatusCode, &Error{Err: fmt.Errorf("teams answered %d: %s", resp.StatusCode, strings.TrimSpace(string(answer)))}
}
