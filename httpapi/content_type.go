package httpapi

import (
	"net/http"
	"strings"
)

// defaultJSON treats a request body without a JSON content type as JSON:
// `curl -d '{…}'` sends application/x-www-form-urlencoded, and every rowflow
// body is JSON anyway. Other explicit types are left for huma to refuse.
// A webhook's trigger URL keeps the sender's type (form bodies are valid
// there), and so do the console's HTML forms.
func defaultJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct := r.Header.Get("Content-Type")
		trigger := strings.HasPrefix(r.URL.Path, "/api/v1/webhooks/") && strings.HasSuffix(r.URL.Path, "/trigger") ||
			strings.HasPrefix(r.URL.Path, "/console/")
		if !trigger && r.ContentLength != 0 && (ct == "" || strings.HasPrefix(ct, "application/x-www-form-urlencoded")) {
			r.Header.Set("Content-Type", "application/json")
		}
		next.ServeHTTP(w, r)
	})
}
