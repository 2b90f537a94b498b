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
	Role               string // all | api | worker
	MaxWorkers         int    // River workers of this process
	FetchCooldown      time.Duration
	FetchPollInterval  time.Duration
	// RescueStuckJobsAfter: a job running longer (its worker died) is
	// retried; JobTimeout cancels a step that runs too long.
	RescueStuckJobsAfter time.Duration
	JobTimeout           time.Duration
	// InlineBackstop: the worker that matches an event runs each new run's
	// first step itself; if it dies, River runs the step after this long.
	// 0 leaves every step to River (one more queue hop per run).
	InlineBackstop time.Duration
	MaxDepth       int // loop protection: deepest causation chain
	// ScriptConcurrency is how many run_script steps run at once in this
	// process (0: one per CPU); the worst case is this × memory_mb.
	ScriptConcurrency int
	PoolMaxConns      int
	LogLevel          string // debug | info | warn | error
	LogFormat         string // text | json
}

// DefaultConfig is the configuration with every default and no environment.
func DefaultConfig() Config {
	return Config{
		DataDir:              ".data",
		Addr:                 "127.0.0.1:8080",
		Role:                 "all",
		MaxWorkers:           200,
		FetchCooldown:        2 * time.Millisecond,
		FetchPollInterval:    50 * time.Millisecond,
		RescueStuckJobsAfter: 90 * time.Second,
		JobTimeout:           60 * time.Second,
		InlineBackstop:       90 * time.Second,
		MaxDepth:             8,
		PoolMaxConns:         40,
		LogLevel:             "info",
		LogFormat:            "text",
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
	str(&c.Role, "ROWFLOW_ROLE")
	str(&c.LogLevel, "ROWFLOW_LOG_LEVEL")
	str(&c.LogFormat, "ROWFLOW_LOG_FORMAT")
	num(&c.MaxWorkers, "ROWFLOW_MAX_WORKERS")
	num(&c.MaxDepth, "ROWFLOW_MAX_DEPTH")
	num(&c.PoolMaxConns, "ROWFLOW_POOL_MAX_CONNS")
	num(&c.ScriptConcurrency, "ROWFLOW_SCRIPT_CONCURRENCY")
	dur(&c.FetchCooldown, "ROWFLOW_FETCH_COOLDOWN")
	dur(&c.FetchPollInterval, "ROWFLOW_FETCH_POLL_INTERVAL")
	dur(&c.RescueStuckJobsAfter, "ROWFLOW_RESCUE_STUCK_JOBS_AFTER")
	dur(&c.JobTimeout, "ROWFLOW_JOB_TIMEOUT")
	dur(&c.InlineBackstop, "ROWFLOW_INLINE_BACKSTOP")
	return c, err
}

// BindFlags registers a flag for every setting, defaulting to c's values.
func (c *Config) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "PostgreSQL URL (DATABASE_URL); empty starts a private cluster under -data-dir")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "folder of the private PostgreSQL cluster (ROWFLOW_DATA_DIR)")
	fs.StringVar(&c.Addr, "addr", c.Addr, "HTTP listen address (ROWFLOW_ADDR)")
	fs.StringVar(&c.AdminToken, "admin-token", c.AdminToken, "bearer token with full rights (ROWFLOW_ADMIN_TOKEN)")
	fs.StringVar(&c.OutboundAllowCIDRs, "outbound-allow-cidrs", c.OutboundAllowCIDRs, "networks outgoing calls may reach although private (ROWFLOW_OUTBOUND_ALLOW_CIDRS)")
	fs.StringVar(&c.SMTPURL, "smtp-url", c.SMTPURL, "SMTP server for send_email, smtp://user:pass@host:port?tls=none|starttls|tls (ROWFLOW_SMTP_URL)")
	fs.StringVar(&c.Role, "role", c.Role, "all | api | worker (ROWFLOW_ROLE)")
	fs.IntVar(&c.MaxWorkers, "max-workers", c.MaxWorkers, "River workers in this process (ROWFLOW_MAX_WORKERS)")
	fs.IntVar(&c.MaxDepth, "max-depth", c.MaxDepth, "loop protection: deepest run causation chain (ROWFLOW_MAX_DEPTH)")
	fs.IntVar(&c.PoolMaxConns, "pool-max-conns", c.PoolMaxConns, "database connections of this process (ROWFLOW_POOL_MAX_CONNS)")
	fs.IntVar(&c.ScriptConcurrency, "script-concurrency", c.ScriptConcurrency, "run_script steps at once in this process; 0 = one per CPU (ROWFLOW_SCRIPT_CONCURRENCY)")
	fs.DurationVar(&c.FetchCooldown, "fetch-cooldown", c.FetchCooldown, "River fetch cooldown (ROWFLOW_FETCH_COOLDOWN)")
	fs.DurationVar(&c.FetchPollInterval, "fetch-poll-interval", c.FetchPollInterval, "River fetch poll interval (ROWFLOW_FETCH_POLL_INTERVAL)")
	fs.DurationVar(&c.RescueStuckJobsAfter, "rescue-stuck-jobs-after", c.RescueStuckJobsAfter, "retry a job whose worker died after this long (ROWFLOW_RESCUE_STUCK_JOBS_AFTER)")
	fs.DurationVar(&c.JobTimeout, "job-timeout", c.JobTimeout, "cancel a step running longer (ROWFLOW_JOB_TIMEOUT)")
	fs.DurationVar(&c.InlineBackstop, "inline-backstop", c.InlineBackstop, "run first steps in the matching worker; River takes over after this if it dies; 0 = off (ROWFLOW_INLINE_BACKSTOP)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug | info | warn | error (ROWFLOW_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text | json (ROWFLOW_LOG_FORMAT)")
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
	if c.ScriptConcurrency < 0 {
		return fmt.Errorf("script-concurrency must be ≥ 0")
	}
	if c.MaxWorkers < 1 || c.PoolMaxConns < 4 {
		return fmt.Errorf("max-workers must be ≥ 1 and pool-max-conns ≥ 4")
	}
	return nil
}
