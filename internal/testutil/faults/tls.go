package faults

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testcert"
)

// TLSServer is an HTTPS server whose certificate is signed by a test CA;
// CAFile is that CA in PEM, to pass as --ca-file so that the only fault
// left is the one the server was made with.
type TLSServer struct {
	*httptest.Server
	CAFile string
}

// WrongName serves a certificate valid for "other.invalid" only.
func WrongName(t testing.TB) *TLSServer {
	return tlsServer(t, []string{"other.invalid"}, nil, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
}

// Expired serves a certificate for 127.0.0.1 that expired yesterday.
func Expired(t testing.TB) *TLSServer {
	return tlsServer(t, nil, []net.IP{net.IPv4(127, 0, 0, 1)}, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
}

func tlsServer(t testing.TB, names []string, ips []net.IP, notBefore, notAfter time.Time) *TLSServer {
	t.Helper()
	caCert, caKey := testcert.CA("initbox test CA")
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "initbox fault server"},
		DNSNames:     names,
		IPAddresses:  ips,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, key := testcert.Issue(tmpl, caCert, caKey)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.Config.ErrorLog = discardLog
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caCert.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return &TLSServer{Server: srv, CAFile: caFile}
}
