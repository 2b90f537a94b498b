package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/rowflow/rowflow/bench"
	"github.com/rowflow/rowflow/pgcluster"
)

// benchCmd runs `rowflow bench`: against DATABASE_URL's server, or the
// private cluster (started if needed), in a fresh database of its own.
func benchCmd(ctx context.Context, args []string) error {
	fs := newFlags("rowflow bench", "[-short] [-rates 50,200,1000] [-out DIR] [-latency-only] [-notify-only|-schedule-only|-email-only|-incoming-only|-script-only|-foreach-only|-stats-only [-stats-runs N]]",
		"Measures trigger latency, throughput and cost in a fresh database (DATABASE_URL's server or the private cluster).")
	short := fs.Bool("short", false, "run each phase briefly (under a minute)")
	out := fs.String("out", "bench/results", "folder for the JSON result")
	rates := fs.String("rates", "50,200,1000", "comma-separated write rates of the latency phase")
	latencyOnly := fs.Bool("latency-only", false, "measure only the latency phase (no JSON file)")
	notifyOnly := fs.Bool("notify-only", false, "measure only the notify_user → SSE row (no JSON file)")
	scheduleOnly := fs.Bool("schedule-only", false, "measure only schedule lateness (no JSON file)")
	email := fs.Bool("email", true, "add the send_email rows")
	emailOnly := fs.Bool("email-only", false, "measure only the send_email rows (no JSON file)")
	incomingOnly := fs.Bool("incoming-only", false, "run only the incoming-webhook rows")
	scriptOnly := fs.Bool("script-only", false, "measure only the run_script rows (no JSON file)")
	forEachOnly := fs.Bool("foreach-only", false, "measure only the for_each row (no JSON file)")
	statsOnly := fs.Bool("stats-only", false, "measure only the stats row (stats requests over -stats-runs stored runs)")
	statsRuns := fs.Int("stats-runs", 0, "runs the stats row stores (default 1000000; -short: 100000)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	cfg, err := loadConfig()
	if err != nil {
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
	_, err = bench.Run(ctx, bench.Opts{AdminURL: adminURL, Binary: exe, Short: *short, Rates: rs, LatencyOnly: *latencyOnly, NotifyOnly: *notifyOnly,
		ScheduleOnly: *scheduleOnly, Email: *email, EmailOnly: *emailOnly, IncomingOnly: *incomingOnly, ScriptOnly: *scriptOnly, ForEachOnly: *forEachOnly, StatsOnly: *statsOnly, StatsRuns: *statsRuns, OutDir: *out, Out: stdout, Logger: log})
	return err
}
