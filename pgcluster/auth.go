package pgcluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// passwordFile holds the generated password of the cluster's postgres role,
// mode 0600, inside the data directory (owned by the server's user).
const passwordFile = "rowflow.password"

// hbaConf is the pg_hba.conf of a private cluster: every connection, over
// the unix socket or TCP on loopback, must give the generated password
// (scram-sha-256). No other local account gets in by being local.
const hbaConf = `# Written by rowflow (package pgcluster). Every connection must give the
# password of rowflow.password (scram-sha-256); the server listens on
# 127.0.0.1 and its unix socket only.
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 scram-sha-256
host    all       all   127.0.0.1/32  scram-sha-256
host    all       all   ::1/128       scram-sha-256
`

// newPassword returns 32 random bytes in hex: safe inside a URL and an SQL
// string literal.
func newPassword() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("pgcluster: generating a password: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// writeSecret writes a 0600 file owned by r.
func writeSecret(path, content string, r runner) error {
	_ = os.Remove(path)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := r.own(path); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	return nil
}

// readPassword returns the password stored in dataDir ("" when there is no
// password file: a cluster made before passwords, still on trust).
func readPassword(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, passwordFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("pgcluster: reading the cluster password: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// secureOldCluster moves a running cluster that was initialized with
// --auth=trust (no password file) to a generated password: it sets the
// postgres role's password, stores it, replaces pg_hba.conf and reloads.
// The order keeps every step restartable: until pg_hba.conf changes the
// server still trusts local connections.
func secureOldCluster(ctx context.Context, dataDir string, port int, r runner) (string, error) {
	pw, err := newPassword()
	if err != nil {
		return "", err
	}
	conn, err := pgconn.Connect(ctx, clusterURL(port, "", "postgres"))
	if err != nil {
		return "", fmt.Errorf("pgcluster: %s holds no %s and its server refused a trusted connection (%v); remove the data directory to start afresh", dataDir, passwordFile, err)
	}
	defer conn.Close(ctx)
	if err := conn.Exec(ctx, "SET password_encryption = 'scram-sha-256'; ALTER ROLE postgres PASSWORD '"+pw+"'").Close(); err != nil {
		return "", fmt.Errorf("pgcluster: setting the cluster password: %w", err)
	}
	if err := writeSecret(filepath.Join(dataDir, passwordFile), pw+"\n", r); err != nil {
		return "", err
	}
	if err := writeSecret(filepath.Join(dataDir, "pg_hba.conf"), hbaConf, r); err != nil {
		return "", err
	}
	if err := conn.Exec(ctx, "SELECT pg_reload_conf()").Close(); err != nil {
		return "", fmt.Errorf("pgcluster: reloading pg_hba.conf: %w", err)
	}
	return pw, nil
}

// clusterURL is the URL of database dbname as user postgres on the private
// server at port (password omitted when empty).
func clusterURL(port int, password, dbname string) string {
	user := url.User("postgres")
	if password != "" {
		user = url.UserPassword("postgres", password)
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     user,
		Host:     net.JoinHostPort(listenAddr, strconv.Itoa(port)),
		Path:     "/" + dbname,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}
