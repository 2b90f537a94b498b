package main

import (
	"context"
	"fmt"
	"time"

	"github.com/rowflow/rowflow/app"
)

func serve(ctx context.Context, args []string) error {
	fs := newFlags("rowflow serve", "[flags]", "Runs the API, the workers and the scheduler. Without DATABASE_URL it starts the private PostgreSQL cluster\n(stopped again at exit if it started it). A flag wins over its environment variable.")
	cfg, envErr := loadConfig()
	cfg.BindFlags(fs)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if envErr != nil {
		return envErr
	}
	log := newLogger(cfg)
	url, stopDB, err := app.OpenDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := stopDB(context.Background()); err != nil {
			log.Error("stopping the private cluster", "error", err)
		}
	}()
	cfg.DatabaseURL = url
	a, err := app.New(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		_ = a.Close(context.Background())
		return err
	}
	if u := a.URL(); u != "" {
		fmt.Fprintf(stdout, "\nrowflow is up (role %s)\n  API:       %s/api/v1\n  API docs:  %s/docs\n  OpenAPI:   %s/openapi.json\n  Console:   %s/console/  (log in with an owner, editor or viewer token)\n  River UI:  %s/riverui/  (the console session, or user: anything, password: an owner token)\n",
			cfg.Role, u, u, u, u, u)
		if cfg.AdminToken == "" {
			fmt.Fprintln(stdout, "  No ROWFLOW_ADMIN_TOKEN set: create a token with `rowflow token create -name me -role owner`.")
		}
		fmt.Fprintln(stdout, "  Ctrl-C stops gracefully.")
	} else {
		fmt.Fprintf(stdout, "rowflow worker is up (role %s)\n", cfg.Role)
	}
	<-ctx.Done()
	log.Info("shutting down: finishing in-flight requests and jobs")
	stopCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return a.Close(stopCtx)
}
