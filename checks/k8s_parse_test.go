package checks

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPEM makes a self-signed certificate and its key, PEM-encoded.
func testPEM(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func writeKubeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// testKubeconfig writes a kubeconfig with a token user and returns its path.
func testKubeconfig(t *testing.T, user string) string {
	t.Helper()
	dir := t.TempDir()
	ca, _ := testPEM(t)
	writeKubeFile(t, dir, "ca.crt", string(ca))
	if user == "" {
		user = "token: abc"
	}
	return writeKubeFile(t, dir, "config", `apiVersion: v1
kind: Config
current-context: test
contexts:
- name: test
  context: {cluster: c, user: u, namespace: app}
- name: other
  context: {cluster: c, user: u}
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:6443", certificate-authority: ca.crt}
users:
- name: u
  user:
    `+user+"\n")
}

func TestKubeParse(t *testing.T) {
	opts := Options{Kube: KubeOptions{Kubeconfig: []string{testKubeconfig(t, "")}}}
	tests := []struct {
		target, ns, name, sel, kind, path string
	}{
		{"k8s://job/migrate", "app", "migrate", "", "job", "/apis/batch/v1/namespaces/app/jobs"},
		{"k8s://other/pod/db-0", "other", "db-0", "", "pod", "/api/v1/namespaces/other/pods"},
		{"k8s://svc/db?min=2", "app", "db", "", "service", "/apis/discovery.k8s.io/v1/namespaces/app/endpointslices"},
		{"k8s://pods?selector=app=db&count=2", "app", "", "app=db", "pod", "/api/v1/namespaces/app/pods"},
		{"k8s://web/deploy?selector=tier%3Dfront", "web", "", "tier=front", "deployment", "/apis/apps/v1/namespaces/web/deployments"},
		{"k8s://node/worker-1", "app", "worker-1", "", "node", "/api/v1/nodes"},
		{"k8s://sts/db?condition=Ready", "app", "db", "", "statefulset", "/apis/apps/v1/namespaces/app/statefulsets"},
		{"k8s://job/migrate?notfound=done", "app", "migrate", "", "job", "/apis/batch/v1/namespaces/app/jobs"},
		{"k8s://certificates.cert-manager.io/web?condition=Ready", "app", "web", "", "certificates", ""},
		{"k8s://certificates.v1.cert-manager.io/web?jsonpath=.status.phase&value=Ok", "app", "web", "", "certificates", ""},
		{"k8s://configmap/cfg?for=delete", "app", "cfg", "", "configmap", "/api/v1/namespaces/app/configmaps"},
	}
	for _, tt := range tests {
		c, err := Parse(tt.target, opts)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.target, err)
			continue
		}
		k := c.(*Kube)
		if k.namespace != tt.ns || k.name != tt.name || k.selector != tt.sel || k.judge.kind != tt.kind {
			t.Errorf("Parse(%q) = ns %q name %q selector %q kind %q, want %q %q %q %q", tt.target, k.namespace, k.name, k.selector, k.judge.kind, tt.ns, tt.name, tt.sel, tt.kind)
		}
		if tt.path != "" && k.listPath(k.res) != tt.path {
			t.Errorf("Parse(%q) lists %q, want %q", tt.target, k.listPath(k.res), tt.path)
		}
		if c.String() != tt.target {
			t.Errorf("String() = %q, want %q", c.String(), tt.target)
		}
	}
}

func TestKubeParseErrors(t *testing.T) {
	opts := Options{Kube: KubeOptions{Kubeconfig: []string{testKubeconfig(t, "")}}}
	tests := []struct{ target, want string }{
		{"k8s://job", "want k8s://[NAMESPACE/]KIND/NAME"},
		{"k8s://a/b/c/d", "want k8s://"},
		{"k8s://job/Migrate", "not a valid object name"},
		{"k8s://job/m?count=2", "count needs a selector"},
		{"k8s://pods?selector=a=b&count=0", "want all, any or a number"},
		{"k8s://job/m?for=ready", "want delete or create"},
		{"k8s://job/m?condition=Ready&for=delete", "give one of"},
		{"k8s://job/m?value=x", "value needs a jsonpath"},
		{"k8s://job/m?jsonpath=status", "want a path from the object's root"},
		{"k8s://job/m?min=2", "min is for a service"},
		{"k8s://svc/db?min=0", "want a number of ready endpoints"},
		{"k8s://svc?selector=a=b", "a service is named"},
		{"k8s://job/m?wait=1", `unknown option "wait"`},
		{"k8s://pods?selector=a=b&notfound=done", "needs a named object"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.target, opts)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want a usage error containing %q", tt.target, err, tt.want)
		}
	}
}

func TestKubeconfigForms(t *testing.T) {
	certPEM, keyPEM := testPEM(t)
	dir := t.TempDir()
	writeKubeFile(t, dir, "tls.crt", string(certPEM))
	writeKubeFile(t, dir, "tls.key", string(keyPEM))
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	tests := []struct {
		name, user string
		check      func(*kubeConn) bool
		err        string
	}{
		{"token", "token: abc", func(c *kubeConn) bool { return c.token == "abc" }, ""},
		{"token file", "tokenFile: /run/token", func(c *kubeConn) bool { return c.tokenFile == "/run/token" }, ""},
		{"inline cert", "client-certificate-data: " + b64(certPEM) + "\n    client-key-data: " + b64(keyPEM), func(c *kubeConn) bool { return len(c.tls.Certificates) == 1 }, ""},
		{"cert files", "client-certificate: " + dir + "/tls.crt\n    client-key: " + dir + "/tls.key", func(c *kubeConn) bool { return len(c.tls.Certificates) == 1 }, ""},
		{"cert without key", "client-certificate: " + dir + "/tls.crt", nil, "needs both"},
		{"exec", "exec: {command: aws}", nil, "exec plugin are not supported"},
		{"auth-provider", "auth-provider: {name: gcp}", nil, "auth-provider are not supported"},
	}
	for _, tt := range tests {
		c, err := loadKubeConn(KubeOptions{Kubeconfig: []string{testKubeconfig(t, tt.user)}})
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err = %v, want %q", tt.name, err, tt.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case !tt.check(c):
			t.Errorf("%s: wrong connection %+v", tt.name, c)
		case c.namespace != "app" || c.server.Host != "127.0.0.1:6443" || c.tls.RootCAs == nil:
			t.Errorf("%s: namespace %q server %v, want app and the file's CA", tt.name, c.namespace, c.server)
		}
	}
}

func TestKubeconfigContextAndOverrides(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	path := testKubeconfig(t, "")
	c, err := loadKubeConn(KubeOptions{Kubeconfig: []string{missing, path}, Context: "other", Server: "https://10.0.0.1", Namespace: "ns2"})
	if err != nil {
		t.Fatal(err)
	}
	if c.server.String() != "https://10.0.0.1" || c.namespace != "ns2" {
		t.Errorf("overrides: server %v namespace %q", c.server, c.namespace)
	}
	c, err = loadKubeConn(KubeOptions{Kubeconfig: []string{path}, Context: "other"})
	if err != nil || c.namespace != "default" {
		t.Errorf("context without namespace: %v, namespace %q, want default", err, c.namespace)
	}
	if _, err := loadKubeConn(KubeOptions{Kubeconfig: []string{path}, Context: "nope"}); err == nil || !strings.Contains(err.Error(), `no context "nope"`) {
		t.Errorf("unknown context: %v", err)
	}
	if _, err := loadKubeConn(KubeOptions{}); err == nil || !strings.Contains(err.Error(), "no Kubernetes credentials") {
		t.Errorf("no source: %v", err)
	}
}

func TestKubeInCluster(t *testing.T) {
	dir := t.TempDir()
	ca, _ := testPEM(t)
	writeKubeFile(t, dir, "ca.crt", string(ca))
	writeKubeFile(t, dir, "token", "t1\n")
	writeKubeFile(t, dir, "namespace", "team-a")
	c, err := loadKubeConn(KubeOptions{InClusterServer: "https://10.0.0.1:443", ServiceAccountDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if c.namespace != "team-a" || c.tokenFile != filepath.Join(dir, "token") || c.server.Host != "10.0.0.1:443" {
		t.Errorf("in cluster: %+v", c)
	}
	if _, err := loadKubeConn(KubeOptions{InClusterServer: "https://10.0.0.1:443", ServiceAccountDir: t.TempDir()}); err == nil {
		t.Error("a service account directory with no token: no error")
	}
}
