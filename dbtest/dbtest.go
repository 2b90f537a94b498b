// Package dbtest gives each test its own PostgreSQL database, cloned from a
// template that has every migration applied, so tests run in parallel
// against a real server without seeing each other's data.
//
// The server is the one of $DATABASE_URL when set; otherwise a private
// cluster in <repo>/.data/testpg (fsync off), started on first use and left
// running for the next test binary (`make test` stops it at the end).
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/rowflow/rowflow/migrations"
	"github.com/rowflow/rowflow/pgcluster"
)

var (
	once     sync.Once
	adminURL string
	tmplName string
	setupErr error
)

// New returns a pool on a fresh migrated database of the test's own; the
// database is dropped when the test ends.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	url := NewURL(t)
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatalf("dbtest: connecting: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// NewURL creates a fresh migrated database and returns its URL. It is
// dropped (forcibly) when the test ends.
func NewURL(t testing.TB) string {
	t.Helper()
	once.Do(func() { setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("dbtest: %v", setupErr)
	}
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmplName)); err != nil {
		t.Fatalf("dbtest: cloning template: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), adminURL)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
	})
	return pgcluster.WithDatabase(adminURL, name)
}

// AdminURL returns the URL of the test server's "postgres" database.
func AdminURL(t testing.TB) string {
	once.Do(func() { setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("dbtest: %v", setupErr)
	}
	return adminURL
}

func setup() error {
	ctx := context.Background()
	if u := os.Getenv("DATABASE_URL"); u != "" {
		adminURL = pgcluster.WithDatabase(u, "postgres")
	} else {
		root, err := repoRoot()
		if err != nil {
			return err
		}
		cl, err := pgcluster.Start(ctx, pgcluster.Opts{DataDir: filepath.Join(root, ".data", "testpg"), Fast: true})
		if err != nil {
			return err
		}
		adminURL = cl.URL()
	}
	tmplName = "rowflow_tpl_" + migrationsHash()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", redact(adminURL), err)
	}
	defer conn.Close(ctx)
	// One test binary builds the template; the others wait on the lock.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(727)"); err != nil {
		return err
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(727)") //nolint:errcheck
	var isTemplate bool
	err = conn.QueryRow(ctx, "SELECT datistemplate FROM pg_database WHERE datname = $1", tmplName).Scan(&isTemplate)
	if err == nil && isTemplate {
		return nil
	}
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+tmplName+" WITH (FORCE)"); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+tmplName); err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, pgcluster.WithDatabase(adminURL, tmplName))
	if err != nil {
		return err
	}
	err = migrations.Up(ctx, pool, slog.New(slog.DiscardHandler))
	pool.Close()
	if err != nil {
		return fmt.Errorf("migrating template: %w", err)
	}
	_, err = conn.Exec(ctx, "ALTER DATABASE "+tmplName+" WITH IS_TEMPLATE true")
	return err
}

// migrationsHash names the template after the migrations it holds, so a
// changed migration builds a new template.
func migrationsHash() string {
	h := sha256.New()
	_ = fs.WalkDir(migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(migrations.FS, p)
			h.Write([]byte(p))
			h.Write(b)
		}
		return nil
	})
	m, _ := rivermigrate.New(riverpgxv5.New(nil), nil)
	if m != nil {
		fmt.Fprint(h, len(m.AllVersions()))
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func redact(url string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return "(unparseable url)"
	}
	return fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
