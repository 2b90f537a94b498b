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
	"path/filepath"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"riverqueue.com/riverui"

	"github.com/rowflow/rowflow/auth"
	"github.com/rowflow/rowflow/automation"
	"github.com/rowflow/rowflow/connection"
	"github.com/rowflow/rowflow/console"
	"github.com/rowflow/rowflow/httpapi"
	"github.com/rowflow/rowflow/jobs"
	"github.com/rowflow/rowflow/migrations"
	"github.com/rowflow/rowflow/notify"
	"github.com/rowflow/rowflow/outbound"
	"github.com/rowflow/rowflow/outbound/slack"
	"github.com/rowflow/rowflow/outbound/smtp"
	"github.com/rowflow/rowflow/outbound/teams"
	"github.com/rowflow/rowflow/record"
	"github.com/rowflow/rowflow/runfeed"
	"github.com/rowflow/rowflow/schedule"
	"github.com/rowflow/rowflow/script"
	"github.com/rowflow/rowflow/webhook"
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
	// Users are the users; Notifications the in-app notifications
	// (notify_user) and Hub their live stream (API processes only).
	Users         *auth.Users
	Notifications *notify.Service
	Hub           *notify.Hub
	// Schedules keeps and fires the scheduled trigger's rows.
	Schedules *schedule.Service
	// Connections holds the messaging credentials; Mail and DefaultMail
	// send email (through connections, and to ROWFLOW_SMTP_URL).
	Connections *connection.Service
	Mail        *smtp.Sender
	DefaultMail *smtp.Sender
	// Webhooks is the incoming webhooks service.
	Webhooks *webhook.Service
	River    *river.Client[pgx.Tx]
	Server   *httpapi.Server
	// Sessions are the console's browser sessions, RunFeed the live run
	// events its pages stream, Console the console itself (API
	// processes only).
	Sessions *auth.Sessions
	RunFeed  *runfeed.Feed
	Console  *console.Console

	riverUI *riverui.Handler
	// stopUI ends River UI's background work (started by Start).
	stopUI    context.CancelFunc
	http      *http.Server
	listener  net.Listener
	stopSweep func()
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
	keys, created, err := connection.LoadKeyring(cfg.SecretKey, cfg.SecretKeyPrevious, cfg.DataDir)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("connection secret key: %w", err)
	}
	if created {
		log.Warn("created a new key for connection secrets: back it up", "path", filepath.Join(cfg.DataDir, connection.KeyFileName))
	}
	var defaultSMTP *smtp.Config
	if cfg.SMTPURL != "" {
		c, err := smtp.ParseURL(cfg.SMTPURL)
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("ROWFLOW_SMTP_URL: %w", err)
		}
		defaultSMTP = &c
	}
	guard := outbound.NewGuard(allow)
	httpClient := guard.Client(0)
	a.Mail = &smtp.Sender{Dial: guard.DialContext}
	a.DefaultMail = &smtp.Sender{}
	slackClient := &slack.Client{HTTP: httpClient, APIURL: cfg.SlackAPIURL}
	teamsClient := &teams.Client{HTTP: httpClient}
	a.Connections = connection.New(connection.Opts{Pool: pool, Keys: keys, SMTP: a.Mail, Slack: slackClient, Teams: teamsClient})
	a.Records = record.New(record.Opts{Pool: pool, Logger: log})
	a.Tokens = auth.New(pool)
	a.Users = auth.NewUsers(pool)
	a.Notifications = notify.New(pool)
	a.Schedules = schedule.New(schedule.Opts{Pool: pool, Logger: log, MinInterval: cfg.ScheduleMinInterval, Lookahead: cfg.ScheduleLookahead})
	a.Webhooks = webhook.New(webhook.Opts{Pool: pool, Logger: log})
	var alerts automation.AlertMailer
	if defaultSMTP != nil {
		alerts = alertMail{server: *defaultSMTP, sender: a.DefaultMail}
	}
	a.Automations = automation.New(automation.Opts{Pool: pool, Logger: log, Records: a.Records, Alerts: alerts, Notices: a.Notifications,
		Kinds: Kinds(KindDeps{Records: a.Records, HTTP: httpClient, Notifications: a.Notifications, Schedules: a.Schedules,
			Connections: a.Connections, Mail: a.Mail, DefaultSMTP: defaultSMTP, DefaultMail: a.DefaultMail, Slack: slackClient, Teams: teamsClient,
			Webhooks: a.Webhooks, Scripts: script.NewRunner(script.Opts{Concurrency: cfg.ScriptConcurrency})}),
		MaxDepth: cfg.MaxDepth, InlineBackstop: cfg.InlineBackstop, InlineEvents: cfg.Role == "all", JobTimeout: cfg.JobTimeout,
		BulkShare: cfg.BulkWorkers})
	a.Records.SetHook(a.Automations)
	a.Webhooks.SetRuntime(a.Automations)

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
		// Bulk writes' work has a queue of its own (automation/fairness.go),
		// with 4 × BulkWorkers workers: enough for an import alone to run at
		// full speed, few enough that the first single write after a quiet
		// spell waits behind no more than that.
		rcfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.MaxWorkers},
			automation.BulkQueue: {MaxWorkers: min(cfg.MaxWorkers, 4*cfg.BulkWorkers)}}
		// The backstop sweep and the schedule tick are goroutines of every
		// worker process (sweep.go), not River periodic jobs.
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
		a.Hub = notify.NewHub(pool, a.Notifications, log)
		a.Sessions = auth.NewSessions(pool, a.Tokens, cfg.AdminToken)
		a.RunFeed = runfeed.New(pool, log)
		a.Console = console.New(console.Opts{Records: a.Records, Automations: a.Automations, Sessions: a.Sessions, Feed: a.RunFeed,
			// "dry-run this again": the automation as it is now on the run's
			// trigger data, with no effect.
			Logger: log, RiverUI: true, DryRun: a.Automations.DryRunAgain})
		a.Server = httpapi.New(httpapi.Opts{
			Console: a.Console, Sessions: a.Sessions,
			Records: a.Records, Tokens: a.Tokens, Automations: a.Automations, Connections: a.Connections, Webhooks: a.Webhooks, Kinds: a.Automations.Kinds(), Logger: log, AdminToken: cfg.AdminToken, RiverUI: a.riverUI,
			Users: a.Users, Notifications: a.Notifications, Hub: a.Hub,
			Limits: httpapi.RateLimits{AuthFailuresPerMinute: cfg.RateAuthFailures, FormSubmitsPerMinute: cfg.RateFormSubmits, TokenRequestsPerSecond: cfg.RateTokenRequests},
			Ready:  a.ready,
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
		a.stopSweep = a.startPeriodic()
	}
	if a.Server == nil {
		return nil
	}
	// River UI's background work lives until Close, not as long as ctx.
	uiCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.stopUI = stop
	if err := a.riverUI.Start(uiCtx); err != nil {
		return fmt.Errorf("starting river ui: %w", err)
	}
	if err := a.Hub.Start(ctx); err != nil {
		return err
	}
	if err := a.RunFeed.Start(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", a.Config.Addr, err)
	}
	a.listener = ln
	// WriteTimeout bounds ordinary answers; event streams (Accept:
	// text/event-stream) lift their deadlines, and each stream write sets
	// its own (httpapi/notifications.go).
	c := a.Config
	a.http = &http.Server{Handler: a.Server, MaxHeaderBytes: 1 << 20, ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout: c.ReadTimeout, WriteTimeout: c.WriteTimeout, IdleTimeout: c.IdleTimeout}
	go func() {
		if err := a.http.Serve(limitListener(ln, c.MaxConns)); err != nil && !errors.Is(err, http.ErrServerClosed) {
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
	if a.Hub != nil {
		// Open notification streams end first: Shutdown waits for every
		// request in flight, and a stream never finishes by itself.
		a.Hub.Close()
	}
	if a.RunFeed != nil {
		// Console event streams end too, for the same reason.
		a.RunFeed.Close()
	}
	if a.http != nil {
		errs = append(errs, a.http.Shutdown(ctx))
	}
	if a.stopUI != nil {
		a.stopUI()
	}
	// Events this process matches itself finish (or go to River) before
	// River stops.
	errs = append(errs, a.Automations.Drain(ctx))
	if a.stopSweep != nil {
		a.stopSweep()
	}
	if a.Config.Role != "api" && a.River != nil {
		if err := a.River.Stop(ctx); err != nil {
			hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			errs = append(errs, a.River.StopAndCancel(hard))
			cancel()
		}
	}
	a.Mail.Close()
	a.DefaultMail.Close()
	a.Pool.Close()
	return errors.Join(errs...)
}
