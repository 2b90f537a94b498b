package smtp_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/outbound/smtp"
	"github.com/rowflow/rowflow/outbound/smtp/smtpserver"
)

// selfSigned returns a server certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

// TestSendTLS: STARTTLS and implicit TLS deliver (with AUTH over the
// encrypted channel); a certificate the sender does not trust is a
// permanent failure.
func TestSendTLS(t *testing.T) {
	t.Parallel()
	serverTLS, roots := selfSigned(t)
	for _, tc := range []struct {
		name     string
		implicit bool
		mode     string
	}{{"starttls", false, smtp.TLSStartTLS}, {"implicit", true, smtp.TLSImplicit}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, err := smtpserver.Start(smtpserver.Opts{TLS: serverTLS, ImplicitTLS: tc.implicit, Username: "u", Password: "tls-pw"})
			require.NoError(t, err)
			defer srv.Close()
			cfg := smtp.Config{Host: srv.Host, Port: srv.Port, TLS: tc.mode, From: "a@example.com", Username: "u", Password: "tls-pw"}

			trusted := &smtp.Sender{Timeout: 5 * time.Second, TLSConfig: &tls.Config{RootCAs: roots}}
			defer trusted.Close()
			_, err = trusted.Send(context.Background(), cfg, msg("tls@x"))
			require.NoError(t, err)
			require.Equal(t, "<tls@x>", next(t, srv).Header.Get("Message-ID"))

			untrusted := &smtp.Sender{Timeout: 5 * time.Second}
			defer untrusted.Close()
			_, err = untrusted.Send(context.Background(), cfg, msg("no@x"))
			var se *smtp.Error
			require.True(t, errors.As(err, &se), "%v", err)
			require.False(t, se.Temporary, "an untrusted certificate is not retried: %v", err)
			require.Contains(t, err.Error(), "certificate")
		})
	}
}
