package kube

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"time"

	"github.com/initbox/initbox/internal/testutil/testcert"
)

// authority is the suite's CA: the initbox image trusts it as its system
// roots, and it signs the servers that stand in for the internet.
type authority struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

func newAuthority() (*authority, error) {
	cert, key := testcert.CA("initbox e2e kube CA")
	return &authority{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})}, nil
}

// serverCert issues a serving certificate for ip, signed by the authority
// or, when not trusted, by a throwaway CA nobody trusts.
func (a *authority) serverCert(ip net.IP, trusted bool) (tls.Certificate, error) {
	parent, signer := a.cert, a.key
	if !trusted {
		other, err := newAuthority()
		if err != nil {
			return tls.Certificate{}, err
		}
		parent, signer = other.cert, other.key
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: ip.String()},
		IPAddresses:  []net.IP{ip},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, key := testcert.Issue(tmpl, parent, signer)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
