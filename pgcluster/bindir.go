package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// errNotFound is BinDir's error when no source holds the server binaries.
var errNotFound = errors.New("PostgreSQL server binaries not found; install them with: " + installCommand +
	" (Debian/Ubuntu; `make deps` or ROWFLOW_INSTALL_PG=1 runs it for you), or set DATABASE_URL to an existing server, or ROWFLOW_PG_BINDIR to the directory holding initdb and pg_ctl")

// installCommand installs the server binaries on Debian and Ubuntu.
const installCommand = "apt-get install -y postgresql"

// envInstall names the environment variable that lets Start install the
// server binaries when they are missing (root on Debian/Ubuntu only).
const envInstall = "ROWFLOW_INSTALL_PG"

// Install installs the PostgreSQL server binaries with apt-get (after
// apt-get update), its output going to out. It needs root and a Debian or
// Ubuntu system (/etc/debian_version); elsewhere it says what to do instead.
// Nothing happens when the binaries are already there.
func Install(ctx context.Context, out io.Writer) error {
	if dir, err := BinDir(); err == nil {
		fmt.Fprintf(out, "PostgreSQL server binaries found in %s\n", dir)
		return nil
	}
	if _, err := os.Stat("/etc/debian_version"); err != nil {
		return errors.New("pgcluster: not a Debian/Ubuntu system: install the PostgreSQL server package with your system's package manager, or set DATABASE_URL")
	}
	if os.Geteuid() != 0 {
		return errors.New("pgcluster: installing PostgreSQL needs root: run sudo " + installCommand)
	}
	for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "postgresql"}} {
		fmt.Fprintf(out, "+ apt-get %s\n", strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("pgcluster: apt-get %s: %w", args[0], err)
		}
	}
	_, err := BinDir()
	return err
}

// binDirOrInstall is BinDir, installing the binaries first when they are
// missing and ROWFLOW_INSTALL_PG=1.
func binDirOrInstall(ctx context.Context, logger *slog.Logger) (string, error) {
	dir, err := BinDir()
	if err == nil || os.Getenv(envInstall) != "1" {
		return dir, err
	}
	logger.Warn("pgcluster: PostgreSQL server binaries missing; installing them (" + envInstall + "=1)")
	if err := Install(ctx, os.Stderr); err != nil {
		return "", err
	}
	return BinDir()
}

// envBinDir names the environment variable that overrides the search.
const envBinDir = "ROWFLOW_PG_BINDIR"

// libRoot is where Debian and Ubuntu install one directory per major version.
const libRoot = "/usr/lib/postgresql"

// serverBinaries are the programs a bin directory must hold.
var serverBinaries = []string{"initdb", "pg_ctl", "postgres"}

// BinDir finds the PostgreSQL server binaries (initdb, pg_ctl, postgres):
// $ROWFLOW_PG_BINDIR, then `pg_config --bindir` if it holds initdb, then the
// highest /usr/lib/postgresql/*/bin.
func BinDir() (string, error) {
	pgConfig, _ := exec.LookPath("pg_config")
	return findBinDir(os.Getenv(envBinDir), pgConfig, []string{libRoot})
}

// binDirFor is BinDir for an existing data directory: unless ROWFLOW_PG_BINDIR
// is set, it prefers the binaries of the major version that created it.
func binDirFor(dataDir string) (string, error) {
	if os.Getenv(envBinDir) == "" {
		if b, err := os.ReadFile(filepath.Join(dataDir, "PG_VERSION")); err == nil {
			v := strings.TrimSpace(string(b))
			if dir := filepath.Join(libRoot, v, "bin"); v != "" && !strings.ContainsAny(v, `/\`) && hasServerBinaries(dir) {
				return dir, nil
			}
		}
	}
	return BinDir()
}

// findBinDir is BinDir with its sources as arguments: envDir is the value of
// ROWFLOW_PG_BINDIR ("" when unset), pgConfig the path of a pg_config
// executable ("" when none), libRoots directories holding <version>/bin.
func findBinDir(envDir, pgConfig string, libRoots []string) (string, error) {
	if envDir != "" {
		if hasServerBinaries(envDir) {
			return envDir, nil
		}
		return "", fmt.Errorf("%s=%s does not hold %s: %w", envBinDir, envDir, strings.Join(serverBinaries, ", "), errNotFound)
	}
	if pgConfig != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		out, err := exec.CommandContext(ctx, pgConfig, "--bindir").Output()
		cancel()
		if dir := strings.TrimSpace(string(out)); err == nil && dir != "" && hasServerBinaries(dir) {
			return dir, nil
		}
	}
	best, bestVersion := "", []int(nil)
	for _, root := range libRoots {
		entries, err := os.ReadDir(root)
		if err != nil {
			continue
		}
		for _, e := range entries {
			dir := filepath.Join(root, e.Name(), "bin")
			if !hasServerBinaries(dir) {
				continue
			}
			if v := parseVersion(e.Name()); best == "" || compareVersions(v, bestVersion) > 0 {
				best, bestVersion = dir, v
			}
		}
	}
	if best == "" {
		return "", errNotFound
	}
	return best, nil
}

// hasServerBinaries reports whether dir holds executable initdb, pg_ctl and
// postgres.
func hasServerBinaries(dir string) bool {
	for _, name := range serverBinaries {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// parseVersion turns "9.6" or "15" into its numbers; a name that does not
// start with a number gives nil, which sorts below every version.
func parseVersion(s string) []int {
	var v []int
	for _, part := range strings.Split(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			break
		}
		v = append(v, n)
	}
	return v
}

// compareVersions compares like strings.Compare, number by number.
func compareVersions(a, b []int) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		x, y := -1, -1
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
