// Package app wires rowflow by hand: config → pool → migrations → record
// service, tokens, kinds, automation runtime → River client → HTTP server.
// It is the only package that lists the concrete kinds (kinds.go). `rowflow serve` and the end-to-end tests both
// start an App (tests on port 0), so what is tested is what runs.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"riverqueue.com/riverui"

	"github.com/rowflow/rowflow/auth"
	"github.com/rowflow/rowflow/automation"
	"github.com/rowflow/rowflow/httpapi"
	"github.com/rowflow/rowflow/jobs"
	"github.com/rowflow/rowflow/migrations"
	"github.com/rowflow/rowflow/outbound"
	"github.com/rowflow/rowflow/record"
	"github.com/rowflow/rowflow/script"
)

// App is one rowflow process: API, workers, or both.
type App struct {
	Config Config
	Log    *slog.Logger
	Pool   *pgxpool.Pool
	// Records is the record service, Tokens the access tokens, Automations
	// the automation runtime (the record service's hook).
	Records     *record.Service
	Tokens      *auth.Tokens
	Automations *automation.Runtime
	River       *river.Client[pgx.Tx]
	Server      *httpapi.Server

	riverUI  *riverui.Handler
	http     *http.Server
	listener net.Listener
}

// New connects to cfg.DatabaseURL (which must be set: see OpenDatabase),
// applies migrations when migrate is true, and builds every component
// without starting any.
func New(ctx context.Context, cfg Config, log *slog.Logger, migrate bool) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("parsing database url: %w", err)
	}
	pcfg.MaxConns = int32(cfg.PoolMaxConns)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to the database: %w", err)
	}
	a := &App{Config: cfg, Log: log, Pool: pool}
	if migrate {
		if err := migrations.Up(ctx, pool, log); err != nil {
			pool.Close()
			return nil, err
		}
	}
	allow, err := outbound.ParseCIDRs(cfg.OutboundAllowCIDRs)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("ROWFLOW_OUTBOUND_ALLOW_CIDRS: %w", err)
	}
	a.Records = record.New(record.Opts{Pool: pool, Logger: log})
	a.Tokens = auth.New(pool)
	a.Automations = automation.New(automation.Opts{Pool: pool, Logger: log, Records: a.Records,
		Kinds: Kinds(KindDeps{Records: a.Records, HTTP: outbound.NewGuard(allow).Client(0),
			Scripts: script.NewRunner(script.Opts{Concurrency: cfg.ScriptConcurrency})}),
		MaxDepth: cfg.MaxDepth, InlineBackstop: cfg.InlineBackstop, InlineEvents: cfg.Role == "all", JobTimeout: cfg.JobTimeout})
	a.Records.SetHook(a.Automations)

	rcfg := &river.Config{
		Logger:               log.With("component", "river"),
		FetchCooldown:        cfg.FetchCooldown,
		FetchPollInterval:    cfg.FetchPollInterval,
		RescueStuckJobsAfter: cfg.RescueStuckJobsAfter,
		JobTimeout:           cfg.JobTimeout,
		// migrations/00006_river_job_gin.sql drops River's GIN indexes on
		// args and metadata; its reindexer must not look for them.
		ReindexerIndexNames: slices.DeleteFunc(river.ReindexerIndexNamesDefault(), func(name string) bool {
			return name == "river_job_args_index" || name == "river_job_metadata_index"
		}),
	}
	if cfg.Role != "api" {
		workers := river.NewWorkers()
		jobs.Register(workers, a.Automations)
		rcfg.Workers = workers
		rcfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.MaxWorkers}}
		// The leader gives River the first steps of runs whose inline
		// execution died (automation/step_inline.go) — also where inline execution
		// is off now: runs started by an earlier configuration or by
		// another process may still wait for their backstop.
		rcfg.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(
			river.PeriodicInterval(automation.SweepInterval(cfg.InlineBackstop)),
			func() (river.JobArgs, *river.InsertOpts) {
				return automation.SweepArgs{}, &river.InsertOpts{MaxAttempts: 1}
			},
			&river.PeriodicJobOpts{RunOnStart: true})}
	}
	a.River, err = river.NewClient(riverpgxv5.New(pool), rcfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("creating river client: %w", err)
	}

	if cfg.Role != "worker" {
		a.riverUI, err = riverui.NewHandler(&riverui.HandlerOpts{
			Endpoints: riverui.NewEndpoints(a.River, nil),
			Logger:    log.With("component", "riverui"),
			Prefix:    "/riverui",
		})
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("creating river ui: %w", err)
		}
		a.Server = httpapi.New(httpapi.Opts{
			Records: a.Records, Tokens: a.Tokens, Automations: a.Automations, Kinds: a.Automations.Kinds(), Logger: log, AdminToken: cfg.AdminToken, RiverUI: a.riverUI,
			Ready: a.ready,
		})
	}
	return a, nil
}

// ready answers /readyz: the database answers and no migration is pending.
func (a *App) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := a.Pool.Ping(ctx); err != nil {
		return errors.New("database unreachable")
	}
	pending, err := migrations.Pending(ctx, a.Pool)
	if err != nil {
		return errors.New("cannot read migration state")
	}
	if pending {
		return errors.New("migrations pending: run rowflow migrate up")
	}
	return nil
}

// Start starts River (workers, unless role is api) and the HTTP server
// (unless role is worker). It returns once both are serving; URL tells
// where the API listens.
func (a *App) Start(ctx context.Context) error {
	a.startPprof()
	if a.Config.Role != "api" {
		if err := a.River.Start(ctx); err != nil {
			return fmt.Errorf("starting river: %w", err)
		}
	}
	if a.Server == nil {
		return nil
	}
	if err := a.riverUI.Start(ctx); err != nil {
		return fmt.Errorf("starting river ui: %w", err)
	}
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", a.Config.Addr, err)
	}
	a.listener = ln
	a.http = &http.Server{Handler: a.Server, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 1 << 20}
	go func() {
		if err := a.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("http server stopped", "error", err)
		}
	}()
	return nil
}

// URL is the base URL of the HTTP server ("" before Start or for workers).
func (a *App) URL() string {
	if a.listener == nil {
		return ""
	}
	return "http://" + a.listener.Addr().String()
}

// Close stops gracefully: the HTTP server stops taking requests and
// finishes the ones in flight; River stops fetching and waits for running
// jobs until ctx ends, then cancels them (a cancelled step is retried —
// by this process on its next start, or by another worker's rescuer).
func (a *App) Close(ctx context.Context) error {
	var errs []error
	if a.http != nil {
		errs = append(errs, a.http.Shutdown(ctx))
	}
	// Events this process matches itself finish (or go to River) before
	// River stops.
	errs = append(errs, a.Automations.Drain(ctx))
	if a.Config.Role != "api" && a.River != nil {
		if err := a.River.Stop(ctx); err != nil {
			hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			errs = append(errs, a.River.StopAndCancel(hard))
			cancel()
		}
	}
	a.Pool.Close()
	return errors.Join(errs...)
}
