package automation

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/automation/kind"
	"github.com/rowflow/rowflow/cache"
	"github.com/rowflow/rowflow/condition"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/pgtx"
	"github.com/rowflow/rowflow/record"
)

// Opts configures a Runtime.
type Opts struct {
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// Records is the record service the runtime reads tables from and
	// hears writes of (it implements record.Hook: app calls
	// Records.SetHook with the runtime).
	Records *record.Service
	// Kinds is the registry of trigger and action kinds (built in app).
	Kinds *kind.Registry
	// MaxDepth is the deepest causation chain a run may have before it is
	// stopped with loop_detected (default 8).
	MaxDepth int
	// NowFunc is the clock (default time.Now); tests may pin it.
	NowFunc func() time.Time
	// InlineBackstop turns on executing a run's first step inside the
	// matching worker (step_inline.go): its job waits this long before
	// River runs it itself. Zero leaves every step to River.
	InlineBackstop time.Duration
	// BulkShare is how many bulk jobs (fairness.go) this runtime runs at
	// once while single writes' work ran within the last second; 0: no
	// limit.
	BulkShare int
	// InlineEvents (with InlineBackstop) makes the runtime match the events
	// of its own writes itself, after they commit (event_inline.go), and
	// match record creates at write time (hook.go). Set it only where
	// River's workers run too.
	InlineEvents bool
	// Alerts emails an automation's alert_email when one of its runs fails
	// for good (nil: no alert email).
	Alerts AlertMailer
	// Notices writes the in-app notification telling an automation's
	// owner that one of its runs failed for good (nil: none).
	Notices FailureNotifier
	// JobTimeout bounds matching an event inline (default 60 s); it must be
	// shorter than InlineBackstop.
	JobTimeout time.Duration
}

// Runtime is the automation runtime: automations and their versions,
// validation, matching of record writes, runs and steps, inline execution
// and the backstop sweep. It is safe for concurrent use; one Runtime
// serves the API and the workers.
type Runtime struct {
	pool     *pgxpool.Pool
	q        *db.Queries
	log      *slog.Logger
	alerts   AlertMailer
	notices  FailureNotifier
	records  *record.Service
	kinds    *kind.Registry
	maxDepth int
	now      func() time.Time
	// conditions caches compiled condition groups (match.go).
	conditions *cache.Versioned[*condition.Condition]
	// definitions caches immutable automation versions ("id@version").
	definitions *cache.Versioned[*definition]
	// triggers caches decoded trigger configs ("id@version").
	triggers *cache.Versioned[*decoded]
	// automations holds tables' enabled automations (table_automations.go).
	automations *cache.Versioned[*tableAutomations]
	// inlineBackstop: see Opts.InlineBackstop.
	inlineBackstop time.Duration
	// notify limits River insert notifications (job_insert.go).
	notify notifier
	// Inline work (event_inline.go, background.go): on or off, its time
	// limit, the slots of what is in flight, and shutdown.
	inlineEvents bool
	jobTimeout   time.Duration
	eventSlots   chan struct{}
	inflightMu   sync.Mutex
	inflight     sync.WaitGroup
	draining     bool
	// completions is the group commit of inline steps' completions
	// (complete.go).
	completions *pgtx.Group[db.FinishStepParams, bool]
	// gate limits bulk work while single writes' work runs (fairness.go).
	gate bulkGate
}

// New returns a Runtime. Its jobs are River's (job_insert.go): a River
// client with the jobs package's workers must run on the same database to
// work them.
func New(opts Opts) *Runtime {
	rt := &Runtime{pool: opts.Pool, q: db.New(opts.Pool), log: opts.Logger, records: opts.Records, kinds: opts.Kinds,
		alerts: opts.Alerts, notices: opts.Notices, maxDepth: opts.MaxDepth, now: opts.NowFunc, inlineBackstop: opts.InlineBackstop,
		conditions:  cache.New[*condition.Condition](nil),
		definitions: cache.New[*definition](nil),
		triggers:    cache.New[*decoded](nil),
		automations: cache.New(func(ta *tableAutomations) int64 { return ta.version }),
	}
	if rt.log == nil {
		rt.log = slog.New(slog.DiscardHandler)
	}
	if rt.maxDepth <= 0 {
		rt.maxDepth = 8
	}
	if rt.now == nil {
		rt.now = time.Now
	}
	rt.inlineEvents = opts.InlineEvents && opts.InlineBackstop > 0
	rt.jobTimeout = opts.JobTimeout
	if rt.jobTimeout <= 0 {
		rt.jobTimeout = time.Minute
	}
	rt.eventSlots = make(chan struct{}, maxInlineEvents)
	if opts.BulkShare > 0 {
		rt.gate.slots = make(chan struct{}, opts.BulkShare)
	}
	rt.completions = pgtx.NewGroup(maxCompletionBatch, maxCompletionCommitters, rt.finishInlineGroup)
	return rt
}

// Kinds returns the registry the runtime was built with.
func (rt *Runtime) Kinds() *kind.Registry { return rt.kinds }

// inTx runs fn in one transaction of the pool (retried on deadlock).
func (rt *Runtime) inTx(ctx context.Context, fn func(tx pgx.Tx, q *db.Queries) error) error {
	return pgtx.Run(ctx, rt.pool, rt.log, func(tx pgx.Tx) error { return fn(tx, rt.q.WithTx(tx)) })
}

// system is ctx with the system's principal: matching and the runtime's
// own reads see every base.
func system(ctx context.Context) context.Context {
	return rowflow.WithPrincipal(ctx, rowflow.Principal{System: true})
}
