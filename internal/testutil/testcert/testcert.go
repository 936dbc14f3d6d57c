// Package testcert issues the certificates tests and test servers use:
// CAs, leaves they sign, and leaves forged under the name of a public root
// (which only a client that knows that root names as the issuer it tried).
// It panics on error: its inputs are the tests' own.
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"time"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Issue creates the certificate tmpl describes, for a new P-256 key. It is
// signed by parentKey, as parent; self-signed when parent is nil; and
// signed by its own key under parent's name when parentKey is nil.
func Issue(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (der []byte, key *ecdsa.PrivateKey) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	signer := parentKey
	switch {
	case parent == nil:
		parent, signer = tmpl, key
	case parentKey == nil:
		// CreateCertificate wants the parent's public key to be the signer's.
		forged := *parent
		forged.PublicKey = &key.PublicKey
		parent, signer = &forged, key
	}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		panic(err)
	}
	return der, key
}

// PublicRoot is the root CA named cn among those initbox embeds, or nil.
func PublicRoot(cn string) *x509.Certificate {
	for r := range bundle.Roots() {
		if c, err := x509.ParseCertificate(r.Certificate); err == nil && c.Subject.CommonName == cn {
			return c
		}
	}
	return nil
}

// CA makes a self-signed certificate authority named cn, valid from three
// days ago to three days ahead (wide enough for any leaf a test dates in
// the past or the future).
func CA(cn string) (*x509.Certificate, *ecdsa.PrivateKey) {
	der, key := Issue(&x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-72 * time.Hour),
		NotAfter:              time.Now().Add(72 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}, nil, nil)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return cert, key
}
