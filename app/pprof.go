package app

import (
	"net"
	"net/http"
	"net/http/pprof"
	"os"
)

// startPprof serves Go's profiler on ROWFLOW_PPROF_ADDR (e.g.
// 127.0.0.1:6060) when it is set: how docs/performance.md's profiles were
// taken. Never on by default.
func (a *App) startPprof() {
	addr := os.Getenv("ROWFLOW_PPROF_ADDR")
	if addr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		a.Log.Warn("pprof not started", "error", err)
		return
	}
	a.Log.Info("pprof listening", "addr", ln.Addr().String())
	go func() { _ = http.Serve(ln, mux) }()
}
