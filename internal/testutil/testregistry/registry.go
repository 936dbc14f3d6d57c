// Package testregistry runs a real OCI registry for tests: Debian's
// docker-registry (distribution 2.8), installed by scripts/deps.sh,
// listening on a unix socket in the test's temporary directory, so no
// port is ever guessed. Tests reach it on 127.0.0.1:0 through a front
// that is either a plain TCP relay (for TLS, which the registry itself
// terminates) or an HTTP proxy that counts requests and can flip a byte
// or cut a body midway.
package testregistry

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

// Config chooses the registry's set-up.
type Config struct {
	TLS   bool // the registry serves https with a certificate for 127.0.0.1
	Auth  bool // htpasswd (basic) auth; needs TLS
	Token bool // the token flow (Bearer) with a token service in the test; needs TLS
	MTLS  bool // with TLS: the registry requires a client certificate
	CDN   bool // blob downloads are redirected (307) to a CDN on another port
}

// Registry is a running registry.
type Registry struct {
	Host   string // 127.0.0.1:PORT, as references name it
	Scheme string // http or https
	CAFile string // with TLS: the CA that signed its certificate
	// ClientCert and ClientKey are a client certificate the CA signed.
	ClientCert, ClientKey string
	User, Pass            string        // with Auth
	Proxy                 *Proxy        // without TLS: the HTTP front, to count and break requests
	Tokens                *atomic.Int64 // with Token: the requests the token service answered
	CDN                   *CDN          // with CDN: where blob downloads are redirected
	token                 *tokenServer
	client                *http.Client
	sock                  string
}

// Binary returns the docker-registry binary, or skips the test (fails it
// when CI=true or INITBOX_REQUIRE_SERVERS=1: deps.sh should have
// installed it). It skips under -short too.
func Binary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a registry: skipped with -short")
	}
	for _, p := range []string{"docker-registry", "/usr/bin/docker-registry"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	msg := "docker-registry not installed (Debian package docker-registry; scripts/deps.sh installs it)"
	if os.Getenv("CI") == "true" || os.Getenv("INITBOX_REQUIRE_SERVERS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// ServeConfig is a docker-registry configuration that stores under root
// and serves on the unix socket sock, quietly. Settings of the http
// section (tls) and further sections (auth, middleware) may be appended.
func ServeConfig(root, sock string) string {
	return fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  net: unix
  addr: %s
  secret: initbox-test-secret
`, root, sock)
}

// Start starts a registry that lives as long as the test.
func Start(t testing.TB, cfg Config) *Registry {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	r := &Registry{Scheme: "http", sock: filepath.Join(dir, "registry.sock")}
	var tlsCfg *tls.Config
	var extra string
	var pair tls.Certificate
	if cfg.TLS || cfg.Token {
		r.Scheme = "https"
		var cert, key string
		var pool *x509.CertPool
		cert, key, pool, pair = r.makeCerts(t, dir)
		extra += fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n", cert, key)
		tlsCfg = &tls.Config{RootCAs: pool}
		if cfg.MTLS {
			extra += fmt.Sprintf("    clientcas:\n      - %s\n", r.CAFile)
			client, err := tls.LoadX509KeyPair(r.ClientCert, r.ClientKey)
			if err != nil {
				t.Fatal(err)
			}
			tlsCfg.Certificates = []tls.Certificate{client}
		}
	}
	auth := ""
	if cfg.Auth || cfg.Token {
		r.User, r.Pass = "puller", "s3cr3t-Pa55"
	}
	if cfg.Token {
		key, der, certPEM := signingCert(t)
		bundle := filepath.Join(dir, "token-ca.pem")
		writeFile(t, bundle, certPEM)
		r.token = startTokenServer(t, pair, r.User, r.Pass, key, der)
		r.Tokens = &r.token.Requests
		auth = fmt.Sprintf("auth:\n  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n",
			r.token.URL, tokenService, tokenIssuer, bundle)
	}
	if cfg.CDN {
		var cert *tls.Certificate
		if r.Scheme == "https" {
			cert = &pair
		}
		r.CDN = startCDN(t, filepath.Join(dir, "data"), cert)
		auth += fmt.Sprintf("middleware:\n  storage:\n    - name: redirect\n      options:\n        baseurl: %s\n", r.CDN.URL)
	}
	if cfg.Auth {
		hash, err := bcrypt.GenerateFromPassword([]byte(r.Pass), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		ht := filepath.Join(dir, "htpasswd")
		writeFile(t, ht, r.User+":"+string(hash)+"\n")
		auth += fmt.Sprintf("auth:\n  htpasswd:\n    realm: initbox-test\n    path: %s\n", ht)
	}
	conf := ServeConfig(filepath.Join(dir, "data"), r.sock) + extra + auth
	confFile := filepath.Join(dir, "config.yml")
	writeFile(t, confFile, conf)
	r.run(t, bin, confFile, dir)
	if cfg.TLS || cfg.Token {
		r.Host = relay(t, r.sock)
	} else {
		r.Proxy = newProxy(t, r.sock)
		r.Host = r.Proxy.Host
	}
	r.client = &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}, Timeout: 2 * time.Minute}
	t.Cleanup(r.client.CloseIdleConnections)
	r.waitReady(t)
	return r
}

func (r *Registry) run(t testing.TB, bin, conf, dir string) {
	t.Helper()
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", conf)
	// Killed with the test binary too, if a timeout ends it first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
		if t.Failed() {
			data, _ := os.ReadFile(logf.Name())
			t.Logf("registry log:\n%s", truncate(string(data), 4000))
		}
	})
}

// waitReady waits until /v2/ answers (200, or 401 with auth).
func (r *Registry) waitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, r.Scheme+"://"+r.Host+"/v2/", nil)
		resp, err := r.client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("registry not ready after 60s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// relay forwards TCP connections on 127.0.0.1:0 to the unix socket, bytes
// as they are: the registry terminates TLS itself.
func relay(t testing.TB, sock string) string {
	t.Helper()
	return testnet.Serve(t, func(c net.Conn) {
		defer c.Close()
		u, err := net.Dial("unix", sock)
		if err != nil {
			return
		}
		defer u.Close()
		done := make(chan struct{}, 2)
		go func() { copyClose(u, c); done <- struct{}{} }()
		go func() { copyClose(c, u); done <- struct{}{} }()
		<-done
	})
}

func copyClose(dst, src net.Conn) {
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// DockerConfig writes a Docker config.json holding the registry's
// credentials (or others') and returns its path.
func (r *Registry) DockerConfig(t testing.TB, user, pass string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.json")
	auth := b64(user + ":" + pass)
	writeFile(t, path, fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, r.Host, auth))
	return path
}

func (r *Registry) makeCerts(t testing.TB, dir string) (cert, key string, pool *x509.CertPool, pair tls.Certificate) {
	t.Helper()
	ca, caPEM, srvPEM, keyPEM, clientPEM, clientKeyPEM := makeCerts(t)
	r.ClientCert, r.ClientKey = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	writeFile(t, r.ClientCert, clientPEM)
	writeFile(t, r.ClientKey, clientKeyPEM)
	pair, err := tls.X509KeyPair([]byte(srvPEM), []byte(keyPEM))
	if err != nil {
		t.Fatal(err)
	}
	r.CAFile = filepath.Join(dir, "ca.pem")
	cert, key = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	writeFile(t, r.CAFile, caPEM)
	writeFile(t, cert, srvPEM)
	writeFile(t, key, keyPEM)
	pool = x509.NewCertPool()
	pool.AddCert(ca)
	return cert, key, pool, pair
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// Ref is the oci:// reference of repo:tag (or repo@digest) here.
func (r *Registry) Ref(repoAndTag string) string {
	return "oci://" + r.Host + "/" + strings.TrimPrefix(repoAndTag, "/")
}
