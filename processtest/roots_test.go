package processtest

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/cli"
	"github.com/initbox/initbox/internal/testutil/testcert"
)

// TestFallbackRootsWithoutSystemRoots runs initbox where the system has no
// root CAs, as in the scratch image, against a server whose certificate
// claims to be issued by ISRG Root X1. Only a client that holds that root
// names it as the candidate it tried; with no roots at all the error is a
// bare "certificate signed by unknown authority".
func TestFallbackRootsWithoutSystemRoots(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{forgedCert(t, "ISRG Root X1")}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake fails on purpose
	srv.StartTLS()
	defer srv.Close()

	cmd := exec.Command(binary, "check", srv.URL)
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE=/nonexistent", "SSL_CERT_DIR=/nonexistent")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != cli.ExitFailed {
		t.Fatalf("got %v, want exit %d\n%s", err, cli.ExitFailed, out)
	}
	if want := `candidate authority certificate \"ISRG Root X1\"`; !strings.Contains(string(out), want) {
		t.Errorf("the embedded roots were not used: want %s in\n%s", want, out)
	}
}

// forgedCert makes a certificate for 127.0.0.1 whose issuer is the
// embedded root named cn, signed by a key of its own.
func forgedCert(t *testing.T, cn string) tls.Certificate {
	t.Helper()
	root := testcert.PublicRoot(cn)
	if root == nil {
		t.Fatalf("no root %q in the bundle", cn)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "forged"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, key := testcert.Issue(tmpl, root, nil)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
