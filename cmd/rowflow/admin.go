package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/auth"
	"github.com/rowflow/rowflow/connection"
	"github.com/rowflow/rowflow/migrations"
	"github.com/rowflow/rowflow/pgcluster"
)

// withPool opens the configured database (starting the private cluster if
// needed, and stopping it afterwards if this call started it).
func withPool(ctx context.Context, cfg app.Config, fn func(*pgxpool.Pool) error) error {
	log := newLogger(cfg)
	url, stopDB, err := app.OpenDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer stopDB(context.Background()) //nolint:errcheck
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	return fn(pool)
}

// migrateCmd is `rowflow migrate <direction>`.
func migrateCmd(direction string) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		fs := newFlags("rowflow migrate "+direction, "", "Applies or rolls back River's and rowflow's migrations on the configured database.")
		if err := parseFlags(fs, args, false); err != nil {
			return err
		}
		cfg, err := loadConfig()
		if err != nil {
			return err
		}
		log := newLogger(cfg)
		return withPool(ctx, cfg, func(pool *pgxpool.Pool) error {
			switch direction {
			case "up":
				return migrations.Up(ctx, pool, log)
			case "down":
				return migrations.Down(ctx, pool, false, log)
			case "down-all":
				return migrations.Down(ctx, pool, true, log)
			default:
				return migrations.Status(ctx, pool, stdout)
			}
		})
	}
}

// tokenCreate is `rowflow token create`.
func tokenCreate(ctx context.Context, args []string) error {
	fs := newFlags("rowflow token create", "-name NAME -role owner|editor|viewer [-base-ids bas_a,bas_b] [-user EMAIL]",
		"Creates an access token (migrating the database first) and prints its secret on stdout.")
	name := fs.String("name", "cli", "token name")
	role := fs.String("role", "owner", "owner | editor | viewer")
	bases := fs.String("base-ids", "", "comma-separated base ids (default: every base)")
	userEmail := fs.String("user", "", "make it a token of the user with this email (created when missing)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	var baseIDs []string
	if *bases != "" {
		baseIDs = strings.Split(*bases, ",")
	}
	log := newLogger(cfg)
	return withPool(ctx, cfg, func(pool *pgxpool.Pool) error {
		if err := migrations.Up(ctx, pool, log); err != nil {
			return err
		}
		tokens := auth.New(pool)
		userID := ""
		if *userEmail != "" {
			users := auth.NewUsers(pool)
			id, err := users.UserIDByEmail(ctx, *userEmail)
			if rowflow.ErrorCode(err) == rowflow.CodeNotFound {
				u, cerr := users.CreateUser(ctx, *userEmail, "")
				if cerr != nil {
					return cerr
				}
				fmt.Fprintf(stderr, "created user %s (%s)\n", u.ID, u.Email)
				id, err = u.ID, nil
			}
			if err != nil {
				return err
			}
			userID = id
		}
		t, secret, err := tokens.CreateToken(ctx, *name, *role, baseIDs, userID)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "created token %s (%s, role %s)\n", t.ID, t.Name, t.Role)
		fmt.Fprintln(stdout, secret)
		return nil
	})
}

// pgFlags parses the flags of `rowflow pg start|url|stop` and returns the
// cluster's data directory (absolute).
func pgFlags(sub, summary string, args []string) (string, app.Config, error) {
	fs := newFlags("rowflow pg "+sub, "[-dir DIR]", summary)
	dir := fs.String("dir", "", "the cluster's data directory (default $ROWFLOW_DATA_DIR/pg, i.e. .data/pg)")
	if err := parseFlags(fs, args, false); err != nil {
		return "", app.Config{}, err
	}
	cfg, err := loadConfig()
	if err != nil {
		return "", cfg, err
	}
	if *dir == "" {
		*dir = filepath.Join(cfg.DataDir, "pg")
	}
	return absPath(*dir), cfg, nil
}

// pgStart is `rowflow pg start` (quiet: false) and `rowflow pg url`: both
// print the rowflow database's URL; both say on stderr when they started the
// cluster, which then keeps running until `rowflow pg stop`.
func pgStart(isURL bool) func(context.Context, []string) error {
	sub, summary := "start", "Starts the private PostgreSQL cluster (initialized on first use), creates the rowflow database and prints its URL. The cluster keeps running until `rowflow pg stop`."
	if isURL {
		sub, summary = "url", "Prints the URL of the private cluster's rowflow database. Starts the cluster if it is not running (and says so on stderr); it then keeps running until `rowflow pg stop`."
	}
	return func(ctx context.Context, args []string) error {
		dir, cfg, err := pgFlags(sub, summary, args)
		if err != nil {
			return err
		}
		cl, err := pgcluster.Start(ctx, pgcluster.Opts{DataDir: dir, Logger: newLogger(cfg), Fast: os.Getenv("ROWFLOW_PG_FAST") == "1"})
		if err != nil {
			return err
		}
		if err := app.EnsureDatabase(ctx, cl.URL(), app.DatabaseName); err != nil {
			return err
		}
		where := cl.DataDir()
		if cl.Moved() {
			where += " (the postgres user cannot reach " + dir + ")"
		}
		switch {
		case cl.Started():
			fmt.Fprintf(stderr, "started the private PostgreSQL cluster in %s; it keeps running until `rowflow pg stop`\n", where)
		case !isURL:
			fmt.Fprintf(stderr, "the private PostgreSQL cluster in %s was already running\n", where)
		}
		fmt.Fprintln(stdout, cl.URLFor(app.DatabaseName))
		return nil
	}
}

// pgStop is `rowflow pg stop`.
func pgStop(ctx context.Context, args []string) error {
	dir, cfg, err := pgFlags("stop", "Stops the private PostgreSQL cluster if it runs (also when it was placed under /var/lib/rowflow).", args)
	if err != nil {
		return err
	}
	return pgcluster.StopDir(ctx, dir, newLogger(cfg))
}

// pgInstall is `rowflow pg install` (make deps).
func pgInstall(ctx context.Context, args []string) error {
	fs := newFlags("rowflow pg install", "", "Installs the PostgreSQL server binaries when they are missing: as root on Debian/Ubuntu, apt-get update && apt-get install -y postgresql.")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	return pgcluster.Install(ctx, stdout)
}

// rekeyCmd is `rowflow rekey`: every connection's secrets sealed again with
// the current key (after a rotation: ROWFLOW_SECRET_KEY_PREVIOUS holds the
// old one until this ran).
func rekeyCmd(ctx context.Context, args []string) error {
	fs := newFlags("rowflow rekey", "", "Re-seals every connection's secrets with the current key (ROWFLOW_SECRET_KEY or the key file); earlier keys come from ROWFLOW_SECRET_KEY_PREVIOUS.")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	keys, _, err := connection.LoadKeyring(cfg.SecretKey, cfg.SecretKeyPrevious, cfg.DataDir)
	if err != nil {
		return err
	}
	return withPool(ctx, cfg, func(pool *pgxpool.Pool) error {
		n, err := connection.New(connection.Opts{Pool: pool, Keys: keys}).Rekey(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "re-sealed %d connection(s) with the current key\n", n)
		return nil
	})
}
