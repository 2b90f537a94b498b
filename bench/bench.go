// Package bench is `rowflow bench` (make bench): it measures rowflow as a
// user runs it — a `rowflow serve` child process on a fresh database of its
// own, records written through the real HTTP API, webhooks delivered to a
// receiver on 127.0.0.1 — and prints one table plus a JSON file.
//
// Rows: fixed-rate latency (50, 200, 1000 writes/s), end-to-end throughput
// beside River's raw jobs/s on the same database, write overhead with 0,
// 10 and 100 enabled automations (none, or one, matching), and cost (RSS
// idle/peak, idle database commits/s and CPU), schedule lateness
// (schedule.go), incoming webhooks (stored request → first step start at
// 200 and 1000 req/s, durable requests/s; incoming.go), notify_user → SSE
// (notify.go), send_email (email.go), for_each over 1,000 found records
// (foreach.go) and stats over 1,000,000 stored runs (run_stats.go).
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rowflow/rowflow/migrations"
	"github.com/rowflow/rowflow/pgcluster"
)

// Opts configures a bench run.
type Opts struct {
	// AdminURL is a server URL on which the bench may create and drop its
	// own database.
	AdminURL string
	// Binary is the rowflow executable started as `serve`.
	Binary string
	// Short runs every phase briefly (under a minute in all).
	Short bool
	// Rates are the fixed write rates of the latency phase (default 50,
	// 200, 1000).
	Rates []int
	// LatencyOnly skips the throughput, write-overhead and load-cost phases
	// (for quick experiments on one rate).
	LatencyOnly bool
	// NotifyOnly measures only the notify_user → SSE row (bench/notify.go).
	NotifyOnly bool
	// ScheduleOnly measures only schedule lateness (no JSON file).
	ScheduleOnly bool
	// Email adds the send_email rows (bench/email.go); EmailOnly runs
	// only them.
	Email, EmailOnly bool
	// IncomingOnly runs only the incoming-webhook rows (incoming.go).
	IncomingOnly bool
	// ScriptOnly measures only the run_script rows (bench/script.go).
	ScriptOnly bool
	// ForEachOnly measures only the for_each row (bench/foreach.go).
	ForEachOnly bool
	// StatsOnly measures only the stats row (bench/run_stats.go), over
	// StatsRuns runs (default 1,000,000; short: 100,000).
	StatsOnly bool
	StatsRuns int
	// OutDir receives <timestamp>.json (default bench/results).
	OutDir string
	Out    io.Writer
	Logger *slog.Logger
}

// Result is everything one run measured.
type Result struct {
	Time        time.Time       `json:"time"`
	Short       bool            `json:"short"`
	GoVersion   string          `json:"go_version"`
	CPUs        int             `json:"cpus"`
	Latency     []LatencyRow    `json:"latency"`
	Throughput  ThroughputRow   `json:"throughput"`
	Overhead    []OverheadRow   `json:"write_overhead"`
	Cost        CostRow         `json:"cost"`
	Notify      *NotifyRow      `json:"notify_sse,omitempty"`
	Schedule    *ScheduleRow    `json:"schedule_lateness,omitempty"`
	Email       *EmailRow       `json:"email,omitempty"`
	Incoming    *IncomingResult `json:"incoming_webhook,omitempty"`
	Script      ScriptRow       `json:"script"`
	ForEach     *ForEachRow     `json:"for_each,omitempty"`
	Stats       *StatsRow       `json:"stats,omitempty"`
	Settings    map[string]any  `json:"settings"`
	DurationSec float64         `json:"duration_sec"`
}

// CostRow is what rowflow costs while idle and at peak.
type CostRow struct {
	RSSIdleMiB      float64 `json:"rss_idle_mib"`
	RSSPeakMiB      float64 `json:"rss_peak_mib"`
	IdleCommitsSec  float64 `json:"idle_db_commits_per_sec"`
	IdleCPUPercent  float64 `json:"idle_cpu_percent"`
	IdleWindowSec   float64 `json:"idle_window_sec"`
	PeakCPUPercent  float64 `json:"load_cpu_percent"`
	LoadWindowSec   float64 `json:"load_window_sec"`
	ServerStartSecs float64 `json:"server_start_sec"`
}

// Run executes every phase and writes the table to o.Out.
func Run(ctx context.Context, o Opts) (*Result, error) {
	began := time.Now()
	if o.OutDir == "" {
		o.OutDir = filepath.Join("bench", "results")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	res := &Result{Time: began.UTC(), Short: o.Short, GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), Settings: map[string]any{}}
	if o.Email || o.EmailOnly {
		if err := emailRows(ctx, o, res); err != nil || o.EmailOnly {
			return res, err
		}
	}
	dbURL, drop, err := freshDatabase(ctx, o.AdminURL)
	if err != nil {
		return nil, err
	}
	defer drop()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	if err := migrations.Up(ctx, pool, o.Logger); err != nil {
		return nil, err
	}
	rcv := newReceiver()
	defer rcv.srv.Close()
	fires := 200
	if o.Short {
		fires = 20
	}
	if o.ScheduleOnly {
		row, err := scheduleLateness(ctx, o.Binary, dbURL, pool, rcv.srv.URL, fires)
		if err != nil {
			return nil, err
		}
		res.Schedule = &row
		fmt.Fprintln(o.Out, "schedule lateness (fire time → first step start, ms)\n  "+row.String())
		return res, nil
	}

	t0 := time.Now()
	srv, err := startServer(ctx, o.Binary, dbURL, nil)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	res.Cost.ServerStartSecs = time.Since(t0).Seconds()
	a := newAPI(srv.url)
	fmt.Fprintf(o.Out, "rowflow bench (%s) — server %s, receiver %s, %d CPUs\n", map[bool]string{true: "short", false: "full"}[o.Short], srv.url, rcv.srv.URL, res.CPUs)
	notifyRow := func() error {
		row, err := notifyLatency(ctx, a, 50, map[bool]time.Duration{true: 5 * time.Second, false: 20 * time.Second}[o.Short])
		if err != nil {
			return err
		}
		res.Notify = &row
		fmt.Fprintln(o.Out, "\nnotify_user → SSE event (50 writes/s, one stream client; ms)")
		fmt.Fprintln(o.Out, "  "+row.String())
		return nil
	}
	if o.NotifyOnly {
		err := notifyRow()
		res.DurationSec = time.Since(began).Seconds()
		return res, err
	}

	forEach := func() error {
		row, err := forEachRow(ctx, a, pool, 1000, map[bool]int{true: 2, false: 5}[o.Short])
		if err != nil {
			return err
		}
		res.ForEach = &row
		fmt.Fprintln(o.Out, "\nfor_each: find_records (1,000) → for_each → update_record per record")
		fmt.Fprintln(o.Out, "  "+row.String())
		return nil
	}
	if o.ForEachOnly {
		err := forEach()
		res.DurationSec = time.Since(began).Seconds()
		return res, err
	}
	statsRowFn := func() error {
		n := o.StatsRuns
		if n <= 0 {
			n = map[bool]int{true: 100000, false: 1000000}[o.Short]
		}
		row, err := statsRow(ctx, a, pool, n, map[bool]int{true: 50, false: 200}[o.Short], 3)
		if err != nil {
			return err
		}
		res.Stats = &row
		fmt.Fprintln(o.Out, "\nstats over stored runs (GET …/stats through the API, sequential; ms)\n  "+row.String())
		return nil
	}
	if o.StatsOnly {
		if err := statsRowFn(); err != nil {
			return nil, err
		}
		res.DurationSec = time.Since(began).Seconds()
		path, err := writeResult(o.OutDir, res)
		fmt.Fprintf(o.Out, "\nwrote %s (%.0f s)\n", path, res.DurationSec)
		return res, err
	}
	if o.ScriptOnly {
		if res.Script, err = scriptRows(ctx, a, srv, pool, map[bool]int{true: 100, false: 500}[o.Short], map[bool]int{true: 1000, false: 5000}[o.Short]); err != nil {
			return nil, err
		}
		fmt.Fprintln(o.Out, "run_script (step start → end ms; sustained scripts/s; RSS while 2 scripts fill memory_mb)\n  "+res.Script.String())
		return res, nil
	}
	// Idle cost, before any load.
	idle := 5 * time.Second
	if o.Short {
		idle = 3 * time.Second
	}
	time.Sleep(time.Second)
	c0, _ := dbCommits(ctx, pool)
	cpu0 := srv.cpuTime()
	time.Sleep(idle)
	c1, _ := dbCommits(ctx, pool)
	cpu1 := srv.cpuTime()
	res.Cost.IdleWindowSec = idle.Seconds()
	res.Cost.IdleCommitsSec = float64(c1-c0) / idle.Seconds()
	res.Cost.IdleCPUPercent = 100 * (cpu1 - cpu0).Seconds() / idle.Seconds()
	res.Cost.RSSIdleMiB, _ = srv.memory()
	fmt.Fprintf(o.Out, "idle: rss=%.1f MiB db_commits/s=%.1f cpu=%.1f%%\n", res.Cost.RSSIdleMiB, res.Cost.IdleCommitsSec, res.Cost.IdleCPUPercent)

	if o.IncomingOnly {
		if res.Incoming, err = incoming(ctx, a, pool, rcv, o.Short, o.Out); err != nil {
			return nil, err
		}
		res.DurationSec = time.Since(began).Seconds()
		path, err := writeResult(o.OutDir, res)
		fmt.Fprintf(o.Out, "\nwrote %s (%.0f s)\n", path, res.DurationSec)
		return res, err
	}
	const parallel = 8
	baseID, tableID, err := a.setupTable("bench latency")
	if err != nil {
		return nil, err
	}
	if err := a.webhookAutomation(baseID, tableID, "Done", rcv.srv.URL); err != nil {
		return nil, err
	}
	// Warm up: connections, caches, and a few thousand rows in every table,
	// then fresh planner statistics. On a just-created database the first
	// autoanalyze passes of the growing tables land inside the measured
	// phase and stall it for 100–500 ms (docs/performance.md); a running
	// rowflow does not live on empty tables.
	warm := 4000
	if o.Short {
		warm = 2000
	}
	if _, err := throughput(ctx, a, rcv, tableID, warm, parallel); err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, "ANALYZE"); err != nil {
		return nil, err
	}
	dur := 10 * time.Second
	if o.Short {
		dur = 3 * time.Second
	}
	loadCPU0, loadT0 := srv.cpuTime(), time.Now()
	fmt.Fprintln(o.Out, "\nlatency (a) write transaction → first step start, (b) API response → webhook arrival; ms")
	if len(o.Rates) == 0 {
		o.Rates = []int{50, 200, 1000}
	}
	for _, rate := range o.Rates {
		row, err := fixedRate(ctx, a, pool, rcv, tableID, rate, dur)
		if err != nil {
			return nil, err
		}
		res.Latency = append(res.Latency, row)
		fmt.Fprintln(o.Out, "  "+row.String())
	}
	if o.LatencyOnly {
		res.DurationSec = time.Since(began).Seconds()
		return res, nil
	}
	total := 20000
	if o.Short {
		total = 3000
	}
	tp, err := throughput(ctx, a, rcv, tableID, total, parallel)
	if err != nil {
		return nil, err
	}
	res.Cost.LoadWindowSec = time.Since(loadT0).Seconds()
	res.Cost.PeakCPUPercent = 100 * (srv.cpuTime() - loadCPU0).Seconds() / res.Cost.LoadWindowSec
	_, res.Cost.RSSPeakMiB = srv.memory()
	raw := 20000
	if o.Short {
		raw = 5000
	}
	if tp.RiverJobsSec, err = riverRaw(ctx, pool, raw); err != nil {
		return nil, err
	}
	tp.RiverJobs = raw
	if tp.RiverJobsSec > 0 {
		tp.RatioToRiver = tp.RunsPerSec / tp.RiverJobsSec
	}
	res.Throughput = tp
	fmt.Fprintln(o.Out, "\nthroughput (batches of 100 from 8 writers; first write → last delivery)")
	fmt.Fprintln(o.Out, "  "+tp.String())

	n := 300
	if o.Short {
		n = 60
	}
	if res.Overhead, err = overhead(ctx, a, rcv.srv.URL, n); err != nil {
		return nil, err
	}
	fmt.Fprintln(o.Out, "\nwrite overhead (sequential single-record writes, ms)")
	for _, r := range res.Overhead {
		fmt.Fprintln(o.Out, "  "+r.String())
	}
	if err := notifyRow(); err != nil {
		return nil, err
	}
	if res.Script, err = scriptRows(ctx, a, srv, pool, map[bool]int{true: 100, false: 500}[o.Short], map[bool]int{true: 1000, false: 5000}[o.Short]); err != nil {
		return nil, err
	}
	fmt.Fprintln(o.Out, "\nrun_script (step start → end ms; sustained scripts/s; RSS while 2 scripts fill memory_mb)")
	fmt.Fprintln(o.Out, "  "+res.Script.String())
	if err := forEach(); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Out, "\ncost: rss idle=%.1f MiB peak=%.1f MiB | idle db_commits/s=%.1f idle cpu=%.1f%% | cpu under load=%.0f%% of one core\n",
		res.Cost.RSSIdleMiB, res.Cost.RSSPeakMiB, res.Cost.IdleCommitsSec, res.Cost.IdleCPUPercent, res.Cost.PeakCPUPercent)
	row, err := scheduleLateness(ctx, o.Binary, dbURL, pool, rcv.srv.URL, fires)
	if err != nil {
		return nil, err
	}
	res.Schedule = &row
	fmt.Fprintln(o.Out, "\nschedule lateness (fire time → first step start, ms)\n  "+row.String())
	if res.Incoming, err = incoming(ctx, a, pool, rcv, o.Short, o.Out); err != nil {
		return nil, err
	}
	if err := statsRowFn(); err != nil {
		return nil, err
	}
	res.DurationSec = time.Since(began).Seconds()
	path, err := writeResult(o.OutDir, res)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(o.Out, "\nwrote %s (%.0f s)\n", path, res.DurationSec)
	return res, nil
}

// OverheadRow is record-write latency with n enabled automations on the
// table, Matching of them matching every write (the others never match),
// and its p50 ratio to the row without automations.
type OverheadRow struct {
	Automations int     `json:"automations"`
	Matching    int     `json:"matching"`
	Write       Dist    `json:"write"`
	RatioP50    float64 `json:"ratio_p50"`
}

// String is the row as printed.
func (r OverheadRow) String() string {
	return fmt.Sprintf("automations=%d matching=%d write %s ratio_p50=%.2f", r.Automations, r.Matching, r.Write, r.RatioP50)
}

// overhead measures sequential single-record writes on tables with 0, 10
// and 100 automations that never match (the cost of having automations),
// and 10 and 100 of which one matches (that run's work shares the cores).
func overhead(ctx context.Context, a *api, url string, n int) ([]OverheadRow, error) {
	var rows []OverheadRow
	for _, c := range []struct{ k, matching int }{{0, 0}, {10, 0}, {100, 0}, {10, 1}, {100, 1}} {
		baseID, tableID, err := a.setupTable(fmt.Sprintf("bench overhead %d/%d", c.k, c.matching))
		if err != nil {
			return nil, err
		}
		for i := 0; i < c.k; i++ {
			status := "Todo" // never matches: the bench writes Done
			if i < c.matching {
				status = "Done"
			}
			if err := a.webhookAutomation(baseID, tableID, status, url); err != nil {
				return nil, err
			}
		}
		var ds []time.Duration
		for i := 0; i < n && ctx.Err() == nil; i++ {
			t0 := time.Now()
			if err := a.do("POST", "/api/v1/tables/"+tableID+"/records", map[string]any{"fields": map[string]any{"Name": "x", "Status": "Done"}}, nil, 201); err != nil {
				return nil, err
			}
			ds = append(ds, time.Since(t0))
		}
		row := OverheadRow{Automations: c.k, Matching: c.matching, Write: distOf(ds), RatioP50: 1}
		if len(rows) > 0 && rows[0].Write.P50 > 0 {
			row.RatioP50 = row.Write.P50 / rows[0].Write.P50
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// freshDatabase creates a database of the bench's own and returns its URL
// and a function that drops it.
func freshDatabase(ctx context.Context, adminURL string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("connecting to %s: %w", adminURL, err)
	}
	name := fmt.Sprintf("rowflow_bench_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		conn.Close(ctx)
		return "", nil, err
	}
	conn.Close(ctx)
	return pgcluster.WithDatabase(adminURL, name), func() {
		c, err := pgx.Connect(context.Background(), adminURL)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}, nil
}

func writeResult(dir string, res *Result) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return "", err
	}
	suffix := ""
	if res.Short {
		suffix = "-short"
	}
	path := filepath.Join(dir, res.Time.Format("20060102T150405Z")+suffix+".json")
	return path, os.WriteFile(path, b, 0o644)
}
