package checks

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// scramMechanism is the SASL mechanism spoken: SCRAM-SHA-256 (RFC 7677)
// without channel binding, as PostgreSQL offers it.
const scramMechanism = "SCRAM-SHA-256"

// scram is the client side of one SCRAM-SHA-256 exchange. The password is
// used as given: PostgreSQL's SASLprep changes only non-ASCII passwords
// with compatibility characters, which are not supported here.
type scram struct {
	pass        string
	nonce       string
	firstBare   string
	authMessage string
	salted      []byte
}

// newSCRAM starts an exchange if the server offers the mechanism in
// mechs, its list of NUL-terminated names.
func newSCRAM(mechs []byte, pass string) (*scram, error) {
	offered := strings.Split(strings.TrimRight(string(mechs), "\x00"), "\x00")
	found := false
	for _, m := range offered {
		found = found || m == scramMechanism
	}
	if !found {
		return nil, fmt.Errorf("the server offers SASL %s; initbox speaks %s only", strings.Join(offered, ", "), scramMechanism)
	}
	b := make([]byte, 18)
	rand.Read(b)
	s := &scram{pass: pass, nonce: base64.StdEncoding.EncodeToString(b)}
	// PostgreSQL takes the user from the startup message, not from here.
	s.firstBare = "n=,r=" + s.nonce
	return s, nil
}

func (s *scram) clientFirst() string { return "n,," + s.firstBare }

// clientFinal answers the server-first message with the proof.
func (s *scram) clientFinal(serverFirst []byte) (string, error) {
	attrs := scramAttrs(string(serverFirst))
	salt, err := base64.StdEncoding.DecodeString(attrs["s"])
	iter, ierr := strconv.Atoi(attrs["i"])
	switch {
	case !strings.HasPrefix(attrs["r"], s.nonce) || len(attrs["r"]) == len(s.nonce):
		return "", errors.New("SCRAM: the server's nonce does not extend ours")
	case err != nil || len(salt) == 0:
		return "", errors.New("SCRAM: bad salt from the server")
	case ierr != nil || iter < 1 || iter > 10_000_000:
		return "", fmt.Errorf("SCRAM: bad iteration count %q from the server", attrs["i"])
	}
	if s.salted, err = pbkdf2.Key(sha256.New, s.pass, salt, iter, sha256.Size); err != nil {
		return "", fmt.Errorf("SCRAM: %w", err)
	}
	withoutProof := "c=biws,r=" + attrs["r"] // biws: base64("n,,")
	s.authMessage = s.firstBare + "," + string(serverFirst) + "," + withoutProof
	clientKey := hmacSHA256(s.salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	proof := hmacSHA256(storedKey[:], s.authMessage)
	for i := range proof {
		proof[i] ^= clientKey[i]
	}
	return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof), nil
}

// verifyServer checks the server's signature: a server that does not know
// the password cannot make it.
func (s *scram) verifyServer(serverFinal []byte) error {
	attrs := scramAttrs(string(serverFinal))
	if e := attrs["e"]; e != "" {
		return fmt.Errorf("SCRAM: the server says %q", e)
	}
	got, err := base64.StdEncoding.DecodeString(attrs["v"])
	want := hmacSHA256(hmacSHA256(s.salted, "Server Key"), s.authMessage)
	if err != nil || subtle.ConstantTimeCompare(got, want) != 1 {
		return errors.New("SCRAM: the server's signature is wrong: it does not know the password (not the expected server?)")
	}
	return nil
}

func scramAttrs(msg string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(msg, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok && len(k) == 1 {
			m[k] = v
		}
	}
	return m
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// verifyChain checks the peer's chain against roots (nil: the system's)
// without checking the name, for sslmode=verify-ca.
func verifyChain(cs tls.ConnectionState, roots *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("the server sent no certificate")
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
	for _, c := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(opts)
	return err
}
