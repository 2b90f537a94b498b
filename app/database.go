package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow/pgcluster"
)

// DatabaseName is the database rowflow uses inside its private cluster.
const DatabaseName = "rowflow"

// OpenDatabase resolves the database to use. With cfg.DatabaseURL set it is
// used as is. Otherwise a private PostgreSQL cluster is started (or reused)
// under cfg.DataDir/pg from the system's binaries, the "rowflow" database
// is created if missing, and its URL is returned; stop stops the cluster if
// this call started it.
func OpenDatabase(ctx context.Context, cfg Config, log *slog.Logger) (url string, stop func(context.Context) error, err error) {
	if cfg.DatabaseURL != "" {
		return cfg.DatabaseURL, func(context.Context) error { return nil }, nil
	}
	dir, err := filepath.Abs(filepath.Join(cfg.DataDir, "pg"))
	if err != nil {
		return "", nil, err
	}
	cl, err := pgcluster.Start(ctx, pgcluster.Opts{DataDir: dir, Logger: log})
	if err != nil {
		return "", nil, err
	}
	if err := EnsureDatabase(ctx, cl.URL(), DatabaseName); err != nil {
		_ = cl.Stop(ctx)
		return "", nil, err
	}
	return cl.URLFor(DatabaseName), cl.Stop, nil
}

// EnsureDatabase creates database name on the server of adminURL if it
// does not exist.
func EnsureDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connecting to the private cluster: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("creating database %s: %w", name, err)
	}
	return nil
}
