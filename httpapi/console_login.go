package httpapi

import (
	"math"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/rowflow/rowflow/auth"
)

// consoleLoginLimit puts the console under the API's limits: its login
// form under the failed-authentication limit (a client IP that failed too
// often gets 429 before its token is looked at, and each refused login
// (401) counts), and every request of a session under the per-token
// request limit, keyed by the session's token (the admin token's sessions
// share one key), in buckets of their own beside the token's API requests.
func consoleLoginLimit(limits *limiters, sessions *auth.Sessions, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/console/login" {
			if sessions != nil {
				if sess, err := sessions.FromRequest(r); err == nil {
					key := "console:" + sess.Principal.TokenID
					if ok, wait := limits.tokens.take(key); !ok {
						w.Header().Set("Retry-After", strconv.Itoa(max(int(math.Ceil(wait.Seconds())), 1)))
						http.Error(w, "too many requests with this token: try again later", http.StatusTooManyRequests)
						return
					}
				}
			}
			next.ServeHTTP(w, r)
			return
		}
		ip := clientIP(r.RemoteAddr)
		if blocked, wait := limits.authFailures.blocked(ip); blocked {
			w.Header().Set("Retry-After", strconv.Itoa(max(int(math.Ceil(wait.Seconds())), 1)))
			http.Error(w, "too many failed logins from this address: try again later", http.StatusTooManyRequests)
			return
		}
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		if ww.Status() == http.StatusUnauthorized {
			limits.authFailures.take(ip)
		}
	})
}
