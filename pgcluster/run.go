package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// serverUser is the account that owns clusters made while running as root.
const serverUser = "postgres"

// runner runs the server programs as the user that owns the cluster.
type runner struct {
	name    string // user name
	uid     int
	gids    []int  // primary and supplementary groups
	asOther bool   // we are root and run the programs as name
	runuser string // path of runuser, when asOther and it exists
	su      string // path of su, when asOther and runuser does not exist
}

// runnerFor decides who runs the server of dataDir. Not root: the current
// user. Root: the owner of dataDir when it exists and is not root, else the
// postgres system user.
func runnerFor(dataDir string) (runner, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return runner{name: strconv.Itoa(os.Getuid()), uid: os.Getuid()}, nil
		}
		return userRunner(u, false)
	}
	var u *user.User
	if fi, err := os.Stat(dataDir); err == nil {
		if uid := fileUID(fi); uid != 0 {
			if u, err = user.LookupId(strconv.Itoa(uid)); err != nil {
				return runner{}, fmt.Errorf("pgcluster: data directory %s is owned by uid %d, which has no user name: %w", dataDir, uid, err)
			}
		}
	}
	if u == nil {
		var err error
		if u, err = user.Lookup(serverUser); err != nil {
			return runner{}, fmt.Errorf("pgcluster: running as root, and PostgreSQL refuses to run as root, but there is no %q user to run it as (%v); install the postgresql package, create the user (useradd --system %s), or run as a regular user", serverUser, err, serverUser)
		}
	}
	r, err := userRunner(u, true)
	if err != nil {
		return runner{}, err
	}
	if p, err := lookPath("runuser", "/usr/sbin/runuser", "/sbin/runuser"); err == nil {
		r.runuser = p
	} else if p, err := lookPath("su", "/bin/su", "/usr/bin/su"); err == nil {
		r.su = p
	} else {
		return runner{}, fmt.Errorf("pgcluster: running as root, and neither runuser nor su is available to run PostgreSQL as %q", r.name)
	}
	return r, nil
}

func userRunner(u *user.User, asOther bool) (runner, error) {
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return runner{}, fmt.Errorf("pgcluster: user %s: bad uid %q", u.Username, u.Uid)
	}
	r := runner{name: u.Username, uid: uid, asOther: asOther}
	if gid, err := strconv.Atoi(u.Gid); err == nil {
		r.gids = append(r.gids, gid)
	}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if gid, err := strconv.Atoi(s); err == nil {
				r.gids = append(r.gids, gid)
			}
		}
	}
	return r, nil
}

func lookPath(name string, fallbacks ...string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, p := range fallbacks {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// command prepares program with args, run as r. The working directory is
// "/" (the server's user may not be able to enter ours) and PG* variables
// are dropped from the environment (PGPORT, PGDATA… would change defaults).
func (r runner) command(ctx context.Context, program string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	switch {
	case !r.asOther:
		cmd = exec.CommandContext(ctx, program, args...)
	case r.runuser != "":
		cmd = exec.CommandContext(ctx, r.runuser, append([]string{"-u", r.name, "--", program}, args...)...)
	default:
		line := "exec " + shellQuote(program)
		for _, a := range args {
			line += " " + shellQuote(a)
		}
		cmd = exec.CommandContext(ctx, r.su, r.name, "-s", "/bin/sh", "-c", line)
	}
	cmd.Dir = "/"
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "PG") })
	// pg_ctl start leaves the postmaster behind; it does not keep our pipes,
	// but never hang on them if something else does.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// run runs program as r and returns its combined output.
func (r runner) run(ctx context.Context, program string, args ...string) (string, error) {
	out, err := r.command(ctx, program, args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// own makes path (not following symlinks) belong to r when we run as root.
func (r runner) own(path string) error {
	if !r.asOther {
		return nil
	}
	gid := -1
	if len(r.gids) > 0 {
		gid = r.gids[0]
	}
	return os.Lchown(path, r.uid, gid)
}

// ownAll is own for a whole tree.
func (r runner) ownAll(root string) error {
	if !r.asOther {
		return nil
	}
	return filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return r.own(path)
	})
}

// canTraverse reports whether r may enter a directory with info fi.
func (r runner) canTraverse(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case r.uid == 0:
		return true
	case int(st.Uid) == r.uid:
		return perm&0o100 != 0
	case slices.Contains(r.gids, int(st.Gid)):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// checkTraversable makes sure r can reach dir: every directory from "/" down
// to dir must be traversable by r. Only needed when we run as root.
func (r runner) checkTraversable(dir string) error {
	if !r.asOther {
		return nil
	}
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
		if !r.canTraverse(fi) {
			return fmt.Errorf("pgcluster: PostgreSQL runs as user %q (this process runs as root, which initdb and postgres refuse), "+
				"but %q cannot enter directory %s (mode %s, owner uid %d); fix it with: chmod o+x %s (or chown/chmod so %q can traverse it), "+
				"or use a data directory elsewhere, or set DATABASE_URL to an existing server",
				r.name, r.name, d, fi.Mode().Perm(), fileUID(fi), d, r.name)
		}
		if p := filepath.Dir(d); p == d {
			return nil
		}
	}
}

// shellQuote quotes s for /bin/sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func fileUID(fi fs.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}

// lockDir takes the exclusive flock "<dataDir>.lock", waiting for it as long
// as ctx allows. The lock works between processes and between goroutines
// (each call opens the file anew).
func lockDir(ctx context.Context, dataDir string) (unlock func(), err error) {
	path := dataDir + ".lock"
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: lock file: %w", err)
	}
	fd := int(f.Fd())
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("pgcluster: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("pgcluster: waiting for lock %s: %w", path, ctx.Err())
		case <-time.After(25 * time.Millisecond):
		}
	}
	return func() {
		_ = syscall.Flock(fd, syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}
