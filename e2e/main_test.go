package e2e_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a goroutine outlives them: every
// app, server, pool and River client a test starts must be stopped.
// Idle keep-alive connections of the shared HTTP client are not leaks.
// It also removes the rowflow binary the crash tests share.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	if code == 0 {
		if err := goleak.Find(
			goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
			goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// built is the rowflow binary of this test binary's run (rowflowBinary).
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// rowflowBinary builds cmd/rowflow once for all the tests that start it as
// a child process (crash, restart and scaling tests) and returns its path.
func rowflowBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "rowflow-e2e-"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "rowflow")
		build := exec.Command("go", "build", "-o", built.bin, "../cmd/rowflow")
		build.Stderr = os.Stderr
		built.err = build.Run()
	})
	if built.err != nil {
		t.Fatalf("building rowflow: %v", built.err)
	}
	return built.bin
}
