// Command rowflow is the one binary of rowflow:
//
//	rowflow serve [--role all|api|worker]   API + workers + scheduler
//	rowflow migrate up|down|status          River's and rowflow's migrations
//	rowflow token create --name N --role R  print a new access token
//	rowflow pg start|stop|url               the private PostgreSQL cluster
//	rowflow bench [-short]                  latency, throughput and cost
//	rowflow webhook sign -secret S -body B  Standard Webhooks headers for curl
//
// With no DATABASE_URL every command uses the private cluster under
// ROWFLOW_DATA_DIR (default ./.data), starting it when needed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // IANA zones for datetime fields and schedules on hosts without zoneinfo

	"github.com/rowflow/rowflow/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "rowflow:", err)
		os.Exit(1)
	}
}

const usage = `rowflow — the automation engine of an Airtable-style product

usage:
  rowflow serve [flags]                 run API, workers and scheduler (see rowflow serve -h)
  rowflow migrate up|down|down-all|status
  rowflow token create -name NAME -role owner|editor|viewer [-base-ids bas_a,bas_b] [-user EMAIL]
  rowflow pg start|stop|url             manage the private PostgreSQL cluster
  rowflow bench [-short]                measure latency, throughput and cost (make bench)
  rowflow receive [-addr 127.0.0.1:9999] print incoming webhooks (to try send_webhook)
  rowflow mail [-addr 127.0.0.1:1025]    print incoming email (to try send_email)
  rowflow rekey                         re-seal connection secrets with the current key (key rotation)
  rowflow webhook sign -secret whsec_… -body JSON   Standard Webhooks headers for a curl to an hmac webhook
`

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Print(usage)
		return nil
	}
	cfg, err := app.FromEnv()
	if err != nil {
		return err
	}
	switch args[0] {
	case "serve":
		return serve(ctx, cfg, args[1:])
	case "migrate":
		return migrate(ctx, cfg, args[1:])
	case "token":
		return token(ctx, cfg, args[1:])
	case "pg":
		return pg(ctx, cfg, args[1:])
	case "bench":
		return benchCmd(ctx, cfg, args[1:])
	case "receive":
		return receive(ctx, args[1:])
	case "mail":
		return mailServer(ctx, args[1:])
	case "rekey":
		return rekey(ctx, cfg)
	case "webhook":
		return webhookCmd(args[1:], os.Stdin, os.Stdout)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

// newLogger builds the process logger from the config.
func newLogger(cfg app.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(cfg.LogFormat, "json") {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
