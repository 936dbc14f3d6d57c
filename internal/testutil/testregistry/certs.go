package testregistry

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testcert"
)

// makeCerts makes a CA, a server certificate it signs for 127.0.0.1 and
// a client certificate it signs.
func makeCerts(t testing.TB) (ca *x509.Certificate, caPEM, certPEM, keyPEM, clientPEM, clientKeyPEM string) {
	t.Helper()
	ca, caKey := testcert.CA("initbox test CA")
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage, ips []net.IP) (string, string) {
		der, key := testcert.Issue(&x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			IPAddresses:  ips,
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		}, ca, caKey)
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return pemString("CERTIFICATE", der), pemString("EC PRIVATE KEY", keyDER)
	}
	certPEM, keyPEM = leaf(2, "127.0.0.1", x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	clientPEM, clientKeyPEM = leaf(4, "initbox test client", x509.ExtKeyUsageClientAuth, nil)
	return ca, pemString("CERTIFICATE", ca.Raw), certPEM, keyPEM, clientPEM, clientKeyPEM
}

func pemString(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
