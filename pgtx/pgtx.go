package pgtx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rowflow/rowflow"
)

// Beginner is what a transaction starts from: a pool or a connection.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Run runs fn in one transaction of db, committing when fn returns nil. A
// deadlock (two batches locking the same records in another order) or a
// serialization failure aborts the whole transaction, so running fn again
// from the start is safe; Run gives up after three tries. log (may be nil)
// hears of each retry.
func Run(ctx context.Context, db Beginner, log *slog.Logger, fn func(tx pgx.Tx) error) error {
	var err error
	for try := 0; try < 3; try++ {
		err = pgx.BeginFunc(ctx, db, fn)
		if !Retryable(err) {
			return err
		}
		if log != nil {
			log.WarnContext(ctx, "transaction retried", "error", err, "try", try+1)
		}
	}
	return err
}

// Retryable reports whether err is a deadlock or a serialization failure:
// the transaction was aborted whole, so running it again is safe.
func Retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// ForeignKeyViolation reports whether err is a foreign key violation (a
// row referred to was deleted under the statement).
func ForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}

// NotFoundIf turns pgx.ErrNoRows into a rowflow.CodeNotFound error for a
// resource kind and id, wraps any other error, and passes nil through.
func NotFoundIf(err error, kind, id string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return rowflow.NotFound(kind, id)
	}
	if err != nil {
		return fmt.Errorf("loading %s %s: %w", kind, id, err)
	}
	return nil
}

// MapUnique turns a unique violation into a conflict error at location
// with a formatted message; other errors pass through.
func MapUnique(err error, location, format string, args ...any) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		msg := fmt.Sprintf(format, args...)
		return &rowflow.Error{Code: rowflow.CodeConflict, Message: msg, Details: []rowflow.ErrorDetail{{Location: location, Message: msg}}}
	}
	return err
}
