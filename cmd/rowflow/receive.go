package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

// receive runs `rowflow receive`: a tiny webhook receiver that prints each
// delivery (headers and body) — for trying send_webhook locally.
func receive(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("receive", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9999", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srv := &http.Server{Addr: *addr, ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		fmt.Printf("%s %s %s\n  webhook-id: %s\n  webhook-timestamp: %s\n  webhook-signature: %s\n  body: %s\n\n",
			time.Now().Format(time.TimeOnly), r.Method, r.URL.Path, r.Header.Get("webhook-id"),
			r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), body)
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	fmt.Printf("receiving webhooks on http://%s/ (Ctrl-C stops)\n", *addr)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return nil
}
