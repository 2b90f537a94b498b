package httpapi

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// riverUIBackLink is the link River UI's pages get back to the runs
// console (River UI has no option for one).
const riverUIBackLink = `<a href="/console/" style="position:fixed;right:12px;bottom:12px;z-index:99999;background:#24292f;color:#fff;` +
	`padding:6px 12px;border-radius:6px;font:14px system-ui,sans-serif;text-decoration:none">← rowflow runs console</a>`

// withConsoleLink adds riverUIBackLink to River UI's HTML page (its
// single-page app's index): a browser GET asking for HTML, outside its
// API and assets, is answered in full (conditional and range headers
// dropped) and the link goes before </body>. Everything else passes
// through untouched.
func withConsoleLink(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		last := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		if r.Method != http.MethodGet || strings.Contains(r.URL.Path, "/api/") || strings.Contains(last, ".") ||
			(r.Header.Get("Accept") != "" && !strings.Contains(r.Header.Get("Accept"), "text/html")) {
			next.ServeHTTP(w, r)
			return
		}
		r = r.Clone(r.Context())
		for _, h := range []string{"If-None-Match", "If-Modified-Since", "Range", "If-Range", "Accept-Encoding"} {
			r.Header.Del(h)
		}
		rec := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		body := rec.body.Bytes()
		if rec.status == http.StatusOK && strings.HasPrefix(rec.header.Get("Content-Type"), "text/html") {
			if i := bytes.LastIndex(body, []byte("</body>")); i >= 0 {
				body = append(append(append([]byte{}, body[:i]...), riverUIBackLink...), body[i:]...)
			}
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.status)
		_, _ = w.Write(body)
	})
}

// bufferedResponse keeps an answer in memory.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if !b.wrote {
		b.status, b.wrote = status, true
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}
