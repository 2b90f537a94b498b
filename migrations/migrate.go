// Package migrations holds rowflow's goose SQL migrations, embedded in the
// binary, and applies them together with River's own migrations.
//
// "up" takes a PostgreSQL advisory lock, migrates River's tables to the
// latest version (rivermigrate, River's own history table), then ours
// (goose). The lock makes concurrent `rowflow migrate up` / `serve` starts
// safe: River's migrator takes no lock of its own.
package migrations

import (
	"context"
	"embed"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// FS holds the goose SQL migrations.
//
//go:embed *.sql
var FS embed.FS

// lockKey is the advisory lock id taken while migrating ("rowflow" in hex-ish).
const lockKey = 0x726f77666c6f77

// Up applies River's and then rowflow's pending migrations.
func Up(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	return withLock(ctx, pool, func() error {
		res, err := rivermigrate.New(riverpgxv5.New(pool), nil)
		if err != nil {
			return fmt.Errorf("river migrator: %w", err)
		}
		r, err := res.Migrate(ctx, rivermigrate.DirectionUp, nil)
		if err != nil {
			return fmt.Errorf("river migrations: %w", err)
		}
		for _, v := range r.Versions {
			log.Info("applied river migration", "version", v.Version)
		}
		p, closeDB, err := provider(pool)
		if err != nil {
			return err
		}
		defer closeDB()
		results, err := p.Up(ctx)
		for _, m := range results {
			log.Info("applied migration", "version", m.Source.Version, "file", m.Source.Path)
		}
		if err != nil {
			return fmt.Errorf("rowflow migrations: %w", err)
		}
		return nil
	})
}

// Down rolls back rowflow's latest migration; with all=true it rolls back
// every rowflow migration and then River's tables too.
func Down(ctx context.Context, pool *pgxpool.Pool, all bool, log *slog.Logger) error {
	return withLock(ctx, pool, func() error {
		p, closeDB, err := provider(pool)
		if err != nil {
			return err
		}
		defer closeDB()
		if !all {
			r, err := p.Down(ctx)
			if r != nil {
				log.Info("rolled back migration", "version", r.Source.Version)
			}
			return err
		}
		if _, err := p.DownTo(ctx, 0); err != nil {
			return fmt.Errorf("rowflow migrations down: %w", err)
		}
		m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
		if err != nil {
			return err
		}
		_, err = m.Migrate(ctx, rivermigrate.DirectionDown, &rivermigrate.MigrateOpts{TargetVersion: -1})
		return err
	})
}

// Status writes one line per migration (River's and ours) to w.
func Status(ctx context.Context, pool *pgxpool.Pool, w io.Writer) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return err
	}
	existing, err := m.ExistingVersions(ctx)
	if err != nil && !strings.Contains(err.Error(), "does not exist") {
		return fmt.Errorf("river migration status: %w", err)
	}
	fmt.Fprintf(w, "river: %d of %d migrations applied\n", len(existing), len(m.AllVersions()))
	p, closeDB, err := provider(pool)
	if err != nil {
		return err
	}
	defer closeDB()
	st, err := p.Status(ctx)
	if err != nil {
		return fmt.Errorf("rowflow migration status: %w", err)
	}
	for _, s := range st {
		fmt.Fprintf(w, "rowflow: %-8s %s\n", s.State, s.Source.Path)
	}
	return nil
}

// Pending reports whether any migration (River's or ours) is not applied;
// /readyz uses it.
func Pending(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return true, err
	}
	existing, err := m.ExistingVersions(ctx)
	if err != nil {
		return true, err
	}
	if len(existing) < len(m.AllVersions()) {
		return true, nil
	}
	p, closeDB, err := provider(pool)
	if err != nil {
		return true, err
	}
	defer closeDB()
	return p.HasPending(ctx)
}

func provider(pool *pgxpool.Pool) (*goose.Provider, func(), error) {
	sqlDB := stdlib.OpenDBFromPool(pool)
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, FS, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		sqlDB.Close()
		return nil, nil, fmt.Errorf("goose: %w", err)
	}
	return p, func() { sqlDB.Close() }, nil
}

func withLock(ctx context.Context, pool *pgxpool.Pool, fn func() error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquiring connection for migration lock: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(lockKey)); err != nil {
		return fmt.Errorf("taking migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(lockKey)) //nolint:errcheck
	return fn()
}
