package outbound

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix marks a Standard Webhooks secret whose key is base64 encoded.
const SecretPrefix = "whsec_"

// signingKey returns the HMAC key of secret: the decoded bytes of
// "whsec_<base64>" (standard alphabet, padded or not), else the secret's own
// bytes (also when the part after whsec_ is not valid base64).
func signingKey(secret string) []byte {
	if rest, ok := strings.CutPrefix(secret, SecretPrefix); ok && rest != "" {
		if k, err := base64.StdEncoding.DecodeString(rest); err == nil {
			return k
		}
		if k, err := base64.RawStdEncoding.DecodeString(rest); err == nil {
			return k
		}
	}
	return []byte(secret)
}

// Sign returns the Standard Webhooks signature
// "v1,<base64 HMAC-SHA256(key, msgID + "." + unixSeconds + "." + body)>".
// secret may be "whsec_<base64>" (the key is the decoded bytes) or any other
// string (the key is its bytes).
func Sign(secret, msgID string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, signingKey(secret))
	// msgID "." unixSeconds "." in one write (22 bytes cover any int64).
	head := make([]byte, 0, len(msgID)+22)
	head = append(head, msgID...)
	head = append(head, '.')
	head = strconv.AppendInt(head, ts.Unix(), 10)
	head = append(head, '.')
	mac.Write(head)
	mac.Write(body)
	var sum [sha256.Size]byte
	out := make([]byte, 3, 3+base64.StdEncoding.EncodedLen(sha256.Size))
	copy(out, "v1,")
	out = base64.StdEncoding.AppendEncode(out, mac.Sum(sum[:0]))
	return string(out)
}
