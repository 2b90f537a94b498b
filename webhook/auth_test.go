package webhook

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/db"
)

// TestVerifyRotationGrace: on a pinned clock, the secret before a rotation
// verifies until its grace ends and never after; the new one always does;
// timestamps are checked against the same clock.
func TestVerifyRotationGrace(t *testing.T) {
	t.Parallel()
	oldKey, newKey := newSecret(ModeHMAC), newSecret(ModeHMAC)
	rotated := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)
	until := rotated.Add(DefaultGrace)
	w := db.Webhook{ID: "whk_x", AuthMode: ModeHMAC, Secret: newKey, PreviousSecret: &oldKey, PreviousUntil: &until}
	body := []byte(`{"a": 1}`)
	headers := func(key string, at time.Time) http.Header {
		sig, err := Sign(key, "msg_1", at, body)
		require.NoError(t, err)
		h := http.Header{}
		h.Set("webhook-id", "msg_1")
		h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
		h.Set("webhook-signature", sig)
		return h
	}
	for _, tc := range []struct {
		name string
		key  string
		now  time.Time
		sent time.Time
		ok   bool
	}{
		{"old key within grace", oldKey, until.Add(-time.Second), until.Add(-time.Second), true},
		{"old key after grace", oldKey, until.Add(time.Second), until.Add(time.Second), false},
		{"new key after grace", newKey, until.Add(time.Hour), until.Add(time.Hour), true},
		{"4 minutes old", newKey, rotated, rotated.Add(-4 * time.Minute), true},
		{"6 minutes old", newKey, rotated, rotated.Add(-6 * time.Minute), false},
		{"6 minutes ahead", newKey, rotated, rotated.Add(6 * time.Minute), false},
	} {
		err := verify(w, headers(tc.key, tc.sent), body, tc.now)
		if tc.ok {
			require.NoError(t, err, tc.name)
		} else {
			require.Error(t, err, tc.name)
			require.Equal(t, rowflow.CodeUnauthorized, rowflow.ErrorCode(err), tc.name)
		}
	}
	// Bearer and basic take either secret within the grace too.
	for _, mode := range []string{ModeBearer, ModeBasic} {
		w := db.Webhook{AuthMode: mode, Secret: "new", PreviousSecret: ptr("old"), PreviousUntil: &until}
		for _, tc := range []struct {
			secret string
			now    time.Time
			ok     bool
		}{{"new", until.Add(time.Hour), true}, {"old", until.Add(-time.Minute), true}, {"old", until.Add(time.Minute), false}, {"", rotated, false}} {
			r, _ := http.NewRequest("POST", "/", nil)
			if mode == ModeBearer {
				r.Header.Set("Authorization", "Bearer "+tc.secret)
			} else {
				r.SetBasicAuth("anyone", tc.secret)
			}
			err := verify(w, r.Header, body, tc.now)
			require.Equal(t, tc.ok, err == nil, "%s %q at %s: %v", mode, tc.secret, tc.now, err)
		}
	}
}

func ptr(s string) *string { return &s }

// TestDecodeBody: JSON, +json, form (lists for repeated keys), text, empty.
func TestDecodeBody(t *testing.T) {
	t.Parallel()
	v, err := decodeBody("application/json; charset=utf-8", []byte(`{"a": [1]}`))
	require.NoError(t, err)
	require.Equal(t, map[string]any{"a": []any{1.0}}, v)
	v, err = decodeBody("application/cloudevents+json", []byte(`"x"`))
	require.NoError(t, err)
	require.Equal(t, "x", v)
	v, err = decodeBody("application/x-www-form-urlencoded", []byte(`a=1&b=2&b=3`))
	require.NoError(t, err)
	require.Equal(t, map[string]any{"a": "1", "b": []any{"2", "3"}}, v)
	v, err = decodeBody("", []byte(`plain`))
	require.NoError(t, err)
	require.Equal(t, "plain", v)
	v, err = decodeBody("application/json", nil)
	require.NoError(t, err)
	require.Nil(t, v)
	_, err = decodeBody("application/json", []byte(`{`))
	require.Equal(t, rowflow.CodeInvalid, rowflow.ErrorCode(err))
}

// TestMappingDeadline: an expression that never ends is stopped by the
// deadline with an error naming it.
func TestMappingDeadline(t *testing.T) {
	t.Parallel()
	s := New(Opts{})
	m, err := s.mappingFor("whk_x", time.Unix(1, 0), []byte(`{"forever": "def f: f; f", "ok": ".body.a"}`))
	require.NoError(t, err)
	t0 := time.Now()
	_, err = m.run(t.Context(), map[string]any{"body": map[string]any{"a": 1}}, 10)
	require.ErrorContains(t, err, "mapping forever")
	require.Less(t, time.Since(t0), 2*time.Second)
	m2, err := s.mappingFor("whk_y", time.Unix(1, 0), []byte(`{"ok": ".body.a"}`))
	require.NoError(t, err)
	out, err := m2.run(t.Context(), map[string]any{"body": map[string]any{"a": 1}}, 10)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"ok": 1}, out)
	_, err = m2.run(t.Context(), map[string]any{}, mappingInputCap+1)
	require.ErrorContains(t, err, "input limit")
}
