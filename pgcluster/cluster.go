package pgcluster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

const (
	confFile    = "rowflow.conf" // settings written before each start
	logFile     = "server.log"
	sockSubdir  = "sock"
	listenAddr  = "127.0.0.1"
	maxConns    = 200
	fastOptions = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"

	// waitTimeout bounds pg_ctl -w and the wait for a server started by
	// someone else to become ready.
	waitTimeout = 60 * time.Second
	// maxSockDirLen keeps "<dir>/.s.PGSQL.<port>" within the 107 bytes a
	// unix socket path may have.
	maxSockDirLen = 107 - len("/.s.PGSQL.65535")
	// startAttempts bounds the retries when the chosen port gets taken
	// between choosing it and the server binding it.
	startAttempts = 3
)

// Opts configures Start.
type Opts struct {
	DataDir string       // e.g. "<project>/.data/pg"; created if missing
	Logger  *slog.Logger // nil → discard
	// Fast turns off fsync, synchronous_commit and full_page_writes, for
	// tests: a crash of the machine may then corrupt the cluster. It applies
	// only when this call starts the server (pg_ctl -o, not written to any
	// configuration file). Never set it for `make run`.
	Fast bool
}

// Cluster is a running private cluster.
type Cluster struct {
	dataDir  string
	port     int
	password string
	started  bool
	moved    bool
	logger   *slog.Logger

	mu      sync.Mutex
	stopped bool
}

// Start makes sure a cluster exists in DataDir (initdb on first use) and that
// it is running: it starts it, or reuses the postmaster that already serves
// DataDir (e.g. one started by another rowflow process or test binary). See
// the package documentation for the files and settings involved. Safe when
// several processes or goroutines call it at once for the same DataDir.
func Start(ctx context.Context, opts Opts) (*Cluster, error) {
	if opts.DataDir == "" {
		return nil, errors.New("pgcluster: Opts.DataDir is empty")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	// pg_ctl puts the path between double quotes in a /bin/sh command line.
	if strings.ContainsAny(dataDir, "\"$`\\\n") {
		return nil, fmt.Errorf("pgcluster: data directory %q: pg_ctl cannot handle a path holding \", $, `, \\ or a newline", dataDir)
	}
	placed, err := Placement(dataDir)
	if err != nil {
		return nil, err
	}
	moved := placed != dataDir
	if moved {
		if err := prepareRelocated(dataDir, placed); err != nil {
			return nil, err
		}
		logger.Warn("pgcluster: the postgres user cannot reach the data directory, so the cluster lives elsewhere",
			"dir", dataDir, "placed", placed)
		dataDir = placed
	}
	r, err := runnerFor(dataDir)
	if err != nil {
		return nil, err
	}
	parent := filepath.Dir(dataDir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	if err := r.checkTraversable(parent); err != nil {
		return nil, err
	}
	unlock, err := lockDir(ctx, dataDir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	c := &Cluster{dataDir: dataDir, logger: logger, moved: moved}
	info, err := waitRunning(ctx, dataDir)
	if err != nil {
		return nil, err
	}
	if info != nil {
		c.port = info.port
		logger.Info("pgcluster: reusing running server", "dir", dataDir, "pid", info.pid, "port", info.port)
		if err := c.loadPassword(ctx, r); err != nil {
			return nil, err
		}
		return c, nil
	}

	if info, err := readPidFile(dataDir); err == nil && info != nil && info.pid > 0 {
		// Left by a server that died without cleaning up (serves said no).
		// postgres would refuse to start if that pid now belongs to a zombie
		// or to an unrelated process; its shared-memory interlock still
		// guards against a live server.
		logger.Info("pgcluster: removing stale postmaster.pid", "dir", dataDir, "pid", info.pid)
		if err := os.Remove(filepath.Join(dataDir, "postmaster.pid")); err != nil {
			return nil, fmt.Errorf("pgcluster: %w", err)
		}
	}
	if err := initCluster(ctx, dataDir, r, opts.Fast, logger); err != nil {
		return nil, err
	}
	if err := startServer(ctx, dataDir, r, opts.Fast, logger); err != nil {
		return nil, err
	}
	info, err = waitRunning(ctx, dataDir)
	if err != nil {
		return nil, err
	}
	if info == nil {
		return nil, fmt.Errorf("pgcluster: pg_ctl started the server in %s, but it is not running; see %s", dataDir, filepath.Join(dataDir, logFile))
	}
	c.port, c.started = info.port, true
	logger.Info("pgcluster: started server", "dir", dataDir, "pid", info.pid, "port", info.port, "fast", opts.Fast)
	if err := c.loadPassword(ctx, r); err != nil {
		_ = c.Stop(ctx)
		return nil, err
	}
	return c, nil
}

// loadPassword reads the cluster's password, first moving a cluster made
// with --auth=trust (before passwords) to one.
func (c *Cluster) loadPassword(ctx context.Context, r runner) error {
	pw, err := readPassword(c.dataDir)
	if err != nil {
		return err
	}
	if pw == "" {
		c.logger.Info("pgcluster: cluster trusts local connections; setting a generated password", "dir", c.dataDir)
		if pw, err = secureOldCluster(ctx, c.dataDir, c.port, r); err != nil {
			return err
		}
	}
	c.password = pw
	return nil
}

// URL is a DATABASE_URL for the cluster's "postgres" database, with the
// generated password, e.g.
// "postgres://postgres:<password>@127.0.0.1:54329/postgres?sslmode=disable".
func (c *Cluster) URL() string { return c.URLFor("postgres") }

// URLFor returns the URL of another database name on the same cluster.
func (c *Cluster) URLFor(dbname string) string { return clusterURL(c.port, c.password, dbname) }

// DataDir is where the cluster really lives: Opts.DataDir, or its place
// under /var/lib/rowflow when the server's user cannot reach it (Placement).
func (c *Cluster) DataDir() string { return c.dataDir }

// Moved reports whether the cluster lives elsewhere than Opts.DataDir.
func (c *Cluster) Moved() bool { return c.moved }

// Started reports whether this Start call started the server (false when it
// reused a running one).
func (c *Cluster) Started() bool { return c.started }

// Stop stops the server with pg_ctl stop -m fast, only if Started() (a reused
// cluster is left running). Idempotent.
func (c *Cluster) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started || c.stopped {
		return nil
	}
	if err := StopDir(ctx, c.dataDir, c.logger); err != nil {
		return err
	}
	c.stopped = true
	return nil
}

// StopDir stops whatever server runs in dataDir (used by `make test` cleanup /
// `rowflow pg stop`). No error if not running.
func StopDir(ctx context.Context, dataDir string, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if dataDir, err = Placement(dataDir); err != nil {
		return err
	}
	if _, err := os.Stat(dataDir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	r, err := runnerFor(dataDir)
	if err != nil {
		return err
	}
	unlock, err := lockDir(ctx, dataDir)
	if err != nil {
		return err
	}
	defer unlock()

	info, err := readPidFile(dataDir)
	if err != nil {
		return err
	}
	if info != nil && serves(info.pid, dataDir) {
		bin, err := binDirFor(dataDir)
		if err != nil {
			return err
		}
		logPath := filepath.Join(dataDir, logFile)
		off := fileSize(logPath)
		out, err := r.run(ctx, filepath.Join(bin, "pg_ctl"), "-D", dataDir, "-m", "fast", "-w", "-t", pgctlTimeout(ctx), "stop")
		if err != nil {
			// Not an error if it went away meanwhile (pg_ctl: "Is server running?").
			if info, _ := readPidFile(dataDir); info != nil && serves(info.pid, dataDir) {
				return fmt.Errorf("pgcluster: pg_ctl stop in %s: %v\n%s%s", dataDir, err, out, logTail(logPath, off))
			}
		}
		logger.Info("pgcluster: stopped server", "dir", dataDir, "pid", info.pid)
	}
	// The server removed its socket; drop the directory made for it in
	// os.TempDir() (a no-op for <DataDir>/sock or when not empty).
	if dir := sockDirFor(dataDir); dir != filepath.Join(dataDir, sockSubdir) {
		_ = os.Remove(dir)
	}
	return nil
}

// initCluster runs initdb unless dataDir already holds a cluster. initdb
// works in "<dataDir>.init", renamed to dataDir once complete.
func initCluster(ctx context.Context, dataDir string, r runner, fast bool, logger *slog.Logger) error {
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err == nil {
		fi, err := os.Stat(dataDir)
		if err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
		if uid := fileUID(fi); uid != r.uid {
			return fmt.Errorf("pgcluster: data directory %s is owned by uid %d, but PostgreSQL would run as %q (uid %d); fix it with: chown -R %s %s",
				dataDir, uid, r.name, r.uid, r.name, dataDir)
		}
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return fmt.Errorf("pgcluster: %s is not empty and holds no PostgreSQL cluster (no PG_VERSION); remove it or choose another data directory", dataDir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pgcluster: %w", err)
	}

	bin, err := binDirOrInstall(ctx, logger)
	if err != nil {
		return err
	}
	tmp := dataDir + ".init"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := r.own(tmp); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	pw, err := newPassword()
	if err != nil {
		return err
	}
	pwTmp := dataDir + ".pwfile"
	if err := writeSecret(pwTmp, pw+"\n", r); err != nil {
		return err
	}
	defer os.Remove(pwTmp)
	args := []string{"-D", tmp, "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "--pwfile=" + pwTmp,
		"--username=postgres", "--encoding=UTF8", "--locale=C"}
	if fast {
		args = append(args, "--no-sync")
	}
	logger.Info("pgcluster: initializing data directory", "dir", dataDir, "bindir", bin, "user", r.name)
	out, err := r.run(ctx, filepath.Join(bin, "initdb"), args...)
	if err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("pgcluster: initdb %s: %v\n%s", dataDir, err, out)
	}
	logger.Debug("pgcluster: initdb done", "output", out)
	include := "\n# Added by rowflow (package pgcluster): listen address, port, socket directory\n" +
		"# and max_connections are in rowflow.conf, rewritten before each start.\n" +
		"include_if_exists = '" + confFile + "'\n"
	if err := appendFile(filepath.Join(tmp, "postgresql.conf"), include); err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := writeSecret(filepath.Join(tmp, "pg_hba.conf"), hbaConf, r); err != nil {
		_ = os.RemoveAll(tmp)
		return err
	}
	if err := writeSecret(filepath.Join(tmp, passwordFile), pw+"\n", r); err != nil {
		_ = os.RemoveAll(tmp)
		return err
	}
	// Replaces dataDir when it is an empty directory.
	if err := os.Rename(tmp, dataDir); err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("pgcluster: %w", err)
	}
	return nil
}

// startServer writes rowflow.conf and runs pg_ctl start, picking another
// port when the remembered one is taken.
func startServer(ctx context.Context, dataDir string, r runner, fast bool, logger *slog.Logger) error {
	bin, err := binDirFor(dataDir)
	if err != nil {
		return err
	}
	sockDir := sockDirFor(dataDir)
	if len(sockDir) > maxSockDirLen {
		return fmt.Errorf("pgcluster: socket directory %s is longer than %d bytes; set TMPDIR to a shorter directory", sockDir, maxSockDirLen)
	}
	if err := ensureSockDir(sockDir, dataDir, r); err != nil {
		return err
	}
	removeStaleSocketLocks(sockDir, dataDir, logger)
	logPath := filepath.Join(dataDir, logFile)
	port := confPort(dataDir)
	for attempt := 1; ; attempt++ {
		if port == 0 || !portFree(port) {
			if port != 0 {
				logger.Info("pgcluster: remembered port is taken, choosing another", "port", port)
			}
			if port, err = freePort(); err != nil {
				return err
			}
		}
		if err := writeConf(dataDir, port, sockDir, r); err != nil {
			return err
		}
		args := []string{"-D", dataDir, "-l", logPath, "-w", "-t", pgctlTimeout(ctx)}
		if fast {
			args = append(args, "-o", fastOptions)
		}
		args = append(args, "start")
		off := fileSize(logPath)
		logger.Debug("pgcluster: pg_ctl start", "dir", dataDir, "port", port)
		out, err := r.run(ctx, filepath.Join(bin, "pg_ctl"), args...)
		if err == nil {
			return nil
		}
		newLog := readFrom(logPath, off)
		if attempt < startAttempts && ctx.Err() == nil &&
			(strings.Contains(newLog, "could not bind") || strings.Contains(newLog, "already in use")) {
			if info, _ := readPidFile(dataDir); info == nil || !serves(info.pid, dataDir) {
				logger.Info("pgcluster: port taken while starting, retrying with another", "port", port)
				port = 0
				continue
			}
		}
		return fmt.Errorf("pgcluster: pg_ctl start in %s: %v\n%s%s", dataDir, err, out, logTail(logPath, off))
	}
}

// sockDirFor is the unix socket directory of dataDir's server:
// <dataDir>/sock, or a short directory in os.TempDir() when that is too long.
func sockDirFor(dataDir string) string {
	dir := filepath.Join(dataDir, sockSubdir)
	if len(dir) <= maxSockDirLen {
		return dir
	}
	sum := sha256.Sum256([]byte(dataDir))
	return filepath.Join(os.TempDir(), "rowflow-pg-"+hex.EncodeToString(sum[:6]))
}

// ensureSockDir creates the socket directory, mode 0700, owned by r. One in
// os.TempDir() must not be a symlink nor belong to someone else.
func ensureSockDir(dir, dataDir string, r runner) error {
	inData := filepath.Dir(dir) == dataDir
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if !inData {
			if err := r.checkTraversable(filepath.Dir(dir)); err != nil {
				return err
			}
		}
		if err := os.Mkdir(dir, 0o700); err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
		if err := r.own(dir); err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
	case err != nil:
		return fmt.Errorf("pgcluster: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("pgcluster: socket directory %s exists and is not a directory; remove it", dir)
	case fileUID(fi) != r.uid:
		if !inData {
			return fmt.Errorf("pgcluster: socket directory %s belongs to uid %d, not to %q; remove it", dir, fileUID(fi), r.name)
		}
		if err := r.own(dir); err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	return nil
}

// removeStaleSocketLocks removes the ".s.PGSQL.<port>.lock" files (and
// their sockets) that a dead server of dataDir left in sockDir: like a stale
// postmaster.pid, postgres refuses one whose pid is a zombie or an unrelated
// process. Only called when no server of dataDir runs.
func removeStaleSocketLocks(sockDir, dataDir string, logger *slog.Logger) {
	locks, _ := filepath.Glob(filepath.Join(sockDir, ".s.PGSQL.*.lock"))
	for _, lock := range locks {
		b, err := os.ReadFile(lock)
		if err != nil {
			continue
		}
		first, _, _ := strings.Cut(string(b), "\n")
		if pid, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && pid > 0 && !serves(pid, dataDir) {
			logger.Info("pgcluster: removing stale socket lock file", "file", lock, "pid", pid)
			_ = os.Remove(strings.TrimSuffix(lock, ".lock"))
			_ = os.Remove(lock)
		}
	}
}

// writeConf (re)writes <dataDir>/rowflow.conf.
func writeConf(dataDir string, port int, sockDir string, r runner) error {
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	conf := "# Written by rowflow (package pgcluster) before each start; edits are lost.\n" +
		"# Put other settings in postgresql.conf (before its include of this file)\n" +
		"# or use ALTER SYSTEM.\n" +
		"listen_addresses = " + quote(listenAddr) + "\n" +
		"port = " + strconv.Itoa(port) + "\n" +
		"unix_socket_directories = " + quote(sockDir) + "\n" +
		"max_connections = " + strconv.Itoa(maxConns) + "\n" +
		// A busy rowflow writes ~2 kB of WAL per record and run: the
		// defaults (128 MB of buffers, a checkpoint every 1 GB of WAL)
		// made backends write out dirty pages themselves and checkpoints
		// come every few seconds under load (docs/performance.md).
		"shared_buffers = '256MB'\n" +
		"max_wal_size = '4GB'\n"
	path := filepath.Join(dataDir, confFile)
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := r.own(path); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	return nil
}

// confPort is the port remembered in rowflow.conf, 0 if none.
func confPort(dataDir string) int {
	b, err := os.ReadFile(filepath.Join(dataDir, confFile))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == "port" {
			if p, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && p > 0 && p < 65536 {
				return p
			}
		}
	}
	return 0
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(listenAddr, "0"))
	if err != nil {
		return 0, fmt.Errorf("pgcluster: choosing a port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// portFree reports whether port can be listened on at 127.0.0.1.
func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort(listenAddr, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// pidInfo is what postmaster.pid says about a server.
type pidInfo struct {
	pid    int
	port   int
	status string // "starting", "ready", "stopping", "standby"; "" early on
}

// readPidFile reads <dataDir>/postmaster.pid; nil when there is none.
func readPidFile(dataDir string) (*pidInfo, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	lines := strings.Split(string(b), "\n")
	field := func(i int) string {
		if i < len(lines) {
			return strings.TrimSpace(lines[i])
		}
		return ""
	}
	info := &pidInfo{status: field(7)}
	info.pid, _ = strconv.Atoi(field(0))
	info.port, _ = strconv.Atoi(field(3))
	if info.pid <= 0 {
		// Being written, or garbage: let the caller wait or postgres decide.
		info.pid = 0
	}
	return info, nil
}

// serves reports whether process pid is a live postmaster of dataDir. Like
// postgres itself, it takes a process of another user for a stale pid file
// (EPERM); on Linux it also requires the process's working directory to be
// dataDir, which the postmaster's is.
func serves(pid int, dataDir string) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	proc := "/proc/" + strconv.Itoa(pid)
	if stat, err := os.ReadFile(proc + "/stat"); err == nil {
		// "<pid> (<comm>) <state> …": a dead process not yet reaped serves nothing.
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X') {
			return false
		}
	}
	cwd, err := os.Readlink(proc + "/cwd")
	if err != nil {
		return true // no /proc: trust the pid file
	}
	if real, err := filepath.EvalSymlinks(dataDir); err == nil {
		dataDir = real
	}
	return cwd == dataDir
}

// waitRunning returns the running server of dataDir once it is ready and
// accepts TCP connections, or nil when no server runs there. A server still
// starting or stopping (started or stopped by someone else) is waited for.
func waitRunning(ctx context.Context, dataDir string) (*pidInfo, error) {
	deadline := time.Now().Add(waitTimeout)
	for {
		info, err := readPidFile(dataDir)
		if err != nil {
			return nil, err
		}
		if info == nil || (info.pid > 0 && !serves(info.pid, dataDir)) {
			return nil, nil
		}
		why := fmt.Sprintf("status %q", info.status)
		if info.status == "ready" && info.port > 0 {
			conn, err := net.DialTimeout("tcp", net.JoinHostPort(listenAddr, strconv.Itoa(info.port)), time.Second)
			if err == nil {
				conn.Close()
				return info, nil
			}
			why = err.Error()
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("pgcluster: the server in %s (pid %d) runs but is not ready after %s (%s); see %s, or stop it with `pg_ctl stop -D %s`",
				dataDir, info.pid, waitTimeout, why, filepath.Join(dataDir, logFile), dataDir)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("pgcluster: waiting for the server in %s: %w", dataDir, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// pgctlTimeout is pg_ctl's -t: waitTimeout, or less to fit ctx's deadline.
func pgctlTimeout(ctx context.Context) string {
	d := waitTimeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		d = max(time.Until(dl), time.Second)
	}
	return strconv.Itoa(int((d + time.Second - 1) / time.Second))
}

func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// readFrom returns path's content from offset off (at most its last 64 KiB).
func readFrom(path string, off int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	size := fileSize(path)
	if off > size {
		off = 0
	}
	off = max(off, size-64<<10)
	b, _ := io.ReadAll(io.NewSectionReader(f, off, size-off))
	return string(b)
}

// logTail formats the last 20 lines the server logged since offset off (or
// the last 20 lines of the log, when it logged nothing since) for an error.
func logTail(logPath string, off int64) string {
	s := readFrom(logPath, off)
	if strings.TrimSpace(s) == "" {
		s = readFrom(logPath, 0)
	}
	lines := bytes.Split(bytes.TrimRight([]byte(s), "\n"), []byte("\n"))
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	tail := string(bytes.Join(lines, []byte("\n")))
	if strings.TrimSpace(tail) == "" {
		return ""
	}
	return "\nlast lines of " + logPath + ":\n" + tail
}

// WithDatabase returns a URL for database name on the server of rawURL
// (user, password, host and port kept; sslmode=disable), or rawURL itself
// if it does not parse. Tests and the bench use it to reach databases they
// create on whatever server DATABASE_URL names.
func WithDatabase(rawURL, name string) string {
	cfg, err := pgconn.ParseConfig(rawURL)
	if err != nil {
		return rawURL
	}
	if cfg.Password != "" {
		return fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Password, cfg.Host, cfg.Port, name)
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
}
