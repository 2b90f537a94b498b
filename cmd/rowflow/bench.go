package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/bench"
	"github.com/rowflow/rowflow/pgcluster"
)

// benchCmd runs `rowflow bench`: against DATABASE_URL's server, or the
// private cluster (started if needed), in a fresh database of its own.
func benchCmd(ctx context.Context, cfg app.Config, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	short := fs.Bool("short", false, "run each phase briefly (under a minute)")
	out := fs.String("out", "bench/results", "folder for the JSON result")
	rates := fs.String("rates", "50,200,1000", "comma-separated write rates of the latency phase")
	latencyOnly := fs.Bool("latency-only", false, "measure only the latency phase (no JSON file)")
	scriptOnly := fs.Bool("script-only", false, "measure only the run_script rows (no JSON file)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var rs []int
	for _, f := range strings.Split(*rates, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("-rates: %q is not a positive number", f)
		}
		rs = append(rs, n)
	}
	log := newLogger(cfg)
	adminURL := cfg.DatabaseURL
	if adminURL == "" {
		cl, err := pgcluster.Start(ctx, pgcluster.Opts{DataDir: absPath(cfg.DataDir + "/pg"), Logger: log})
		if err != nil {
			return err
		}
		defer cl.Stop(context.Background()) //nolint:errcheck
		adminURL = cl.URL()
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	_, err = bench.Run(ctx, bench.Opts{AdminURL: adminURL, Binary: exe, Short: *short, Rates: rs, LatencyOnly: *latencyOnly, ScriptOnly: *scriptOnly, OutDir: *out, Out: os.Stdout, Logger: log})
	return err
}
