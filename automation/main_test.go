package automation

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a goroutine outlives them: the
// runtime's background work (inline events and steps) must end with
// Drain, and every pool must be closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
