package record

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rowflow/rowflow/cache"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/pgtx"
)

// Opts configures a Service.
type Opts struct {
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// NowFunc is the clock (default time.Now); tests may pin it.
	NowFunc func() time.Time
}

// Service is the record service: bases, tables, fields, records, views
// and forms, with every access check. It is safe for concurrent use; one
// Service serves the API and the automation runtime's record actions.
// Writes are heard through its Hook (SetHook).
type Service struct {
	pool *pgxpool.Pool
	q    *db.Queries
	log  *slog.Logger
	now  func() time.Time
	// tables caches table definitions by id at their schema_version (cache.go).
	tables *cache.Versioned[*Table]
	hook   Hook
}

// New returns a Service on opts.Pool, with no hook until SetHook.
func New(opts Opts) *Service {
	s := &Service{pool: opts.Pool, q: db.New(opts.Pool), log: opts.Logger, now: opts.NowFunc,
		tables: cache.New(func(t *Table) int64 { return t.SchemaVersion })}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// SetHook makes h hear every record write (see Hook). Call it once, before
// the service serves requests.
func (s *Service) SetHook(h Hook) { s.hook = h }

// Pool returns the service's connection pool.
func (s *Service) Pool() *pgxpool.Pool { return s.pool }

// Now returns the service's clock reading.
func (s *Service) Now() time.Time { return s.now() }

// txKey carries a transaction: record writes made with such a context
// join it (as a savepoint) instead of opening their own.
type txKey struct{}

// WithTx returns ctx whose record writes join tx (as a savepoint): the
// automation runtime runs a record action inside the transaction that
// completes its step, so the write and the completion commit together.
// Such a write's automation work is recorded in tx too (Hook.Changed with
// own = false).
func WithTx(ctx context.Context, tx pgx.Tx) context.Context {
	return context.WithValue(ctx, txKey{}, tx)
}

// TxFrom returns the transaction ctx carries (WithTx), if any. A
// Transactional action that writes rows of its own (notify_user's
// notification) writes them in it, so they commit with the step.
func TxFrom(ctx context.Context) (pgx.Tx, bool) {
	tx, ok := ctx.Value(txKey{}).(pgx.Tx)
	return tx, ok
}

// inOuterTx reports whether ctx carries a caller's transaction (WithTx).
func inOuterTx(ctx context.Context) bool {
	_, ok := ctx.Value(txKey{}).(pgx.Tx)
	return ok
}

// inTx runs fn in one transaction, committing when fn returns nil; a
// deadlock or serialization failure runs it again (pgtx.Run). When ctx
// carries a transaction (WithTx), fn runs in a savepoint of it instead.
func (s *Service) inTx(ctx context.Context, fn func(tx pgx.Tx, q *db.Queries) error) error {
	if outer, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		return pgx.BeginFunc(ctx, outer, func(tx pgx.Tx) error { return fn(tx, s.q.WithTx(tx)) })
	}
	return pgtx.Run(ctx, s.pool, s.log, func(tx pgx.Tx) error { return fn(tx, s.q.WithTx(tx)) })
}

// afterCommitKey carries the slot of a write's after-commit work (what
// Hook.Changed returned), run by writeTx once the write committed.
type afterCommitKey struct{}

// writeTx runs a record write's transaction (inTx) and, once it committed,
// the after-commit work its hook asked for. Inside a caller's transaction
// there is no such slot: the commit is not the writer's to wait for.
func (s *Service) writeTx(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx, q *db.Queries) error) error {
	var after func()
	wctx := ctx
	if !inOuterTx(ctx) {
		wctx = context.WithValue(ctx, afterCommitKey{}, &after)
	}
	err := s.inTx(wctx, func(tx pgx.Tx, q *db.Queries) error {
		after = nil // a retried transaction's earlier try left nothing
		return fn(wctx, tx, q)
	})
	if err == nil && after != nil {
		after()
	}
	return err
}

// emit tells the hook about a write's changes inside its transaction q
// (no-op without changes or hook), keeping what it asks to run after the
// commit.
func (s *Service) emit(ctx context.Context, q *db.Queries, baseID string, changes []Change) error {
	if len(changes) == 0 || s.hook == nil {
		return nil
	}
	slot, _ := ctx.Value(afterCommitKey{}).(*func())
	after, err := s.hook.Changed(ctx, q, baseID, changes, slot != nil)
	if err != nil {
		return err
	}
	if slot != nil {
		*slot = after
	}
	return nil
}
