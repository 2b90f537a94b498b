package httpapi

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestClientIPKey: IPv4 addresses are their own key; IPv6 ones share
// their /64, so rotating addresses inside it does not escape a limit.
func TestClientIPKey(t *testing.T) {
	t.Parallel()
	require.Equal(t, "10.1.2.3", clientIP("10.1.2.3:5555"))
	require.Equal(t, "2001:db8:1:2::/64", clientIP("[2001:db8:1:2:aaaa::1]:443"))
	require.Equal(t, clientIP("[2001:db8:1:2::5]:1"), clientIP("[2001:db8:1:2:ffff::9]:2"))
	require.NotEqual(t, clientIP("[2001:db8:1:2::5]:1"), clientIP("[2001:db8:1:3::5]:1"))
}
