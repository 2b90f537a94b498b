package pgcluster

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// needBinaries skips the test when no PostgreSQL server binaries exist.
func needBinaries(t *testing.T) {
	t.Helper()
	if _, err := BinDir(); err != nil {
		t.Skip(err)
	}
}

// tempDataDir returns a fresh data directory path whose parents the server's
// user can traverse, and stops any server in it at the end of the test.
func tempDataDir(t *testing.T, name string) string {
	t.Helper()
	base := t.TempDir()
	// testing makes the per-test parent of t.TempDir() mode 0700; postgres
	// (when we are root) must be able to traverse it.
	require.NoError(t, os.Chmod(filepath.Dir(base), 0o755))
	require.NoError(t, os.Chmod(base, 0o755))
	dir := filepath.Join(base, name)
	// Registered after t.TempDir, so it runs before its removal.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		assert.NoError(t, StopDir(ctx, dir, nil))
	})
	return dir
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func selectOne(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx, "SELECT 1").Scan(&n))
	assert.Equal(t, 1, n)
}

func notRunning(t *testing.T, dir string) {
	t.Helper()
	info, err := readPidFile(dir)
	require.NoError(t, err)
	assert.Nil(t, info, "postmaster.pid still present")
}

func TestStartReuseStop(t *testing.T) {
	needBinaries(t)
	ctx := testCtx(t)
	dir := tempDataDir(t, "pg")

	c, err := Start(ctx, Opts{DataDir: dir, Fast: true})
	require.NoError(t, err)
	assert.True(t, c.Started())
	assert.True(t, strings.HasPrefix(c.URL(), "postgres://postgres:"+c.password+"@127.0.0.1:"), c.URL())
	assert.Len(t, c.password, 64)
	assert.True(t, strings.HasSuffix(c.URL(), "/postgres?sslmode=disable"), c.URL())
	assert.Equal(t, strings.Replace(c.URL(), "/postgres?", "/other?", 1), c.URLFor("other"))
	selectOne(t, ctx, c.URL())

	// Settings took effect; the socket is inside the data directory.
	conn, err := pgx.Connect(ctx, c.URL())
	require.NoError(t, err)
	var maxConn, fsync, listen, sockDirs string
	require.NoError(t, conn.QueryRow(ctx, "SELECT current_setting('max_connections'), current_setting('fsync'), current_setting('listen_addresses'), current_setting('unix_socket_directories')").Scan(&maxConn, &fsync, &listen, &sockDirs))
	conn.Close(ctx)
	assert.Equal(t, "200", maxConn)
	assert.Equal(t, "off", fsync) // Fast
	assert.Equal(t, "127.0.0.1", listen)
	assert.Equal(t, filepath.Join(dir, "sock"), sockDirs)

	// A second Start reuses the running server; its Stop leaves it running.
	c2, err := Start(ctx, Opts{DataDir: dir})
	require.NoError(t, err)
	assert.False(t, c2.Started())
	assert.Equal(t, c.URL(), c2.URL())
	require.NoError(t, c2.Stop(ctx))
	selectOne(t, ctx, c.URL())

	// Stop is idempotent, and so is StopDir.
	require.NoError(t, c.Stop(ctx))
	notRunning(t, dir)
	require.NoError(t, c.Stop(ctx))
	require.NoError(t, StopDir(ctx, dir, nil))
	require.NoError(t, StopDir(ctx, filepath.Join(dir, "missing"), nil))

	// A restart keeps the remembered port and, without Fast, fsync on.
	c3, err := Start(ctx, Opts{DataDir: dir})
	require.NoError(t, err)
	assert.True(t, c3.Started())
	assert.Equal(t, c.URL(), c3.URL())
	conn, err = pgx.Connect(ctx, c3.URL())
	require.NoError(t, err)
	require.NoError(t, conn.QueryRow(ctx, "SHOW fsync").Scan(&fsync))
	conn.Close(ctx)
	assert.Equal(t, "on", fsync)
	require.NoError(t, StopDir(ctx, dir, nil))
	notRunning(t, dir)
	require.NoError(t, c3.Stop(ctx)) // already stopped by StopDir: no error

	// When the remembered port is taken, another one is chosen and remembered.
	port := confPort(dir)
	require.NotZero(t, port)
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	require.NoError(t, err)
	defer l.Close()
	// And stale lock files whose pid is alive but no server of dir (here:
	// this test process) are not mistaken for a running server.
	self := strconv.Itoa(os.Getpid())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "postmaster.pid"),
		[]byte(self+"\n"+dir+"\n1\n"+strconv.Itoa(port)+"\n"+filepath.Join(dir, "sock")+"\n127.0.0.1\n0 0\nready   \n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sock", ".s.PGSQL."+strconv.Itoa(port)+".lock"), []byte(self+"\n"), 0o600))
	c4, err := Start(ctx, Opts{DataDir: dir, Fast: true})
	require.NoError(t, err)
	assert.True(t, c4.Started())
	assert.NotEqual(t, c.URL(), c4.URL())
	assert.NotEqual(t, port, confPort(dir))
	selectOne(t, ctx, c4.URL())
	require.NoError(t, c4.Stop(ctx))
	notRunning(t, dir)
}

func TestConcurrentStart(t *testing.T) {
	needBinaries(t)
	ctx := testCtx(t)
	dir := tempDataDir(t, "pg")

	const n = 2
	var wg sync.WaitGroup
	clusters := make([]*Cluster, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { clusters[i], errs[i] = Start(ctx, Opts{DataDir: dir, Fast: true}) })
	}
	wg.Wait()
	started := 0
	for i := range n {
		require.NoError(t, errs[i])
		assert.Equal(t, clusters[0].URL(), clusters[i].URL())
		if clusters[i].Started() {
			started++
		}
	}
	assert.Equal(t, 1, started, "exactly one Start starts the server")
	selectOne(t, ctx, clusters[0].URL())
	for _, c := range clusters {
		require.NoError(t, c.Stop(ctx))
	}
	notRunning(t, dir)
}

func TestLongPathUsesShortSocketDir(t *testing.T) {
	needBinaries(t)
	ctx := testCtx(t)
	dir := tempDataDir(t, strings.Repeat("d", 100))
	sock := sockDirFor(dir)
	require.True(t, strings.HasPrefix(sock, filepath.Join(os.TempDir(), "rowflow-pg-")), sock)

	c, err := Start(ctx, Opts{DataDir: dir, Fast: true})
	require.NoError(t, err)
	selectOne(t, ctx, c.URL())
	fi, err := os.Stat(sock)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	_, err = os.Stat(filepath.Join(sock, ".s.PGSQL."+strconv.Itoa(confPort(dir))))
	require.NoError(t, err, "socket in the short directory")
	require.NoError(t, c.Stop(ctx))
	_, err = os.Stat(sock)
	assert.True(t, os.IsNotExist(err), "short socket directory removed at stop")
}

// TestStartUntraversableParent is a clone in a 0700 folder as root (mktemp
// -d, /root/x): postgres cannot reach the project's .data, so the cluster
// lives under /var/lib/rowflow/<hash>, and StopDir of the project path (make
// clean, rowflow pg stop) finds and stops it there.
func TestStartUntraversableParent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the placement applies when running as root")
	}
	needBinaries(t)
	ctx := testCtx(t)
	base := tempDataDir(t, "closed")
	require.NoError(t, os.Mkdir(base, 0o700))
	dir := filepath.Join(base, ".data", "pg")

	placed, err := Placement(dir)
	require.NoError(t, err)
	require.Equal(t, relocatedDir(dir), placed)
	require.True(t, strings.HasPrefix(placed, relocRoot+"/"), placed)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		assert.NoError(t, StopDir(ctx, placed, nil))
		assert.NoError(t, os.RemoveAll(filepath.Dir(placed)))
	})

	c, err := Start(ctx, Opts{DataDir: dir, Fast: true})
	require.NoError(t, err)
	assert.True(t, c.Moved())
	assert.Equal(t, placed, c.DataDir())
	selectOne(t, ctx, c.URL())
	origin, err := os.ReadFile(filepath.Join(filepath.Dir(placed), originFile))
	require.NoError(t, err)
	assert.Equal(t, dir+"\n", string(origin))
	_, err = os.Stat(dir)
	assert.True(t, os.IsNotExist(err), "nothing made in the unreachable folder")

	// A reachable data directory stays where it is.
	open := tempDataDir(t, "open")
	got, err := Placement(open)
	require.NoError(t, err)
	assert.Equal(t, open, got)

	require.NoError(t, StopDir(ctx, dir, nil))
	notRunning(t, placed)
}

// TestPasswordAuth: the cluster refuses connections without the generated
// password (no trust for local users), and the password file is 0600.
func TestPasswordAuth(t *testing.T) {
	needBinaries(t)
	ctx := testCtx(t)
	dir := tempDataDir(t, "pg")
	c, err := Start(ctx, Opts{DataDir: dir, Fast: true})
	require.NoError(t, err)
	fi, err := os.Stat(filepath.Join(dir, passwordFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	for _, u := range []string{
		clusterURL(c.port, "", "postgres"),
		clusterURL(c.port, "wrong", "postgres"),
		"host=" + sockDirFor(dir) + " port=" + strconv.Itoa(c.port) + " user=postgres dbname=postgres",
	} {
		conn, err := pgx.Connect(ctx, u)
		if err == nil {
			conn.Close(ctx)
		}
		require.Error(t, err, u)
		assert.Contains(t, err.Error(), "password", u)
	}
	selectOne(t, ctx, c.URL())
	require.NoError(t, c.Stop(ctx))
}

// TestSecureOldCluster: a cluster initialized with --auth=trust (before
// passwords) gets a generated password at its next Start.
func TestSecureOldCluster(t *testing.T) {
	needBinaries(t)
	ctx := testCtx(t)
	dir := tempDataDir(t, "pg")
	c, err := Start(ctx, Opts{DataDir: dir, Fast: true})
	require.NoError(t, err)
	r, err := runnerFor(dir)
	require.NoError(t, err)
	// Make it look like an old trust cluster.
	require.NoError(t, writeSecret(filepath.Join(dir, "pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n", r))
	require.NoError(t, os.Remove(filepath.Join(dir, passwordFile)))
	require.NoError(t, c.Stop(ctx))

	c2, err := Start(ctx, Opts{DataDir: dir, Fast: true})
	require.NoError(t, err)
	assert.NotEqual(t, c.password, c2.password)
	selectOne(t, ctx, c2.URL())
	conn, err := pgx.Connect(ctx, clusterURL(c2.port, "", "postgres"))
	if err == nil {
		conn.Close(ctx)
	}
	require.Error(t, err, "trust is gone")
	require.NoError(t, c2.Stop(ctx))
}

func TestStartRejectsForeignDir(t *testing.T) {
	dir := tempDataDir(t, "pg")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "precious.txt"), []byte("x"), 0o644))
	_, err := Start(testCtx(t), Opts{DataDir: dir})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "holds no PostgreSQL cluster")
}

func TestBinDir(t *testing.T) {
	const notFound = "PostgreSQL server binaries not found; install them with: apt-get install -y postgresql (Debian/Ubuntu; `make deps` or ROWFLOW_INSTALL_PG=1 runs it for you), or set DATABASE_URL to an existing server, or ROWFLOW_PG_BINDIR to the directory holding initdb and pg_ctl"

	fakeBin := func(t *testing.T, dir string) string {
		t.Helper()
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755))
		}
		return dir
	}

	t.Run("env points to an empty dir", func(t *testing.T) {
		empty := t.TempDir()
		t.Setenv("ROWFLOW_PG_BINDIR", empty)
		_, err := BinDir()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "ROWFLOW_PG_BINDIR="+empty+" does not hold initdb, pg_ctl, postgres")
		assert.Contains(t, err.Error(), notFound)
	})

	t.Run("env points to binaries", func(t *testing.T) {
		dir := fakeBin(t, filepath.Join(t.TempDir(), "bin"))
		t.Setenv("ROWFLOW_PG_BINDIR", dir)
		got, err := BinDir()
		require.NoError(t, err)
		assert.Equal(t, dir, got)
	})

	t.Run("not found at all", func(t *testing.T) {
		_, err := findBinDir("", "", []string{t.TempDir(), filepath.Join(t.TempDir(), "missing")})
		require.EqualError(t, err, notFound)
	})

	t.Run("pg_config without initdb falls back to the highest version", func(t *testing.T) {
		root := t.TempDir()
		clientOnly := filepath.Join(t.TempDir(), "clientbin")
		require.NoError(t, os.MkdirAll(clientOnly, 0o755))
		pgConfig := filepath.Join(t.TempDir(), "pg_config")
		require.NoError(t, os.WriteFile(pgConfig, []byte("#!/bin/sh\necho "+clientOnly+"\n"), 0o755))
		fakeBin(t, filepath.Join(root, "9.6", "bin"))
		fakeBin(t, filepath.Join(root, "10", "bin"))
		fakeBin(t, filepath.Join(root, "15", "bin"))
		require.NoError(t, os.MkdirAll(filepath.Join(root, "17", "bin"), 0o755)) // no binaries
		got, err := findBinDir("", pgConfig, []string{root})
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(root, "15", "bin"), got)
	})

	t.Run("pg_config with initdb wins", func(t *testing.T) {
		root := t.TempDir()
		fakeBin(t, filepath.Join(root, "15", "bin"))
		dir := fakeBin(t, filepath.Join(t.TempDir(), "bin"))
		pgConfig := filepath.Join(t.TempDir(), "pg_config")
		require.NoError(t, os.WriteFile(pgConfig, []byte("#!/bin/sh\necho "+dir+"\n"), 0o755))
		got, err := findBinDir("", pgConfig, []string{root})
		require.NoError(t, err)
		assert.Equal(t, dir, got)
	})
}
