package action

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/automation/kind"
)

// TestRetryDefaults: actions that call out retry for about a day; record
// actions keep the short default.
func TestRetryDefaults(t *testing.T) {
	t.Parallel()
	for _, a := range []kind.Action{SendWebhook{}, SendEmail{}, SendSlackMessage{}, SendTeamsMessage{}} {
		require.Equal(t, kind.ExternalRetry, kind.RetryOf(a), a.Name())
	}
	for _, a := range []kind.Action{CreateRecord{}, UpdateRecord{}, DeleteRecord{}, LinkRecords{}} {
		require.Equal(t, kind.DefaultRetry, kind.RetryOf(a), a.Name())
	}
	require.Equal(t, "url", kind.DestinationOf(SendWebhook{}))
}
