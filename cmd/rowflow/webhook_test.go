package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"
)

// TestWebhookSign: the printed headers verify with the Standard Webhooks
// library over the same body, in both formats; body from stdin too.
func TestWebhookSign(t *testing.T) {
	t.Parallel()
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := `{"order": {"id": 7,  "total": 120}}`
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	for _, args := range [][]string{
		{"sign", "-secret", secret, "-body", body},
		{"sign", "-secret", secret, "-body-file", "-", "-format", "headers", "-id", "msg_fixed"},
	} {
		var out bytes.Buffer
		require.NoError(t, webhookCmd(args, strings.NewReader(body), &out))
		h := http.Header{}
		text := strings.ReplaceAll(strings.TrimSpace(out.String()), "-H ", "\n")
		for _, line := range strings.Split(text, "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
				h.Set(k, strings.TrimSpace(v))
			}
		}
		require.NoError(t, wh.Verify([]byte(body), h), "%s", out.String())
		require.Error(t, wh.Verify([]byte(body+" "), h), "a changed body must not verify")
	}
	require.Error(t, webhookCmd([]string{"sign", "-body", "{}"}, nil, &bytes.Buffer{}), "no secret")
}
