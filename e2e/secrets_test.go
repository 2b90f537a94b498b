package e2e_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// signature is the Standard Webhooks signature of a delivery with secret.
func signature(secret string, d delivery) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%s.%s.%s", d.Header.Get("webhook-id"), d.Header.Get("webhook-timestamp"), d.Raw)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// TestSecretsAreNeverAnswered: a step's secret and credential headers are
// answered as ******** everywhere (automation, list, run input); sending
// the marker back in a PATCH keeps the stored value. The secrets hold '-'
// and '_', which base32 ids never do, so none can appear in an answer by
// chance (a short one once did, inside a run id).
func TestSecretsAreNeverAnswered(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv := newReceiver(t)
	step := func(body string, secret string) map[string]any {
		return map[string]any{"id": "notify", "type": "send_webhook", "config": map[string]any{
			"url": rcv.URL, "secret": secret, "body": map[string]any{"v": body},
			"headers": map[string]any{"Authorization": "Bearer T0K3N-credential_x", "Content-Type": "application/json", "X-Api-Key": "XK3Y-credential_y"},
		}}
	}
	created := f.env.JSON("POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{
		"name": "secrets", "trigger": f.trigger("record_created", nil), "steps": []any{step("one", "S3CR3T-value_one")},
	}, 201)
	aut := created["id"].(string)
	got := f.env.JSON("GET", "/api/v1/automations/"+aut, nil, 200)
	listed := items(f.env.JSON("GET", "/api/v1/bases/"+f.baseID+"/automations", nil, 200))
	require.Len(t, listed, 1)
	for _, a := range []map[string]any{created, got, listed[0]} {
		cfg := a["steps"].([]any)[0].(map[string]any)["config"].(map[string]any)
		require.Equal(t, "********", cfg["secret"])
		require.Equal(t, "********", cfg["headers"].(map[string]any)["Authorization"])
		require.Equal(t, "application/json", cfg["headers"].(map[string]any)["Content-Type"])
		require.Equal(t, "********", cfg["headers"].(map[string]any)["X-Api-Key"])
		require.NotContains(t, string(mustJSON(t, a)), "XK3Y-credential_y")
		require.NotContains(t, string(mustJSON(t, a)), "S3CR3T-value_one")
		require.NotContains(t, string(mustJSON(t, a)), "T0K3N-credential_x")
	}

	f.create(t, map[string]any{"Name": "a"})
	d := rcv.wait(t)
	require.Equal(t, "Bearer T0K3N-credential_x", d.Header.Get("Authorization"))
	require.Equal(t, "XK3Y-credential_y", d.Header.Get("X-Api-Key"))
	require.Equal(t, signature("S3CR3T-value_one", d), d.Header.Get("webhook-signature"))

	// The redacted step sent back (with another body) keeps both secrets.
	steps := got["steps"].([]any)
	steps[0].(map[string]any)["config"].(map[string]any)["body"] = map[string]any{"v": "two"}
	f.env.JSON("PATCH", "/api/v1/automations/"+aut, map[string]any{"steps": steps}, 200)
	f.create(t, map[string]any{"Name": "b"})
	d = rcv.wait(t)
	require.Equal(t, "two", d.Body["v"])
	require.Equal(t, "Bearer T0K3N-credential_x", d.Header.Get("Authorization"), "the stored header was kept")
	require.Equal(t, signature("S3CR3T-value_one", d), d.Header.Get("webhook-signature"), "the stored secret was kept")

	// A new secret replaces the old one.
	f.env.JSON("PATCH", "/api/v1/automations/"+aut, map[string]any{"steps": []any{step("three", "N3W-secret_value")}}, 200)
	f.create(t, map[string]any{"Name": "c"})
	d = rcv.wait(t)
	require.Equal(t, "three", d.Body["v"])
	require.Equal(t, signature("N3W-secret_value", d), d.Header.Get("webhook-signature"))

	for _, r := range f.waitExactly(t, aut, 3) {
		in := stepsOf(r)[0]["input"].(map[string]any)
		require.Equal(t, "********", in["secret"])
		require.Equal(t, "********", in["headers"].(map[string]any)["Authorization"])
		raw := string(mustJSON(t, f.getRun(t, r["id"].(string))))
		for _, secret := range []string{"S3CR3T-value_one", "N3W-secret_value", "T0K3N-credential_x"} {
			require.NotContains(t, raw, secret)
		}
	}
}

// TestHiddenSecretStaysWithItsDestination is the regression test of an
// editor exfiltrating a hidden secret: PATCH the step's url to another
// host (here another port) while sending back "********" — the stored
// bearer token and signing secret would have gone there. The save is
// refused (422 naming each secret), nothing is written, and the same
// destination with another path still keeps them.
func TestHiddenSecretStaysWithItsDestination(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rcv, evil := newReceiver(t), newReceiver(t)
	aut := f.automation(t, map[string]any{"name": "exfil", "trigger": f.trigger("record_created", nil), "steps": []any{
		map[string]any{"id": "notify", "type": "send_webhook", "config": map[string]any{
			"url": rcv.URL + "/in", "secret": "S1GN-secret_value", "headers": map[string]any{"Authorization": "Bearer B34RER-token_x"},
		}},
	}})
	got := f.env.JSON("GET", "/api/v1/automations/"+aut, nil, 200)
	steps := got["steps"].([]any)
	cfg := steps[0].(map[string]any)["config"].(map[string]any)
	cfg["url"] = evil.URL + "/in"
	status, p, raw := f.send(t, "PATCH", "/api/v1/automations/"+aut, map[string]any{"steps": steps})
	require.Equal(t, 422, status, "%s", raw)
	locs := map[string]bool{}
	for _, e := range p.Errors {
		locs[e.Location] = true
		require.Contains(t, e.Message, "send this secret again")
	}
	require.True(t, locs["body.steps[0].config.headers.Authorization"] || locs["steps[0].config.headers.Authorization"], "%s", raw)
	require.True(t, locs["body.steps[0].config.secret"] || locs["steps[0].config.secret"], "%s", raw)
	require.Equal(t, got["version"], f.env.JSON("GET", "/api/v1/automations/"+aut, nil, 200)["version"], "nothing written")

	// Redacted with no stored secret behind it is refused too.
	cfg["url"] = rcv.URL + "/in"
	cfg["headers"] = map[string]any{"Authorization": "********", "X-New": "********"}
	status, _, raw = f.send(t, "PATCH", "/api/v1/automations/"+aut, map[string]any{"steps": steps})
	require.Equal(t, 422, status, "%s", raw)
	require.Contains(t, string(raw), "X-New")

	// Same scheme, host and port, another path: the secrets are kept.
	cfg["headers"] = map[string]any{"Authorization": "********"}
	cfg["url"] = rcv.URL + "/other"
	f.env.JSON("PATCH", "/api/v1/automations/"+aut, map[string]any{"steps": steps}, 200)
	f.create(t, map[string]any{"Name": "a"})
	d := rcv.wait(t)
	require.Equal(t, "Bearer B34RER-token_x", d.Header.Get("Authorization"))
	require.Equal(t, signature("S1GN-secret_value", d), d.Header.Get("webhook-signature"))
	require.Equal(t, 0, evil.count())
}
