package kind

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func decoded(t *testing.T, s string) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(s), &v))
	return v
}

// TestRedactCredentials is the regression test of credentials a viewer
// saw: custom headers, userinfo in URLs, credential query parameters and
// tokens in hook URL paths, in configs and rendered run input alike.
func TestRedactCredentials(t *testing.T) {
	t.Parallel()
	cfg := decoded(t, `{
		"url": "https://user:pw-S3CRET@api.example.com/v1/orders?api_key=K3Y-1&page=2&access_token=AT-9",
		"headers": {"X-Api-Key": "XK-1", "Cookie": "session=C00KIE", "X-Auth-Thing": "XA-1",
			"Content-Type": "application/json", "Accept": "*/*", "User-Agent": "rowflow"},
		"body": {"note": "post to https://hooks.slack.com/services/T0001/B0002/SLACKT0KEN123 please",
			"link": "https://example.com/records/rec_01JD0000000000000000000000/550e8400-e29b-41d4-a716-446655440000",
			"gh": "https://ghp_abc123@github.com/x", "tok": "https://api.example.com/callback/aB3dE5gH7jK9mN1pQ3sT5vX7zZ",
			"discord": "https://discord.com/api/webhooks/123456/DISC-token"},
		"secret": "whsec"
	}`)
	out := Redact(cfg, nil)
	raw, _ := json.Marshal(out)
	for _, leak := range []string{"pw-S3CRET", "K3Y-1", "AT-9", "XK-1", "C00KIE", "XA-1", "SLACKT0KEN123", "ghp_abc123", "aB3dE5gH7jK9mN1pQ3sT5vX7zZ", "DISC-token", "whsec"} {
		require.NotContains(t, string(raw), leak)
	}
	m := out.(map[string]any)
	h := m["headers"].(map[string]any)
	require.Equal(t, "application/json", h["Content-Type"])
	require.Equal(t, "*/*", h["Accept"])
	require.Equal(t, "rowflow", h["User-Agent"])
	require.Equal(t, Redacted, h["X-Api-Key"])
	u := m["url"].(string)
	require.True(t, strings.HasPrefix(u, "https://user:"+Redacted+"@api.example.com/v1/orders?"), u)
	require.Contains(t, u, "page=2")
	body := m["body"].(map[string]any)
	require.Contains(t, body["link"], "rec_01JD0000000000000000000000/550e8400-e29b-41d4-a716-446655440000", "ids and UUIDs are not tokens")
	require.Contains(t, body["note"], "please")
}

// TestRestore: what Redact showed, sent back, restores the stored value;
// Redacted where nothing matches is missing.
func TestRestore(t *testing.T) {
	t.Parallel()
	old := decoded(t, `{"url":"https://u:pw@h.example/x?token=T","headers":{"X-Api-Key":"K"},"secret":"S"}`)
	shown := Redact(old, nil)
	shown.(map[string]any)["extra"] = Redacted
	out, restored, missing := Restore(shown, old, nil)
	require.Len(t, restored, 3)
	require.Equal(t, [][]string{{"extra"}}, missing)
	m := out.(map[string]any)
	require.Equal(t, "https://u:pw@h.example/x?token=T", m["url"])
	require.Equal(t, "K", m["headers"].(map[string]any)["X-Api-Key"])
	require.Equal(t, "S", m["secret"])

	// A changed URL that still shows Redacted restores nothing.
	shown = Redact(old, nil)
	shown.(map[string]any)["url"] = "https://u:" + Redacted + "@evil.example/x?token=" + Redacted
	_, _, missing = Restore(shown, old, nil)
	require.Equal(t, [][]string{{"url"}}, missing)
}

func TestOrigin(t *testing.T) {
	t.Parallel()
	require.Equal(t, "https://a.example:443", Origin("https://A.example/x"))
	require.Equal(t, Origin("https://a.example/x"), Origin("https://a.example:443/y?z"))
	require.NotEqual(t, Origin("https://a.example/x"), Origin("http://a.example/x"))
	require.NotEqual(t, Origin("https://a.example/x"), Origin("https://a.example:8443/x"))
	require.Equal(t, "https://{{trigger.record.fields.host}}", Origin("https://{{trigger.record.fields.Host}}/a/{{x}}"))
}
