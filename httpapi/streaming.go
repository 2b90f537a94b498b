package httpapi

import (
	"net/http"
	"strings"
	"time"
)

// streaming lifts the server's read and write deadlines for a request
// that asks for a stream (Accept: text/event-stream): the server's
// WriteTimeout bounds ordinary answers, but would cut a Server-Sent
// Events stream, and an expired ReadTimeout would cancel its context.
// Idle and header timeouts still apply to every connection.
func streaming(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && acceptsEventStream(r.Header.Values("Accept")) {
			rc := http.NewResponseController(w)
			_ = rc.SetWriteDeadline(time.Time{})
			_ = rc.SetReadDeadline(time.Time{})
		}
		next.ServeHTTP(w, r)
	})
}

func acceptsEventStream(values []string) bool {
	for _, v := range values {
		if strings.Contains(strings.ToLower(v), "text/event-stream") {
			return true
		}
	}
	return false
}
