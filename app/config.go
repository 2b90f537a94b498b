package app

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Config is everything rowflow reads at start. Each setting has an
// environment variable (ROWFLOW_ prefix, DATABASE_URL) and a flag of
// `rowflow serve`; a flag wins over the environment.
type Config struct {
	DatabaseURL string // empty → a private cluster under DataDir
	DataDir     string // where the private cluster lives (default ./.data)
	Addr        string // HTTP listen address (default 127.0.0.1:8080; port 0 picks one)
	AdminToken  string // accepted as a bearer token with full rights
	// OutboundAllowCIDRs lists networks outgoing calls may reach although
	// private or loopback (empty: refused).
	OutboundAllowCIDRs string
	SMTPURL            string
	// SecretKey seals connection secrets (base64 or hex, 32 bytes); empty:
	// the key file secret.key in DataDir, created on first run.
	// SecretKeyPrevious lists earlier keys still accepted (rotation).
	SecretKey         string
	SecretKeyPrevious string
	// SlackAPIURL overrides Slack's Web API root (tests, proxies).
	SlackAPIURL string
	Role        string // all | api | worker
	MaxWorkers  int    // River workers of this process (default queue)
	// BulkWorkers is how many jobs of the bulk queue (the events and steps
	// of writes of several records) this process runs at once while single
	// writes' work runs in it (automation/fairness.go); otherwise up to the
	// bulk queue's 4 × BulkWorkers workers.
	BulkWorkers       int
	FetchCooldown     time.Duration
	FetchPollInterval time.Duration
	// RescueStuckJobsAfter: a job running longer (its worker died) is
	// retried; JobTimeout cancels a step that runs too long.
	RescueStuckJobsAfter time.Duration
	JobTimeout           time.Duration
	// InlineBackstop: the worker that matches an event runs each new run's
	// first step itself; if it dies, River runs the step after this long.
	// 0 leaves every step to River (one more queue hop per run).
	InlineBackstop time.Duration
	MaxDepth       int // loop protection: deepest causation chain
	// ScheduleTick is how often the leader fires due schedules;
	// ScheduleLookahead how far ahead a tick fires (their runs' first steps
	// wait for their time), longer than the tick; ScheduleMinInterval the
	// shortest time between two fires a schedule may have.
	ScheduleTick        time.Duration
	ScheduleLookahead   time.Duration
	ScheduleMinInterval time.Duration
	// RunRetention: finished runs (and their steps) older than this are
	// deleted; failed ones only after RunRetentionFailed. The retention
	// sweep runs every RetentionInterval in each worker process.
	RunRetention       time.Duration
	RunRetentionFailed time.Duration
	RetentionInterval  time.Duration
	// ScriptConcurrency is how many run_script steps run at once in this
	// process (0: one per CPU); the worst case is this × memory_mb.
	ScriptConcurrency int
	PoolMaxConns      int
	LogLevel          string // debug | info | warn | error
	LogFormat         string // text | json
	// HTTP server timeouts: a request's header must arrive within
	// ReadHeaderTimeout and its whole body within ReadTimeout; an answer
	// must be written within WriteTimeout (streams — Accept:
	// text/event-stream — lift the read and write deadlines); a keep-alive
	// connection idle for IdleTimeout is closed.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// MaxConns caps the open HTTP connections; more wait to be accepted.
	MaxConns int
	// Rate limits per process (0 = off): failed authentications per
	// minute per client IP, form submissions per minute per client IP,
	// requests per second per token (burst twice that).
	RateAuthFailures  int
	RateFormSubmits   int
	RateTokenRequests int
}

// MinAdminTokenLen is the shortest ROWFLOW_ADMIN_TOKEN accepted.
const MinAdminTokenLen = 32

// DefaultConfig is the configuration with every default and no environment.
func DefaultConfig() Config {
	return Config{
		DataDir:              ".data",
		Addr:                 "127.0.0.1:8080",
		Role:                 "all",
		MaxWorkers:           200,
		BulkWorkers:          4,
		FetchCooldown:        2 * time.Millisecond,
		FetchPollInterval:    50 * time.Millisecond,
		RescueStuckJobsAfter: 90 * time.Second,
		JobTimeout:           60 * time.Second,
		InlineBackstop:       90 * time.Second,
		MaxDepth:             8,
		ScheduleTick:         time.Second,
		ScheduleLookahead:    2 * time.Second,
		ScheduleMinInterval:  time.Minute,
		RunRetention:         720 * time.Hour,
		RunRetentionFailed:   2160 * time.Hour,
		RetentionInterval:    time.Minute,
		PoolMaxConns:         40,
		LogLevel:             "info",
		LogFormat:            "text",
		ReadHeaderTimeout:    10 * time.Second,
		ReadTimeout:          60 * time.Second,
		WriteTimeout:         90 * time.Second,
		IdleTimeout:          60 * time.Second,
		MaxConns:             2048,
		RateAuthFailures:     30,
		RateFormSubmits:      60,
		RateTokenRequests:    200,
	}
}

// FromEnv returns DefaultConfig overridden by the environment.
func FromEnv() (Config, error) {
	c := DefaultConfig()
	str := func(dst *string, key string) {
		if v, ok := os.LookupEnv(key); ok {
			*dst = v
		}
	}
	var err error
	num := func(dst *int, key string) {
		if v, ok := os.LookupEnv(key); ok && err == nil {
			if *dst, err = strconv.Atoi(v); err != nil {
				err = fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	dur := func(dst *time.Duration, key string) {
		if v, ok := os.LookupEnv(key); ok && err == nil {
			if *dst, err = time.ParseDuration(v); err != nil {
				err = fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	str(&c.DatabaseURL, "DATABASE_URL")
	str(&c.DataDir, "ROWFLOW_DATA_DIR")
	str(&c.Addr, "ROWFLOW_ADDR")
	str(&c.AdminToken, "ROWFLOW_ADMIN_TOKEN")
	str(&c.OutboundAllowCIDRs, "ROWFLOW_OUTBOUND_ALLOW_CIDRS")
	str(&c.SMTPURL, "ROWFLOW_SMTP_URL")
	str(&c.SecretKey, "ROWFLOW_SECRET_KEY")
	str(&c.SecretKeyPrevious, "ROWFLOW_SECRET_KEY_PREVIOUS")
	str(&c.SlackAPIURL, "ROWFLOW_SLACK_API_URL")
	str(&c.Role, "ROWFLOW_ROLE")
	str(&c.LogLevel, "ROWFLOW_LOG_LEVEL")
	str(&c.LogFormat, "ROWFLOW_LOG_FORMAT")
	num(&c.MaxWorkers, "ROWFLOW_MAX_WORKERS")
	num(&c.BulkWorkers, "ROWFLOW_BULK_WORKERS")
	num(&c.MaxDepth, "ROWFLOW_MAX_DEPTH")
	num(&c.PoolMaxConns, "ROWFLOW_POOL_MAX_CONNS")
	num(&c.ScriptConcurrency, "ROWFLOW_SCRIPT_CONCURRENCY")
	dur(&c.FetchCooldown, "ROWFLOW_FETCH_COOLDOWN")
	dur(&c.FetchPollInterval, "ROWFLOW_FETCH_POLL_INTERVAL")
	dur(&c.RescueStuckJobsAfter, "ROWFLOW_RESCUE_STUCK_JOBS_AFTER")
	dur(&c.JobTimeout, "ROWFLOW_JOB_TIMEOUT")
	dur(&c.InlineBackstop, "ROWFLOW_INLINE_BACKSTOP")
	dur(&c.ScheduleTick, "ROWFLOW_SCHEDULE_TICK")
	dur(&c.ScheduleLookahead, "ROWFLOW_SCHEDULE_LOOKAHEAD")
	dur(&c.ScheduleMinInterval, "ROWFLOW_SCHEDULE_MIN_INTERVAL")
	dur(&c.RunRetention, "ROWFLOW_RUN_RETENTION")
	dur(&c.RunRetentionFailed, "ROWFLOW_RUN_RETENTION_FAILED")
	dur(&c.RetentionInterval, "ROWFLOW_RETENTION_INTERVAL")
	dur(&c.ReadHeaderTimeout, "ROWFLOW_HTTP_READ_HEADER_TIMEOUT")
	dur(&c.ReadTimeout, "ROWFLOW_HTTP_READ_TIMEOUT")
	dur(&c.WriteTimeout, "ROWFLOW_HTTP_WRITE_TIMEOUT")
	dur(&c.IdleTimeout, "ROWFLOW_HTTP_IDLE_TIMEOUT")
	num(&c.MaxConns, "ROWFLOW_MAX_CONNS")
	num(&c.RateAuthFailures, "ROWFLOW_RATE_AUTH_FAILURES")
	num(&c.RateFormSubmits, "ROWFLOW_RATE_FORM_SUBMITS")
	num(&c.RateTokenRequests, "ROWFLOW_RATE_TOKEN_REQUESTS")
	return c, err
}

// BindFlags registers a flag for every setting, defaulting to c's values.
func (c *Config) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "PostgreSQL URL (DATABASE_URL); empty starts a private cluster under -data-dir")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "folder of the private PostgreSQL cluster (ROWFLOW_DATA_DIR)")
	fs.StringVar(&c.Addr, "addr", c.Addr, "HTTP listen address (ROWFLOW_ADDR)")
	fs.StringVar(&c.OutboundAllowCIDRs, "outbound-allow-cidrs", c.OutboundAllowCIDRs, "networks outgoing calls may reach although private (ROWFLOW_OUTBOUND_ALLOW_CIDRS)")
	fs.StringVar(&c.SMTPURL, "smtp-url", c.SMTPURL, "SMTP server for send_email, smtp://user:pass@host:port?tls=none|starttls|tls (ROWFLOW_SMTP_URL)")
	fs.StringVar(&c.SlackAPIURL, "slack-api-url", c.SlackAPIURL, "Slack Web API root, default https://slack.com/api/ (ROWFLOW_SLACK_API_URL)")
	fs.StringVar(&c.Role, "role", c.Role, "all | api | worker (ROWFLOW_ROLE)")
	fs.IntVar(&c.MaxWorkers, "max-workers", c.MaxWorkers, "River workers in this process (ROWFLOW_MAX_WORKERS)")
	fs.IntVar(&c.BulkWorkers, "bulk-workers", c.BulkWorkers, "jobs of batch writes this process runs at once while single writes' work runs (ROWFLOW_BULK_WORKERS)")
	fs.IntVar(&c.MaxDepth, "max-depth", c.MaxDepth, "loop protection: deepest run causation chain (ROWFLOW_MAX_DEPTH)")
	fs.IntVar(&c.PoolMaxConns, "pool-max-conns", c.PoolMaxConns, "database connections of this process (ROWFLOW_POOL_MAX_CONNS)")
	fs.IntVar(&c.ScriptConcurrency, "script-concurrency", c.ScriptConcurrency, "run_script steps at once in this process; 0 = one per CPU (ROWFLOW_SCRIPT_CONCURRENCY)")
	fs.DurationVar(&c.FetchCooldown, "fetch-cooldown", c.FetchCooldown, "River fetch cooldown (ROWFLOW_FETCH_COOLDOWN)")
	fs.DurationVar(&c.FetchPollInterval, "fetch-poll-interval", c.FetchPollInterval, "River fetch poll interval (ROWFLOW_FETCH_POLL_INTERVAL)")
	fs.DurationVar(&c.RescueStuckJobsAfter, "rescue-stuck-jobs-after", c.RescueStuckJobsAfter, "retry a job whose worker died after this long (ROWFLOW_RESCUE_STUCK_JOBS_AFTER)")
	fs.DurationVar(&c.JobTimeout, "job-timeout", c.JobTimeout, "cancel a step running longer (ROWFLOW_JOB_TIMEOUT)")
	fs.DurationVar(&c.InlineBackstop, "inline-backstop", c.InlineBackstop, "run first steps in the matching worker; River takes over after this if it dies; 0 = off (ROWFLOW_INLINE_BACKSTOP)")
	fs.DurationVar(&c.ScheduleTick, "schedule-tick", c.ScheduleTick, "how often the leader fires due schedules (ROWFLOW_SCHEDULE_TICK)")
	fs.DurationVar(&c.ScheduleLookahead, "schedule-lookahead", c.ScheduleLookahead, "how far ahead a tick fires schedules, longer than the tick (ROWFLOW_SCHEDULE_LOOKAHEAD)")
	fs.DurationVar(&c.ScheduleMinInterval, "schedule-min-interval", c.ScheduleMinInterval, "shortest time between two fires of a schedule (ROWFLOW_SCHEDULE_MIN_INTERVAL)")
	fs.DurationVar(&c.RunRetention, "run-retention", c.RunRetention, "delete finished runs older than this (ROWFLOW_RUN_RETENTION)")
	fs.DurationVar(&c.RunRetentionFailed, "run-retention-failed", c.RunRetentionFailed, "delete failed runs older than this (ROWFLOW_RUN_RETENTION_FAILED)")
	fs.DurationVar(&c.RetentionInterval, "retention-interval", c.RetentionInterval, "how often a worker deletes runs past their retention (ROWFLOW_RETENTION_INTERVAL)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug | info | warn | error (ROWFLOW_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text | json (ROWFLOW_LOG_FORMAT)")
	fs.DurationVar(&c.ReadHeaderTimeout, "http-read-header-timeout", c.ReadHeaderTimeout, "a request's header must arrive within this (ROWFLOW_HTTP_READ_HEADER_TIMEOUT)")
	fs.DurationVar(&c.ReadTimeout, "http-read-timeout", c.ReadTimeout, "a whole request must arrive within this (ROWFLOW_HTTP_READ_TIMEOUT)")
	fs.DurationVar(&c.WriteTimeout, "http-write-timeout", c.WriteTimeout, "an answer must be written within this; event streams are exempt (ROWFLOW_HTTP_WRITE_TIMEOUT)")
	fs.DurationVar(&c.IdleTimeout, "http-idle-timeout", c.IdleTimeout, "close keep-alive connections idle this long (ROWFLOW_HTTP_IDLE_TIMEOUT)")
	fs.IntVar(&c.MaxConns, "max-conns", c.MaxConns, "most open HTTP connections (ROWFLOW_MAX_CONNS)")
	fs.IntVar(&c.RateAuthFailures, "rate-auth-failures", c.RateAuthFailures, "failed authentications per minute per client IP; 0 = no limit (ROWFLOW_RATE_AUTH_FAILURES)")
	fs.IntVar(&c.RateFormSubmits, "rate-form-submits", c.RateFormSubmits, "form submissions per minute per client IP; 0 = no limit (ROWFLOW_RATE_FORM_SUBMITS)")
	fs.IntVar(&c.RateTokenRequests, "rate-token-requests", c.RateTokenRequests, "requests per second per token, burst twice; 0 = no limit (ROWFLOW_RATE_TOKEN_REQUESTS)")
}

// Validate checks the settings that have a fixed set of values.
func (c Config) Validate() error {
	switch c.Role {
	case "all", "api", "worker":
	default:
		return fmt.Errorf("role must be all, api or worker, got %q", c.Role)
	}
	if c.InlineBackstop != 0 && c.InlineBackstop <= c.JobTimeout {
		return fmt.Errorf("inline-backstop (%s) must be 0 or longer than job-timeout (%s)", c.InlineBackstop, c.JobTimeout)
	}
	if c.RescueStuckJobsAfter <= c.JobTimeout {
		return fmt.Errorf("rescue-stuck-jobs-after (%s) must be longer than job-timeout (%s)", c.RescueStuckJobsAfter, c.JobTimeout)
	}
	if c.ScheduleTick <= 0 || c.ScheduleLookahead < c.ScheduleTick || c.ScheduleMinInterval < time.Second {
		return fmt.Errorf("schedule-tick must be > 0, schedule-lookahead ≥ schedule-tick (%s, %s), schedule-min-interval ≥ 1s", c.ScheduleTick, c.ScheduleLookahead)
	}
	if c.AdminToken != "" && len(c.AdminToken) < MinAdminTokenLen {
		return fmt.Errorf("ROWFLOW_ADMIN_TOKEN must be at least %d characters (it has full rights; e.g. openssl rand -hex 32)", MinAdminTokenLen)
	}
	if c.MaxConns < 1 || c.ReadHeaderTimeout <= 0 || c.ReadTimeout <= 0 || c.WriteTimeout <= 0 || c.IdleTimeout <= 0 {
		return fmt.Errorf("max-conns and the HTTP timeouts must be positive")
	}
	if c.RateAuthFailures < 0 || c.RateFormSubmits < 0 || c.RateTokenRequests < 0 {
		return fmt.Errorf("rate limits must be 0 (off) or positive")
	}
	if c.RunRetention <= 0 || c.RunRetentionFailed <= 0 || c.RetentionInterval <= 0 {
		return fmt.Errorf("run-retention, run-retention-failed and retention-interval must be positive")
	}
	if c.ScriptConcurrency < 0 {
		return fmt.Errorf("script-concurrency must be ≥ 0")
	}
	if c.MaxWorkers < 1 || c.BulkWorkers < 1 || c.PoolMaxConns < 4 {
		return fmt.Errorf("max-workers and bulk-workers must be ≥ 1 and pool-max-conns ≥ 4")
	}
	return nil
}
