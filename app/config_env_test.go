package app

import (
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
