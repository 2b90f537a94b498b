// Command rowflow is the one binary of rowflow:
//
//	rowflow serve [flags]                    API + workers + scheduler
//	rowflow migrate up|down|down-all|status  River's and rowflow's migrations
//	rowflow token create -name N -role R     print a new access token
//	rowflow pg start|stop|url|install        the private PostgreSQL cluster
//	rowflow bench [-short]                   latency, throughput and cost
//	rowflow receive [-addr A]                print incoming webhooks
//	rowflow mail [-addr A]                   print incoming email
//	rowflow rekey                            re-seal connection secrets
//	rowflow webhook sign -secret S -body B   Standard Webhooks headers for curl
//
// With no DATABASE_URL every command uses the private cluster under
// ROWFLOW_DATA_DIR (default ./.data), starting it when needed.
//
// Every command and subcommand answers -h, -help, --help (and `rowflow help
// CMD…`) with its usage on stdout and exit status 0, before reading the
// configuration or touching a database. A usage error (unknown command or
// flag, missing argument, bare `rowflow`) exits 2 with the usage on stderr;
// any other failure exits 1.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // IANA zones for datetime fields and schedules on hosts without zoneinfo

	"github.com/rowflow/rowflow/app"
)

// stdout and stderr are where commands write; tests replace them.
var (
	stdout io.Writer = os.Stdout
	stderr io.Writer = os.Stderr
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := exitCode(run(ctx, os.Args[1:]))
	stop()
	os.Exit(code)
}

// exitCode maps run's error to the process exit status (and prints it):
// 0 for success and help, 2 for usage errors, 1 otherwise.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "rowflow: %s\n\n%s", ue.msg, ue.usage)
		return 2
	default:
		fmt.Fprintln(stderr, "rowflow:", err)
		return 1
	}
}

// command is one node of the command tree: a leaf runs, a parent dispatches
// to its subcommands.
type command struct {
	name    string
	args    string // what follows the name in the usage line
	summary string
	subs    []*command
	// run gets the arguments after the command's name. It must parse its
	// flags (parseFlags) before any side effect.
	run func(ctx context.Context, args []string) error
}

// commands is the tree of rowflow's commands.
var commands = &command{name: "rowflow", summary: "the automation engine of an Airtable-style product", subs: []*command{
	{name: "serve", args: "[flags]", summary: "run API, workers and scheduler (private PostgreSQL unless DATABASE_URL)", run: serve},
	{name: "migrate", summary: "River's and rowflow's database migrations", subs: []*command{
		{name: "up", summary: "apply every pending migration", run: migrateCmd("up")},
		{name: "down", summary: "roll back the last migration", run: migrateCmd("down")},
		{name: "down-all", summary: "roll back every migration", run: migrateCmd("down-all")},
		{name: "status", summary: "list migrations and whether they are applied", run: migrateCmd("status")},
	}},
	{name: "token", summary: "access tokens", subs: []*command{
		{name: "create", args: "-name NAME -role owner|editor|viewer [-base-ids bas_a,bas_b]", summary: "create a token and print its secret", run: tokenCreate},
	}},
	{name: "pg", summary: "the private PostgreSQL cluster (make run / make test use it when DATABASE_URL is unset)", subs: []*command{
		{name: "start", args: "[-dir DIR]", summary: "start the cluster (initialized on first use) and print its URL", run: pgStart(false)},
		{name: "url", args: "[-dir DIR]", summary: "print the URL of the rowflow database, starting the cluster if needed (and saying so)", run: pgStart(true)},
		{name: "stop", args: "[-dir DIR]", summary: "stop the cluster if it runs", run: pgStop},
		{name: "install", summary: "install the PostgreSQL server binaries (root on Debian/Ubuntu: apt-get install -y postgresql)", run: pgInstall},
	}},
	{name: "bench", args: "[-short] [-rates 50,200,1000] [-out DIR] [-latency-only]", summary: "measure latency, throughput and cost (make bench)", run: benchCmd},
	{name: "receive", args: "[-addr 127.0.0.1:9999]", summary: "print incoming webhooks (to try send_webhook)", run: receive},
	{name: "mail", args: "[-addr 127.0.0.1:1025]", summary: "print incoming email (to try send_email)", run: mailServer},
	{name: "rekey", summary: "re-seal connection secrets with the current key (key rotation)", run: rekeyCmd},
	{name: "webhook", summary: "incoming webhooks", subs: []*command{
		{name: "sign", args: "-secret whsec_… (-body JSON | -body-file FILE|-) [-id msg_…] [-timestamp UNIX] [-format curl|headers]",
			summary: "Standard Webhooks headers for a curl to an hmac webhook", run: webhookSign},
	}},
}}

// run runs the command line args (without the program name).
func run(ctx context.Context, args []string) error {
	return commands.dispatch(ctx, "rowflow", args)
}

// errHelp is returned when help was asked for and printed.
var errHelp = errors.New("help requested")

// usageError is a wrong command line; exitCode prints msg and the usage.
type usageError struct{ msg, usage string }

func (e *usageError) Error() string { return e.msg }

func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// dispatch runs the subcommand named by args[0]; path is the command line
// so far ("rowflow pg").
func (c *command) dispatch(ctx context.Context, path string, args []string) error {
	if len(args) == 0 {
		return &usageError{msg: "missing command", usage: c.usage(path)}
	}
	if isHelp(args[0]) {
		if args[0] == "help" && len(args) > 1 {
			// rowflow help pg start → rowflow pg start -h
			return c.dispatch(ctx, path, append(append([]string(nil), args[1:]...), "-h"))
		}
		fmt.Fprint(stdout, c.usage(path))
		return errHelp
	}
	for _, sub := range c.subs {
		if sub.name != args[0] {
			continue
		}
		if sub.subs != nil {
			return sub.dispatch(ctx, path+" "+sub.name, args[1:])
		}
		return sub.run(ctx, args[1:])
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", path+" "+args[0]), usage: c.usage(path)}
}

// usage is the help of a parent command: its subcommands, one a line.
func (c *command) usage(path string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s — %s\n\nusage:\n", path, c.summary)
	width := 0
	for _, s := range c.subs {
		width = max(width, len(s.name))
	}
	for _, s := range c.subs {
		fmt.Fprintf(&b, "  %s %-*s  %s\n", path, width, s.name, s.summary)
	}
	fmt.Fprintf(&b, "\n`%s COMMAND -h` shows a command's flags.\n", path)
	if path == "rowflow" {
		b.WriteString("\nWith no DATABASE_URL, commands use the private PostgreSQL cluster under\nROWFLOW_DATA_DIR (default ./.data), starting it when needed.\n")
	}
	return b.String()
}

// loadConfig reads the configuration from the environment. Commands call it
// after parsing their flags, so -h works whatever the environment holds.
func loadConfig() (app.Config, error) {
	return app.FromEnv()
}

// newLogger builds the process logger from the config.
func newLogger(cfg app.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(cfg.LogFormat, "json") {
		return slog.New(slog.NewJSONHandler(stderr, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}
