package checks

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// KubeOptions says where the Kubernetes API server is and who to be there.
// The caller finds the sources (a kubeconfig path from the environment,
// the service account directory in a pod); the library only reads them.
type KubeOptions struct {
	// Kubeconfig lists kubeconfig files, merged as kubectl merges the
	// KUBECONFIG list: the first file to set a value wins. When empty, the
	// in-pod service account below is used.
	Kubeconfig []string
	Context    string // the kubeconfig context to use; default its current-context

	// InClusterServer is the API server seen from a pod,
	// "https://KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT", and
	// ServiceAccountDir holds its token (read again for every request,
	// since bound tokens rotate), ca.crt and namespace.
	InClusterServer   string
	ServiceAccountDir string

	Server    string // overrides the server of either source
	Namespace string // overrides the default namespace of either source

	// WatchTimeout is how long one watch request lasts before it is
	// renewed from where it stopped; default 5m, with ±10% jitter so that
	// many waiters do not renew in step.
	WatchTimeout time.Duration
	// ForbiddenGrace is how long a refusal (401, 403) counts as "not yet"
	// before it is reported as missing permissions: an API server that has
	// just restarted refuses valid tokens until its RBAC caches fill.
	// Default 5s.
	ForbiddenGrace time.Duration
}

// DefaultServiceAccountDir is where Kubernetes mounts a pod's credentials.
const DefaultServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// kubeConn is what a request to the API server needs, resolved once.
type kubeConn struct {
	server    *url.URL
	tls       *tls.Config
	token     string // a fixed bearer token, or
	tokenFile string // a file read again before every request
	user      string // basic auth, for old kubeconfigs
	password  string
	namespace string // for targets that name none
	source    string // where this came from, for messages
}

func loadKubeConn(o KubeOptions) (*kubeConn, error) {
	var c *kubeConn
	var err error
	switch {
	case len(o.Kubeconfig) > 0:
		c, err = loadKubeconfig(o.Kubeconfig, o.Context)
	case o.InClusterServer != "" || o.ServiceAccountDir != "":
		c, err = loadInCluster(o.InClusterServer, o.ServiceAccountDir)
	default:
		err = errors.New("no Kubernetes credentials: no kubeconfig file and not in a pod")
	}
	if err != nil {
		return nil, err
	}
	if o.Server != "" {
		if c.server, err = parseKubeServer(o.Server); err != nil {
			return nil, err
		}
	}
	if o.Namespace != "" {
		c.namespace = o.Namespace
	}
	if c.namespace == "" {
		c.namespace = "default"
	}
	if c.server == nil {
		return nil, fmt.Errorf("%s: no API server address", c.source)
	}
	return c, nil
}

func parseKubeServer(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("API server %q: want https://HOST[:PORT]", s)
	}
	return u, nil
}

func loadInCluster(server, dir string) (*kubeConn, error) {
	if dir == "" {
		dir = DefaultServiceAccountDir
	}
	c := &kubeConn{tokenFile: filepath.Join(dir, "token"), source: "service account " + dir}
	if _, err := os.Stat(c.tokenFile); err != nil {
		return nil, fmt.Errorf("service account token: %w", err)
	}
	pool, err := certPoolFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		return nil, err
	}
	c.tls = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if ns, err := os.ReadFile(filepath.Join(dir, "namespace")); err == nil {
		c.namespace = strings.TrimSpace(string(ns))
	}
	if server != "" {
		if c.server, err = parseKubeServer(server); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func certPoolFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CA certificates: %w", err)
	}
	return certPool(pem, path)
}

func certPool(pem []byte, from string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate found", from)
	}
	return pool, nil
}

// kubeconfig holds the few fields of a kubeconfig file that matter here.
type kubeconfig struct {
	CurrentContext string `yaml:"current-context"`
	Clusters       []struct {
		Name    string
		Cluster kubeCluster
	}
	Contexts []struct {
		Name    string
		Context struct{ Cluster, User, Namespace string }
	}
	Users []struct {
		Name string
		User kubeUser
	}
	dir string // relative paths in the file are relative to it
}

type kubeCluster struct {
	Server        string
	CA            string `yaml:"certificate-authority"`
	CAData        string `yaml:"certificate-authority-data"`
	Insecure      bool   `yaml:"insecure-skip-tls-verify"`
	TLSServerName string `yaml:"tls-server-name"`
	dir           string
}

type kubeUser struct {
	Token        string
	TokenFile    string `yaml:"tokenFile"`
	CertFile     string `yaml:"client-certificate"`
	CertData     string `yaml:"client-certificate-data"`
	KeyFile      string `yaml:"client-key"`
	KeyData      string `yaml:"client-key-data"`
	Username     string
	Password     string
	Exec         *yaml.Node `yaml:"exec"`
	AuthProvider *yaml.Node `yaml:"auth-provider"`
	Impersonate  string     `yaml:"as"`
	dir          string
}

func readKubeconfig(path string) (*kubeconfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	var kc kubeconfig
	if err := yaml.Unmarshal(data, &kc); err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	kc.dir = filepath.Dir(path)
	for i := range kc.Clusters {
		kc.Clusters[i].Cluster.dir = kc.dir
	}
	for i := range kc.Users {
		kc.Users[i].User.dir = kc.dir
	}
	return &kc, nil
}

// loadKubeconfig merges the files (first definition of a name wins) and
// resolves the context.
func loadKubeconfig(paths []string, context string) (*kubeConn, error) {
	merged := &kubeconfig{}
	for _, p := range paths {
		kc, err := readKubeconfig(p)
		if errors.Is(err, os.ErrNotExist) && len(paths) > 1 {
			continue // kubectl skips missing files of a KUBECONFIG list
		}
		if err != nil {
			return nil, err
		}
		if merged.CurrentContext == "" {
			merged.CurrentContext = kc.CurrentContext
		}
		merged.Clusters = append(merged.Clusters, kc.Clusters...)
		merged.Contexts = append(merged.Contexts, kc.Contexts...)
		merged.Users = append(merged.Users, kc.Users...)
	}
	src := "kubeconfig " + strings.Join(paths, string(filepath.ListSeparator))
	if context == "" {
		context = merged.CurrentContext
	}
	if context == "" {
		return nil, fmt.Errorf("%s: no current-context", src)
	}
	ctxIdx := -1
	for i := range merged.Contexts {
		if merged.Contexts[i].Name == context {
			ctxIdx = i
			break
		}
	}
	if ctxIdx < 0 {
		return nil, fmt.Errorf("%s: no context %q", src, context)
	}
	kctx := merged.Contexts[ctxIdx].Context
	c := &kubeConn{namespace: kctx.Namespace, source: fmt.Sprintf("%s (context %s)", src, context)}
	if err := merged.applyCluster(c, kctx.Cluster); err != nil {
		return nil, fmt.Errorf("%s: %w", c.source, err)
	}
	if err := merged.applyUser(c, kctx.User); err != nil {
		return nil, fmt.Errorf("%s: %w", c.source, err)
	}
	return c, nil
}

func (kc *kubeconfig) applyCluster(c *kubeConn, name string) error {
	for _, cl := range kc.Clusters {
		if cl.Name == name {
			return cl.Cluster.apply(c)
		}
	}
	return fmt.Errorf("no cluster %q", name)
}

func (cl kubeCluster) apply(c *kubeConn) error {
	var err error
	if cl.Server != "" {
		if c.server, err = parseKubeServer(cl.Server); err != nil {
			return err
		}
	}
	c.tls = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cl.Insecure, ServerName: cl.TLSServerName}
	switch {
	case cl.CAData != "":
		pem, err := base64.StdEncoding.DecodeString(cl.CAData)
		if err != nil {
			return fmt.Errorf("certificate-authority-data: %w", err)
		}
		c.tls.RootCAs, err = certPool(pem, "certificate-authority-data")
		return err
	case cl.CA != "":
		c.tls.RootCAs, err = certPoolFile(resolvePath(cl.dir, cl.CA))
		return err
	}
	return nil // the system's roots
}

func (kc *kubeconfig) applyUser(c *kubeConn, name string) error {
	for _, u := range kc.Users {
		if u.Name == name {
			return u.User.apply(c)
		}
	}
	if name == "" {
		return nil // anonymous
	}
	return fmt.Errorf("no user %q", name)
}

func (u kubeUser) apply(c *kubeConn) error {
	switch {
	case u.Exec != nil:
		return errors.New("user credentials from an exec plugin are not supported: use a token, a token file or a client certificate")
	case u.AuthProvider != nil:
		return errors.New("user credentials from an auth-provider are not supported: use a token, a token file or a client certificate")
	case u.Impersonate != "":
		return errors.New("impersonation (as) is not supported")
	}
	c.token, c.user, c.password = u.Token, u.Username, u.Password
	if u.TokenFile != "" && u.Token == "" {
		c.tokenFile = resolvePath(u.dir, u.TokenFile)
	}
	cert, err := u.clientCert()
	if err != nil {
		return err
	}
	if cert != nil {
		c.tls.Certificates = []tls.Certificate{*cert}
	}
	return nil
}

func (u kubeUser) clientCert() (*tls.Certificate, error) {
	certPEM, err := inlineOrFile(u.CertData, u.CertFile, u.dir)
	if err != nil {
		return nil, fmt.Errorf("client-certificate: %w", err)
	}
	keyPEM, err := inlineOrFile(u.KeyData, u.KeyFile, u.dir)
	if err != nil {
		return nil, fmt.Errorf("client-key: %w", err)
	}
	if certPEM == nil && keyPEM == nil {
		return nil, nil
	}
	if certPEM == nil || keyPEM == nil {
		return nil, errors.New("a client certificate needs both client-certificate and client-key")
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("client certificate: %w", err)
	}
	return &cert, nil
}

func inlineOrFile(data, file, dir string) ([]byte, error) {
	switch {
	case data != "":
		return base64.StdEncoding.DecodeString(data)
	case file != "":
		return os.ReadFile(resolvePath(dir, file))
	}
	return nil, nil
}

func resolvePath(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}
