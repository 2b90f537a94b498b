package main

import (
	"context"
	"flag"
	"fmt"
	"os"
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

func migrate(ctx context.Context, cfg app.Config, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: rowflow migrate up|down|down-all|status")
	}
	log := newLogger(cfg)
	return withPool(ctx, cfg, func(pool *pgxpool.Pool) error {
		switch args[0] {
		case "up":
			return migrations.Up(ctx, pool, log)
		case "down":
			return migrations.Down(ctx, pool, false, log)
		case "down-all":
			return migrations.Down(ctx, pool, true, log)
		case "status":
			return migrations.Status(ctx, pool, os.Stdout)
		}
		return fmt.Errorf("usage: rowflow migrate up|down|down-all|status")
	})
}

func token(ctx context.Context, cfg app.Config, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: rowflow token create -name NAME -role owner|editor|viewer [-base-ids a,b] [-user EMAIL]")
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	name := fs.String("name", "cli", "token name")
	role := fs.String("role", "owner", "owner | editor | viewer")
	bases := fs.String("base-ids", "", "comma-separated base ids (default: every base)")
	userEmail := fs.String("user", "", "make it a token of the user with this email (created when missing)")
	if err := fs.Parse(args[1:]); err != nil {
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
				fmt.Fprintf(os.Stderr, "created user %s (%s)\n", u.ID, u.Email)
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
		fmt.Fprintf(os.Stderr, "created token %s (%s, role %s)\n", t.ID, t.Name, t.Role)
		fmt.Println(secret)
		return nil
	})
}

func pg(ctx context.Context, cfg app.Config, args []string) error {
	if len(args) < 1 {
		return fmt.Errorf("usage: rowflow pg start|stop|url [-dir DIR]")
	}
	fs := flag.NewFlagSet("pg", flag.ContinueOnError)
	dir := cfg.DataDir + "/pg"
	fs.StringVar(&dir, "dir", dir, "the cluster's data directory")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	log := newLogger(cfg)
	switch args[0] {
	case "start", "url":
		cl, err := pgcluster.Start(ctx, pgcluster.Opts{DataDir: absPath(dir), Logger: log, Fast: os.Getenv("ROWFLOW_PG_FAST") == "1"})
		if err != nil {
			return err
		}
		if err := app.EnsureDatabase(ctx, cl.URL(), app.DatabaseName); err != nil {
			return err
		}
		fmt.Println(cl.URLFor(app.DatabaseName))
		return nil
	case "stop":
		return pgcluster.StopDir(ctx, absPath(dir), log)
	}
	return fmt.Errorf("usage: rowflow pg start|stop|url")
}

// rekey re-seals every connection's secrets with the current key
// (ROWFLOW_SECRET_KEY or the key file) — the last step of a key rotation,
// run while the old key is still in ROWFLOW_SECRET_KEY_PREVIOUS.
func rekey(ctx context.Context, cfg app.Config) error {
	keys, _, err := connection.LoadKeyring(cfg.SecretKey, cfg.SecretKeyPrevious, cfg.DataDir)
	if err != nil {
		return err
	}
	return withPool(ctx, cfg, func(pool *pgxpool.Pool) error {
		n, err := connection.New(connection.Opts{Pool: pool, Keys: keys}).Rekey(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "re-sealed %d connection(s) with the current key\n", n)
		return nil
	})
}
