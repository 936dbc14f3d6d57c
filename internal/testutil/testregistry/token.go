package testregistry

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testcert"
)

// tokenServer is the registry token service of the distribution spec
// (docs/spec/auth/token.md): GET /token?service=…&scope=… with basic
// auth answers {"token": JWT}, the JWT signed with a key whose
// certificate the registry trusts (x5c header).
type tokenServer struct {
	URL      string
	user     string
	pass     string
	key      *ecdsa.PrivateKey
	certDER  []byte
	Requests atomic.Int64
}

const (
	tokenService = "initbox-test-registry"
	tokenIssuer  = "initbox-test-issuer"
)

func startTokenServer(t testing.TB, cert tls.Certificate, user, pass string, key *ecdsa.PrivateKey, certDER []byte) *tokenServer {
	t.Helper()
	ts := &tokenServer{user: user, pass: pass, key: key, certDER: certDER}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(ts.serve))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ts.URL = srv.URL + "/token"
	return ts
}

func (ts *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	ts.Requests.Add(1)
	u, p, ok := r.BasicAuth()
	if !ok || u != ts.user || p != ts.pass {
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}`, http.StatusUnauthorized)
		return
	}
	if r.URL.Query().Get("service") != tokenService {
		http.Error(w, "wrong service", http.StatusBadRequest)
		return
	}
	var access []map[string]any
	for _, scope := range r.URL.Query()["scope"] {
		parts := strings.Split(scope, ":") // repository:NAME:ACTIONS
		if len(parts) == 3 {
			access = append(access, map[string]any{"type": parts[0], "name": parts[1], "actions": strings.Split(parts[2], ",")})
		}
	}
	json.NewEncoder(w).Encode(map[string]string{"token": ts.mint(access)})
}

// mint signs a token granting access (ES256, the certificate in x5c).
func (ts *tokenServer) mint(access []map[string]any) string {
	now := time.Now()
	var jti [8]byte
	rand.Read(jti[:])
	header, _ := json.Marshal(map[string]any{"typ": "JWT", "alg": "ES256", "x5c": []string{base64.StdEncoding.EncodeToString(ts.certDER)}})
	claims, _ := json.Marshal(map[string]any{
		"iss": tokenIssuer, "sub": ts.user, "aud": tokenService,
		"exp": now.Add(10 * time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix(),
		"jti": fmt.Sprintf("%x", jti), "access": access,
	})
	signed := b64url(header) + "." + b64url(claims)
	sum := sha256.Sum256([]byte(signed))
	r, s, err := ecdsa.Sign(rand.Reader, ts.key, sum[:])
	if err != nil {
		panic(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signed + "." + b64url(sig)
}

// pushToken is a token for pushing to the repository an API path names.
func (ts *tokenServer) pushToken(path string) string {
	rest := strings.TrimPrefix(path, "/v2/")
	for _, sep := range []string{"/blobs/", "/manifests/", "/tags/"} {
		if i := strings.Index(rest, sep); i >= 0 {
			rest = rest[:i]
		}
	}
	return ts.mint([]map[string]any{{"type": "repository", "name": rest, "actions": []string{"pull", "push"}}})
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// signingCert makes the self-signed certificate of the token signing key,
// which the registry trusts as its root bundle.
func signingCert(t testing.TB) (*ecdsa.PrivateKey, []byte, string) {
	t.Helper()
	der, key := testcert.Issue(&x509.Certificate{
		SerialNumber:          big.NewInt(3),
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		IsCA:                  true,
		BasicConstraintsValid: true,
	}, nil, nil)
	return key, der, pemString("CERTIFICATE", der)
}
