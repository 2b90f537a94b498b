package httpapi

import (
	"net/http"
	"strings"
)

// defaultJSON treats a request body without a JSON content type as JSON:
// `curl -d '{…}'` sends application/x-www-form-urlencoded, and every rowflow
// body is JSON anyway. Other explicit types are left for huma to refuse.
func defaultJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct := r.Header.Get("Content-Type")
		if r.ContentLength != 0 && (ct == "" || strings.HasPrefix(ct, "application/x-www-form-urlencoded")) {
			r.Header.Set("Content-Type", "application/json")
		}
		next.ServeHTTP(w, r)
	})
}
