package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runCLI runs a command line with a data directory that must stay untouched
// and a DATABASE_URL nothing listens on, so any side effect (starting the
// private cluster, connecting) shows.
func runCLI(t *testing.T, args ...string) (code int, out, errOut string, dataDir string) {
	t.Helper()
	dataDir = filepath.Join(t.TempDir(), "data")
	t.Setenv("ROWFLOW_DATA_DIR", dataDir)
	t.Setenv("ROWFLOW_PG_BINDIR", filepath.Join(t.TempDir(), "nobin"))
	var o, e bytes.Buffer
	stdout, stderr = &o, &e
	t.Cleanup(func() { stdout, stderr = os.Stdout, os.Stderr })
	code = exitCode(run(context.Background(), args))
	return code, o.String(), e.String(), dataDir
}

// leaves lists every runnable command line of the tree.
func leaves(c *command, path []string) [][]string {
	if c.subs == nil {
		return [][]string{path}
	}
	var out [][]string
	for _, s := range c.subs {
		out = append(out, leaves(s, append(append([]string(nil), path...), s.name))...)
	}
	return out
}

// TestHelpHasNoSideEffects: every command and subcommand answers -h and
// --help with exit 0, its own name in the usage on stdout, and touches
// nothing (no data directory made, no cluster started).
func TestHelpHasNoSideEffects(t *testing.T) {
	var lines [][]string
	var walk func(c *command, path []string)
	walk = func(c *command, path []string) {
		lines = append(lines, path)
		for _, s := range c.subs {
			walk(s, append(append([]string(nil), path...), s.name))
		}
	}
	walk(commands, nil)
	require.Greater(t, len(lines), 12)
	for _, line := range lines {
		for _, h := range []string{"-h", "--help", "help"} {
			args := append(append([]string(nil), line...), h)
			name := strings.Join(append([]string{"rowflow"}, line...), " ")
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, out, errOut, dataDir := runCLI(t, args...)
				assert.Equal(t, 0, code, errOut)
				assert.Contains(t, out, name, "usage names the command")
				assert.Empty(t, errOut)
				_, err := os.Stat(dataDir)
				assert.True(t, os.IsNotExist(err), "no data directory made")
			})
		}
	}
}

// TestHelpOfLeaf: a leaf's usage names itself (not its parent) and lists its
// flags; `rowflow help pg start` is `rowflow pg start -h`.
func TestHelpOfLeaf(t *testing.T) {
	code, out, _, _ := runCLI(t, "pg", "start", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "usage: rowflow pg start [-dir DIR]")
	assert.Contains(t, out, "-dir")

	code, out2, _, _ := runCLI(t, "help", "pg", "start")
	assert.Equal(t, 0, code)
	assert.Equal(t, out, out2)
}

// TestServeHelpFlags: serve -h lists its flags, not send_email's -smtp-url
// before that step exists.
func TestServeHelpFlags(t *testing.T) {
	code, out, _, _ := runCLI(t, "serve", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "-addr")
	assert.Contains(t, out, "-smtp-url", "send_email exists: its default server is a serve flag")
}

// TestUsageErrors: bare rowflow, unknown commands, flags and arguments exit
// 2 with the usage on stderr, and do nothing.
func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"nope"},
		{"pg"},
		{"pg", "nope"},
		{"migrate"},
		{"migrate", "sideways"},
		{"migrate", "up", "extra"},
		{"token"},
		{"token", "create", "-nope"},
		{"pg", "start", "-dir"},
		{"serve", "-nope"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, errOut, dataDir := runCLI(t, args...)
			assert.Equal(t, 2, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, "usage")
			_, err := os.Stat(dataDir)
			assert.True(t, os.IsNotExist(err), "no data directory made")
		})
	}
}

// TestEveryLeafParsesFlags: each runnable command refuses a stray argument
// before doing anything (so it parses its flags first).
func TestEveryLeafParsesFlags(t *testing.T) {
	for _, line := range leaves(commands, nil) {
		t.Run(strings.Join(line, " "), func(t *testing.T) {
			code, _, errOut, _ := runCLI(t, append(line, "stray")...)
			assert.Equal(t, 2, code, errOut)
		})
	}
}

// TestFormatDelivery: receive prints the headers a delivery has, and no
// webhook-signature line when it is not signed.
func TestFormatDelivery(t *testing.T) {
	r := httptest.NewRequest("POST", "/hook?x=1", nil)
	r.Header.Set("webhook-id", "msg_1")
	r.Header.Set("content-type", "application/json")
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	assert.Equal(t, "10:00:00 POST /hook?x=1\n  webhook-id: msg_1\n  content-type: application/json\n  body: {}\n\n",
		formatDelivery(at, r, []byte("{}")))
	r.Header.Set("webhook-signature", "v1,abc")
	assert.Contains(t, formatDelivery(at, r, nil), "  webhook-signature: v1,abc\n")
}
