package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/rowflow/rowflow/app"
)

func serve(ctx context.Context, cfg app.Config, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
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
		fmt.Printf("\nrowflow is up (role %s)\n  API:       %s/api/v1\n  API docs:  %s/docs\n  OpenAPI:   %s/openapi.json\n  River UI:  %s/riverui/  (user: anything, password: an owner token)\n",
			cfg.Role, u, u, u, u)
		if cfg.AdminToken == "" {
			fmt.Println("  No ROWFLOW_ADMIN_TOKEN set: create a token with `rowflow token create -name me -role owner`.")
		}
		fmt.Println("  Ctrl-C stops gracefully.")
	} else {
		fmt.Printf("rowflow worker is up (role %s)\n", cfg.Role)
	}
	<-ctx.Done()
	log.Info("shutting down: finishing in-flight requests and jobs")
	stopCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return a.Close(stopCtx)
}
