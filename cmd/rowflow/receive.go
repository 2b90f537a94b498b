package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// receive runs `rowflow receive`: a tiny webhook receiver that prints each
// delivery (headers and body) — for trying send_webhook locally.
func receive(ctx context.Context, args []string) error {
	fs := newFlags("rowflow receive", "[-addr 127.0.0.1:9999]", "Prints each incoming webhook (its headers and body) — to try send_webhook locally.")
	addr := fs.String("addr", "127.0.0.1:9999", "listen address")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	srv := &http.Server{Addr: *addr, ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		fmt.Fprint(stdout, formatDelivery(time.Now(), r, body))
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	fmt.Fprintf(stdout, "receiving webhooks on http://%s/ (Ctrl-C stops)\n", *addr)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// formatDelivery is how receive prints one delivery: the time, method and
// path, the Standard Webhooks headers that are present (no
// webhook-signature line when the delivery is not signed), the content type
// and the body.
func formatDelivery(at time.Time, r *http.Request, body []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s\n", at.Format(time.TimeOnly), r.Method, r.URL.RequestURI())
	for _, h := range []string{"webhook-id", "webhook-timestamp", "webhook-signature", "content-type"} {
		if v := r.Header.Get(h); v != "" {
			fmt.Fprintf(&b, "  %s: %s\n", h, v)
		}
	}
	fmt.Fprintf(&b, "  body: %s\n\n", body)
	return b.String()
}
