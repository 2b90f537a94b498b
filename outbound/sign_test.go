package outbound

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// refSign is an independent HMAC of the Standard Webhooks signed content.
func refSign(key []byte, msgID string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msgID + "." + strconv.FormatInt(ts, 10) + "." + string(body)))
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestSignGolden(t *testing.T) {
	// The published test vector of the Standard Webhooks specification
	// (also in every reference library's tests).
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		msgID  = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		want   = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	body := []byte(`{"test": 2432232314}`)
	ts := time.Unix(1614265330, 0)

	assert.Equal(t, want, Sign(secret, msgID, ts, body))
	key, err := base64.StdEncoding.DecodeString("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	assert.NoError(t, err)
	assert.Equal(t, want, refSign(key, msgID, 1614265330, body), "independent HMAC")

	// Sub-second parts and zones do not matter: unix seconds are signed.
	assert.Equal(t, want, Sign(secret, msgID, time.Unix(1614265330, 999_999_999).In(time.FixedZone("x", 3600)), body))
	// Anything else changes the signature.
	assert.NotEqual(t, want, Sign(secret, msgID+"x", ts, body))
	assert.NotEqual(t, want, Sign(secret, msgID, ts.Add(time.Second), body))
	assert.NotEqual(t, want, Sign(secret, msgID, ts, []byte(`{"test": 2432232315}`)))
}

func TestSignPlainSecret(t *testing.T) {
	// A secret without whsec_ is used as is. Pinned once (computed with
	// Python hmac), and cross-checked.
	const want = "v1,zTjyLQ4TaBJ1oHYcdwmIQ2xXaRv/6ti2FTTp84YyY/c="
	ts := time.Unix(1700000000, 0)
	body := []byte(`{"hello":"world"}`)
	got := Sign("my plain secret", "run_1.step_2", ts, body)
	assert.Equal(t, refSign([]byte("my plain secret"), "run_1.step_2", 1700000000, body), got)
	assert.Equal(t, want, got)
	assert.Equal(t, refSign([]byte("k"), "m", 1700000000, nil), Sign("k", "m", ts, nil), "nil body")
}

func TestSignWhsecDecoding(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef\x00\xff")
	ts := time.Unix(1700000000, 0)
	body := []byte(`{}`)
	want := refSign(key, "m", 1700000000, body)

	padded := "whsec_" + base64.StdEncoding.EncodeToString(key)
	unpadded := "whsec_" + base64.RawStdEncoding.EncodeToString(key)
	assert.NotEqual(t, padded, unpadded)
	assert.Equal(t, want, Sign(padded, "m", ts, body))
	assert.Equal(t, want, Sign(unpadded, "m", ts, body))

	// Not valid base64 after the prefix (or nothing after it): the whole
	// string is the key.
	for _, s := range []string{"whsec_not base64!", "whsec_"} {
		assert.Equal(t, refSign([]byte(s), "m", 1700000000, body), Sign(s, "m", ts, body), s)
	}
	// The prefix is case-sensitive.
	s := "WHSEC_" + base64.StdEncoding.EncodeToString(key)
	assert.Equal(t, refSign([]byte(s), "m", 1700000000, body), Sign(s, "m", ts, body))
}
