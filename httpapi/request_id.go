package httpapi

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"
)

// maxRequestIDLen is the longest client X-Request-Id kept.
const maxRequestIDLen = 64

// requestID gives every request an id (middleware.GetReqID reads it; the
// logger answers it in X-Request-Id). A client's X-Request-Id is kept
// only when it is short (≤ 64 bytes) and printable ASCII without spaces —
// anything else could forge or break log lines — else a fresh id is made.
func requestID(next http.Handler) http.Handler {
	fresh := middleware.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get(middleware.RequestIDHeader); id != "" && validRequestID(id) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), middleware.RequestIDKey, id)))
			return
		}
		r.Header.Del(middleware.RequestIDHeader)
		fresh.ServeHTTP(w, r)
	})
}

func validRequestID(id string) bool {
	if len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}
