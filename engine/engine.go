package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/engine/outbound"
)

// Opts configures an Engine.
type Opts struct {
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// MaxDepth is the deepest causation chain a run may have before it is
	// stopped with loop_detected (default 8).
	MaxDepth int
	// NowFunc is the clock (default time.Now); tests may pin it.
	NowFunc func() time.Time
	// Outbound guards every outgoing call (webhooks, Slack, Teams); nil
	// refuses every private and loopback address.
	Outbound *outbound.Guard
	// InlineBackstop turns on executing a run's first step inside the
	// matching worker (inline.go): its job waits this long before River runs
	// it itself. Zero leaves every step to River.
	InlineBackstop time.Duration
	// InlineEvents (with InlineBackstop) makes the engine match the events
	// of its own writes itself, after they commit (inline_event.go). Set it
	// only where River's workers run too.
	InlineEvents bool
	// JobTimeout bounds matching an event inline (default 60 s); it must be
	// shorter than InlineBackstop.
	JobTimeout time.Duration
}

// Engine is the domain: the record service, automations and runs. It is
// safe for concurrent use; one Engine serves the API and the workers.
type Engine struct {
	pool     *pgxpool.Pool
	q        *db.Queries
	log      *slog.Logger
	maxDepth int
	now      func() time.Time
	// conditions caches compiled condition groups (see compileCondition).
	conditions sync.Map
	// definitions caches immutable automation versions ("id@version").
	definitions sync.Map
	// triggers caches decoded trigger configs ("id@version").
	triggers sync.Map
	// httpClient makes every outgoing call, through the outbound guard.
	httpClient *http.Client
	// inlineBackstop: see Opts.InlineBackstop.
	inlineBackstop time.Duration
	// tableCache holds table definitions by id (table_cache.go).
	tableCache sync.Map
	// automationCache holds tables' enabled automations (automation_cache.go).
	automationCache sync.Map
	// notify limits River insert notifications (jobs.go).
	notify notifier
	// Inline events (inline_event.go): on or off, their time limit, the
	// slots of those in flight, and shutdown.
	inlineEvents bool
	jobTimeout   time.Duration
	eventSlots   chan struct{}
	inflightMu   sync.Mutex
	inflight     sync.WaitGroup
	draining     bool
}

// New returns an Engine. Its jobs are River's (jobs.go): a River client
// with the engine's workers must run on the same database to work them.
func New(opts Opts) *Engine {
	e := &Engine{pool: opts.Pool, q: db.New(opts.Pool), log: opts.Logger, maxDepth: opts.MaxDepth, now: opts.NowFunc, inlineBackstop: opts.InlineBackstop}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.maxDepth <= 0 {
		e.maxDepth = 8
	}
	if e.now == nil {
		e.now = time.Now
	}
	e.inlineEvents = opts.InlineEvents && opts.InlineBackstop > 0
	e.jobTimeout = opts.JobTimeout
	if e.jobTimeout <= 0 {
		e.jobTimeout = time.Minute
	}
	e.eventSlots = make(chan struct{}, maxInlineEvents)
	guard := opts.Outbound
	if guard == nil {
		guard = outbound.NewGuard(nil)
	}
	e.httpClient = guard.Client(0)
	return e
}

// Pool returns the engine's connection pool.
func (e *Engine) Pool() *pgxpool.Pool { return e.pool }

// Now returns the engine's clock reading.
func (e *Engine) Now() time.Time { return e.now() }

// inTx runs fn in one transaction, committing when fn returns nil. When
// ctx carries a transaction (a record action inside a step's completion
// transaction), fn runs in a savepoint of it instead.
func (e *Engine) inTx(ctx context.Context, fn func(tx pgx.Tx, q *db.Queries) error) error {
	if outer, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		return pgx.BeginFunc(ctx, outer, func(tx pgx.Tx) error { return fn(tx, e.q.WithTx(tx)) })
	}
	// A deadlock (two batches locking the same records in another order)
	// or a serialization failure aborts the whole transaction, so running
	// fn again from the start is safe; give up after three tries.
	var err error
	for try := 0; try < 3; try++ {
		err = pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
			return fn(tx, e.q.WithTx(tx))
		})
		if !retryableTx(err) {
			return err
		}
		e.log.WarnContext(ctx, "transaction retried", "error", err, "try", try+1)
	}
	return err
}

// retryableTx reports whether err is a deadlock or a serialization failure:
// the transaction was aborted whole, so running it again is safe.
func retryableTx(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// notFoundIf turns pgx.ErrNoRows into a CodeNotFound error.
func notFoundIf(err error, kind, id string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return NotFound(kind, id)
	}
	if err != nil {
		return fmt.Errorf("loading %s %s: %w", kind, id, err)
	}
	return nil
}
