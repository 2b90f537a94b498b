package pgcluster

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// relocRoot holds the clusters whose data directory the server's user cannot
// reach (root running from a clone in /root or a mktemp -d): one folder per
// data directory, named by a hash of its path. A variable for tests.
var relocRoot = "/var/lib/rowflow"

// originFile, in a relocated cluster's folder, names the data directory it
// stands for (for a human looking at /var/lib/rowflow).
const originFile = "origin"

// Placement returns where the cluster for dataDir (an absolute path) really
// lives. It is dataDir itself, except when this process runs as root and the
// server's user (postgres) cannot traverse dataDir's parents: then it is
// /var/lib/rowflow/<hash of dataDir>/<base name of dataDir>, a place that
// user can reach. The answer depends only on dataDir and the file system, so
// Start and StopDir (make clean, rowflow pg stop) agree on it.
func Placement(dataDir string) (string, error) {
	if os.Geteuid() != 0 {
		return dataDir, nil
	}
	r, err := runnerFor(dataDir)
	if err != nil {
		return "", err
	}
	// Parents still missing are created 0755 by Start: check the deepest
	// existing one.
	parent := filepath.Dir(dataDir)
	for {
		if _, err := os.Stat(parent); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("pgcluster: %w", err)
		}
		up := filepath.Dir(parent)
		if up == parent {
			break
		}
		parent = up
	}
	if r.checkTraversable(parent) == nil {
		return dataDir, nil
	}
	return relocatedDir(dataDir), nil
}

// relocatedDir is the place under relocRoot of dataDir's cluster.
func relocatedDir(dataDir string) string {
	sum := sha256.Sum256([]byte(dataDir))
	return filepath.Join(relocRoot, hex.EncodeToString(sum[:8]), filepath.Base(dataDir))
}

// prepareRelocated creates the folders of a relocated cluster (0755, owned
// by root, so the server's user can traverse but not replace them) and
// records which data directory it stands for.
func prepareRelocated(dataDir, placed string) error {
	folder := filepath.Dir(placed)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	for _, d := range []string{relocRoot, folder} {
		if err := os.Chmod(d, 0o755); err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
	}
	return os.WriteFile(filepath.Join(folder, originFile), []byte(dataDir+"\n"), 0o644)
}
