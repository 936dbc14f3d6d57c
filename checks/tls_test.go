package checks

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testcert"
)

func writePEM(t *testing.T, path, typ string, der []byte) string {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func tlsServer(t *testing.T, clientCAs *x509.CertPool) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	if clientCAs != nil {
		srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs}
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := writePEM(t, filepath.Join(t.TempDir(), "ca.pem"), "CERTIFICATE", srv.Certificate().Raw)
	return srv, ca
}

func TestHTTPSVerifiesCertificates(t *testing.T) {
	srv, ca := tlsServer(t, nil)
	tests := []struct {
		name string
		url  string
		tls  TLSOptions
		want string // "" means ready
	}{
		{"untrusted by default", srv.URL, TLSOptions{}, "certificate"},
		{"trusted with CA file", srv.URL, TLSOptions{CAFile: ca}, ""},
		{"wrong server name", srv.URL, TLSOptions{CAFile: ca, ServerName: "other.test"}, "other.test"},
		{"server name override", strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), TLSOptions{CAFile: ca, ServerName: "example.com"}, ""},
		{"skip verify when asked", srv.URL, TLSOptions{InsecureSkipVerify: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mustParse(t, tt.url, Options{HTTP: HTTPOptions{TLS: tt.tls}}).Check(t.Context())
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got %v, want ready", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestHTTPSClientCertificate(t *testing.T) {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "initbox-test-client"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		IsCA:         true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	der, key := testcert.Issue(tmpl, nil, nil)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	srv, ca := tlsServer(t, pool)

	dir := t.TempDir()
	certFile := writePEM(t, filepath.Join(dir, "client.pem"), "CERTIFICATE", der)
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	keyFile := writePEM(t, filepath.Join(dir, "client.key"), "PRIVATE KEY", keyDER)

	without := mustParse(t, srv.URL, Options{HTTP: HTTPOptions{TLS: TLSOptions{CAFile: ca}}})
	if err := without.Check(t.Context()); err == nil {
		t.Fatal("got ready without a client certificate")
	}
	with := mustParse(t, srv.URL, Options{HTTP: HTTPOptions{TLS: TLSOptions{CAFile: ca, CertFile: certFile, KeyFile: keyFile}}})
	if err := with.Check(t.Context()); err != nil {
		t.Fatalf("with a client certificate: %v", err)
	}
}
