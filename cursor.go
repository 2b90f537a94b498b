package rowflow

import (
	"encoding/base64"
	"strings"
	"time"
)

// TimeCursor is the opaque cursor of a list ordered newest first by a
// timestamp then an id (runs, stored webhook requests): the last item's
// position, which the next page starts after.
func TimeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.Format(time.RFC3339Nano) + "|" + id))
}

// ParseTimeCursor reads a TimeCursor; a malformed one is an invalid error
// at location "cursor".
func ParseTimeCursor(cursor string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	ts, id, ok := strings.Cut(string(b), "|")
	t, terr := time.Parse(time.RFC3339Nano, ts)
	if err != nil || !ok || terr != nil {
		return time.Time{}, "", Invalid("cursor", "malformed cursor")
	}
	return t, id, nil
}
