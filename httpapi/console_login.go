package httpapi

import (
	"math"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5/middleware"
)

// consoleLoginLimit puts the console's login form under the API's
// failed-authentication limit: a client IP that failed too often gets 429
// before its token is looked at, and each refused login (401) counts.
func consoleLoginLimit(limits *limiters, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/console/login" {
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
