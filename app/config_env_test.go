package app

import (
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestConfigFromEnv: the environment reaches the config — among others
// ROWFLOW_INLINE_BACKSTOP=0, which turns inline execution off (the e2e
// tests set the config value directly).
func TestConfigFromEnv(t *testing.T) {
	t.Setenv("ROWFLOW_INLINE_BACKSTOP", "0")
	t.Setenv("ROWFLOW_ROLE", "worker")
	t.Setenv("ROWFLOW_MAX_DEPTH", "3")
	c, err := FromEnv()
	require.NoError(t, err)
	require.Zero(t, c.InlineBackstop)
	require.NotZero(t, DefaultConfig().InlineBackstop, "inline execution is on by default")
	require.Equal(t, "worker", c.Role)
	require.Equal(t, 3, c.MaxDepth)

	t.Setenv("ROWFLOW_INLINE_BACKSTOP", "2m")
	c, err = FromEnv()
	require.NoError(t, err)
	require.Equal(t, 2*time.Minute, c.InlineBackstop)

	t.Setenv("ROWFLOW_INLINE_BACKSTOP", "soon")
	_, err = FromEnv()
	require.ErrorContains(t, err, "ROWFLOW_INLINE_BACKSTOP")
}

// TestRetentionConfig: the run retention defaults to 720h (failed runs
// 2160h), the environment and the flags set it, and it must be positive.
func TestRetentionConfig(t *testing.T) {
	d := DefaultConfig()
	require.Equal(t, 720*time.Hour, d.RunRetention)
	require.Equal(t, 2160*time.Hour, d.RunRetentionFailed)
	t.Setenv("ROWFLOW_RUN_RETENTION", "48h")
	t.Setenv("ROWFLOW_RUN_RETENTION_FAILED", "96h")
	c, err := FromEnv()
	require.NoError(t, err)
	require.Equal(t, 48*time.Hour, c.RunRetention)
	require.Equal(t, 96*time.Hour, c.RunRetentionFailed)
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.BindFlags(fs)
	require.NoError(t, fs.Parse([]string{"-run-retention", "1h", "-run-retention-failed", "2h"}))
	require.Equal(t, time.Hour, c.RunRetention)
	require.Equal(t, 2*time.Hour, c.RunRetentionFailed)
	require.NoError(t, c.Validate())
	c.RunRetention = 0
	require.ErrorContains(t, c.Validate(), "run-retention")
}
