package app

import (
	"flag"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAdminTokenRules is the regression test of a weak or visible admin
// token: one shorter than MinAdminTokenLen is refused at start, and there
// is no -admin-token flag (a flag shows in ps).
func TestAdminTokenRules(t *testing.T) {
	t.Parallel()
	c := DefaultConfig()
	c.AdminToken = "short-token"
	err := c.Validate()
	require.Error(t, err)
	require.Contains(t, err.Error(), "at least 32 characters")
	c.AdminToken = strings.Repeat("x", MinAdminTokenLen)
	require.NoError(t, c.Validate())
	c.AdminToken = ""
	require.NoError(t, c.Validate())

	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	c.BindFlags(fs)
	require.Nil(t, fs.Lookup("admin-token"))
	require.Error(t, fs.Parse([]string{"-admin-token", strings.Repeat("x", 40)}))
}
