package kube

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// What TestMain found and built; read-only once tests run.
var (
	root    string   // the repository
	cl      *cluster // the cluster of scripts/kube/up.sh --node
	testCA  *authority
	noKube  string // why the tests cannot run; empty when they can
	workDir string // images' root filesystems, the CA
)

// Images the suite imports into the node's containerd. The examples'
// application images keep their names (their tags are not "latest", so the
// kubelet uses the local image); initbox:v0.1.0 and nginx are replaced,
// since the kubelet would always try to pull those.
const (
	imageInitbox = "docker.io/initbox-kube/initbox:e2e"
	imageNginx   = "docker.io/initbox-kube/nginx:e2e"
	imageStandin = "docker.io/initbox-kube/standin:e2e"
	imageDig     = "docker.io/initbox-kube/dig:e2e" // bash, dig and sleep
)

// standins maps each image the examples name to the cmd/standin mode that
// plays it.
var standins = map[string][]string{
	"example.com/myapp:1.0":             {"/standin", "serve"},
	"example.com/orders:1.0":            {"/standin", "serve"},
	"example.com/shop:1.0":              {"/standin", "serve"},
	"example.com/migrate:1.0":           {"/standin", "migrate"},
	"example.com/my-distroless-app:1.0": {"/standin", "distroless"},
	imageNginx:                          {"/standin", "static"},
	imageStandin:                        {"/standin"},
}

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	var err error
	if root, err = filepath.Abs("../.."); err != nil {
		panic(err)
	}
	flag.Parse()
	if testing.Short() {
		return m.Run() // every test skips
	}
	required := os.Getenv("CI") == "true" || os.Getenv("INITBOX_REQUIRE_SERVERS") == "1" || os.Getenv("INITBOX_KUBE_REQUIRED") == "1"
	if cl, noKube = findCluster(); noKube != "" {
		if required {
			fmt.Fprintf(os.Stderr, "e2e/kube: no cluster, and one is required here: %s\n", noKube)
			return 1
		}
		loud("KUBERNETES E2E TESTS SKIPPED: " + noKube)
		return m.Run()
	}
	if workDir, err = os.MkdirTemp("", "initbox-e2e-kube"); err != nil {
		panic(err)
	}
	defer os.RemoveAll(workDir)
	start := time.Now()
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e/kube: setup failed: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e/kube: images built and imported in %v\n", time.Since(start).Round(time.Second))
	return m.Run()
}

// loud prints a banner on stderr, for a skip nobody should miss.
func loud(msg string) {
	line := strings.Repeat("=", 78)
	fmt.Fprintf(os.Stderr, "%s\n%s\n%s\n", line, msg, line)
}

// findCluster reads the variables scripts/kube/exec.sh passes and checks
// that the API server answers and a node is there.
func findCluster() (*cluster, string) {
	need := []string{"INITBOX_KUBE_APISERVER", "INITBOX_KUBE_CA", "INITBOX_KUBE_ADMIN_CERT",
		"INITBOX_KUBE_ADMIN_KEY", "INITBOX_KUBE_KUBECONFIG", "INITBOX_KUBE_KUBECTL",
		"INITBOX_KUBE_NODE", "INITBOX_KUBE_NODE_IP", "INITBOX_KUBE_IMPORT"}
	for _, v := range need {
		if os.Getenv(v) == "" {
			return nil, v + " is not set: run the tests with scripts/kube/exec.sh after scripts/kube/up.sh --node"
		}
	}
	c, err := newCluster()
	if err != nil {
		return nil, err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.do(ctx, http.MethodGet, "/readyz", nil); err != nil {
		return nil, fmt.Sprintf("the API server does not answer (are the tests in the cluster's network namespace?): %v", err)
	}
	return c, ""
}

// setup builds initbox and the stand-ins and imports their images.
func setup() error {
	var err error
	if testCA, err = newAuthority(); err != nil {
		return err
	}
	ibx := filepath.Join(workDir, "initbox-root")
	if err := os.MkdirAll(filepath.Join(ibx, "etc/ssl/certs"), 0o755); err != nil {
		return err
	}
	if err := run(root, "scripts/build.sh", filepath.Join(ibx, "initbox"), "e2e-kube"); err != nil {
		return err
	}
	// The test CA as the image's system roots: the servers the examples
	// fetch from (kubernetes.io, ...) are replaced by the suite's own.
	if err := os.WriteFile(filepath.Join(ibx, "etc/ssl/certs/ca-certificates.crt"), testCA.certPEM, 0o644); err != nil {
		return err
	}
	if err := importImage(imageInitbox, ibx, "65532:65532", "/initbox"); err != nil {
		return err
	}
	sdir := filepath.Join(workDir, "standin-root")
	if err := os.MkdirAll(filepath.Join(sdir, "tmp"), 0o1777); err != nil {
		return err
	}
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(sdir, "standin"), "./cmd/standin")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building cmd/standin: %v: %s", err, out)
	}
	for ref, entry := range standins {
		if err := importImage(ref, sdir, "", entry...); err != nil {
			return err
		}
	}
	dig := filepath.Join(workDir, "dig-root")
	if err := copyHostBinaries(dig, "bash", "dig", "sleep"); err != nil {
		return err
	}
	return importImage(imageDig, dig, "")
}

func importImage(ref, dir, user string, entrypoint ...string) error {
	args := []string{}
	if user != "" {
		args = append(args, "-u", user)
	}
	args = append(append(args, ref, dir), entrypoint...)
	return run(root, os.Getenv("INITBOX_KUBE_IMPORT"), args...)
}

func run(dir, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// requireCluster skips a test when there is no cluster (TestMain has
// already failed the run where one is required).
func requireCluster(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("SKIPPED under -short: needs a real cluster")
	}
	if noKube != "" {
		t.Skip("SKIPPED: " + noKube)
	}
}

// clusterTest starts a test on the cluster: skipped without one, run in
// parallel, in a new namespace named after prefix, which it returns.
func clusterTest(t *testing.T, prefix string) string {
	t.Helper()
	requireCluster(t)
	t.Parallel()
	return newNamespace(t, prefix)
}

// standinListener is a Pod of the stand-in listening on port, labelled
// app: name and Ready once it listens.
func standinListener(name string, port int) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %[1]s, labels: {app: %[1]s}}
spec:
  containers:
  - {name: %[1]s, image: %[2]s, args: [listen, -addr, ":%[3]d"], readinessProbe: {tcpSocket: {port: %[3]d}, periodSeconds: 1}}
`, name, imageStandin, port)
}
