package connection_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/connection"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/dbtest"
)

func newKey(t *testing.T) string {
	var k [32]byte
	_, err := rand.Read(k[:])
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(k[:])
}

// TestKeyring: a sealed secret opens only with its key and its row's
// additional data; previous keys still open; a key file is created 0600
// once and refused when others can read it.
func TestKeyring(t *testing.T) {
	t.Parallel()
	oldKey, newKeyS := newKey(t), newKey(t)
	old, _, err := connection.LoadKeyring(oldKey, "", "")
	require.NoError(t, err)
	sealed, err := old.Seal([]byte("pw"), []byte("row-a"))
	require.NoError(t, err)
	require.False(t, bytes.Contains(sealed, []byte("pw")))
	plain, err := old.Open(sealed, []byte("row-a"))
	require.NoError(t, err)
	require.Equal(t, "pw", string(plain))
	_, err = old.Open(sealed, []byte("row-b"))
	require.Error(t, err, "moved to another row")
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	_, err = old.Open(tampered, []byte("row-a"))
	require.Error(t, err)

	rotated, _, err := connection.LoadKeyring(newKeyS, oldKey, "")
	require.NoError(t, err)
	plain, err = rotated.Open(sealed, []byte("row-a"))
	require.NoError(t, err, "the previous key still opens")
	require.Equal(t, "pw", string(plain))
	require.False(t, rotated.Current(sealed))
	fresh, _, err := connection.LoadKeyring(newKeyS, "", "")
	require.NoError(t, err)
	_, err = fresh.Open(sealed, []byte("row-a"))
	require.ErrorContains(t, err, "ROWFLOW_SECRET_KEY_PREVIOUS")

	_, _, err = connection.LoadKeyring("c2hvcnQ=", "", "")
	require.ErrorContains(t, err, "want 32")

	dir := filepath.Join(t.TempDir(), "data")
	k1, created, err := connection.LoadKeyring("", "", dir)
	require.NoError(t, err)
	require.True(t, created)
	fi, err := os.Stat(filepath.Join(dir, connection.KeyFileName))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	k2, created, err := connection.LoadKeyring("", "", dir)
	require.NoError(t, err)
	require.False(t, created)
	s1, err := k1.Seal([]byte("x"), nil)
	require.NoError(t, err)
	_, err = k2.Open(s1, nil)
	require.NoError(t, err, "the second start reads the same key")
	require.NoError(t, os.Chmod(filepath.Join(dir, connection.KeyFileName), 0o644))
	_, _, err = connection.LoadKeyring("", "", dir)
	require.ErrorContains(t, err, "chmod 600")
}

// TestRekey: after a rotation, Rekey re-seals every connection with the
// new key, and the old key is no longer needed.
func TestRekey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.New(t)
	_, err := db.New(pool).CreateBase(ctx, db.CreateBaseParams{ID: "bas_rekey", Name: "b"})
	require.NoError(t, err)
	oldKey, newKeyS := newKey(t), newKey(t)
	oldRing, _, err := connection.LoadKeyring(oldKey, "", "")
	require.NoError(t, err)
	c, err := connection.New(connection.Opts{Pool: pool, Keys: oldRing}).Create(ctx, "bas_rekey", connection.Input{Name: "m", Type: connection.TypeSMTP,
		Config: map[string]any{"host": "h", "username": "u", "password": "R3KEY-pw", "from": "a@example.com"}})
	require.NoError(t, err)

	both, _, err := connection.LoadKeyring(newKeyS, oldKey, "")
	require.NoError(t, err)
	n, err := connection.New(connection.Opts{Pool: pool, Keys: both}).Rekey(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = connection.New(connection.Opts{Pool: pool, Keys: both}).Rekey(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "already current")

	onlyNew, _, err := connection.LoadKeyring(newKeyS, "", "")
	require.NoError(t, err)
	cred, err := connection.New(connection.Opts{Pool: pool, Keys: onlyNew}).Resolve(ctx, "bas_rekey", c.ID)
	require.NoError(t, err)
	require.Equal(t, "R3KEY-pw", cred.SMTP.Password)
	_, err = connection.New(connection.Opts{Pool: pool, Keys: onlyNew}).Resolve(ctx, "bas_other", c.ID)
	require.Error(t, err, "another base does not find it")
}
