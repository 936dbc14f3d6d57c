package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
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
	runID   string   // unique per run: image tags and compose project names
	compose []string // "docker compose" or "docker-compose"
	binary  string   // initbox built on the host, the one in the image
	images  struct{ initbox, tools, app string }

	// Why tests cannot run; empty when they can.
	noDocker, noCompose, noFetchRender string
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		loud("E2E TESTS SKIPPED under -short")
		return 0
	}
	var err error
	if root, err = filepath.Abs(".."); err != nil {
		panic(err)
	}
	runID = randomID()
	if noDocker = dockerMissing(); noDocker != "" {
		loud("E2E TESTS SKIPPED: " + noDocker)
		return m.Run()
	}
	compose, noCompose = findCompose()
	if noCompose != "" {
		loud("E2E COMPOSE SCENARIOS SKIPPED: " + noCompose)
	}
	dir, err := os.MkdirTemp("", "initbox-e2e")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	defer removeImages()
	if err := setup(dir); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: setup failed: %v\n", err)
		return 1
	}
	if noFetchRender = fetchRenderMissing(); noFetchRender != "" {
		loud("E2E SCENARIOS 1 AND 5 SKIPPED until fetch and render land: " + noFetchRender)
	}
	return m.Run()
}

func randomID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// loud prints a banner on stderr, for a skip nobody should miss.
func loud(msg string) {
	line := strings.Repeat("=", 78)
	fmt.Fprintf(os.Stderr, "%s\n%s\n%s\n", line, msg, line)
}

func dockerMissing() string {
	if _, err := exec.LookPath("docker"); err != nil {
		return "no docker command (" + err.Error() + ")"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput()
	if err != nil {
		return fmt.Sprintf("no Docker engine answers (docker info: %v: %s)", err, strings.TrimSpace(string(out)))
	}
	return ""
}

// findCompose prefers the compose plugin and falls back to the standalone
// docker-compose (v1 on Debian); the example files suit both.
func findCompose() ([]string, string) {
	for _, c := range [][]string{{"docker", "compose"}, {"docker-compose"}} {
		args := append(c[1:len(c):len(c)], "version")
		if exec.Command(c[0], args...).Run() == nil {
			return c, ""
		}
	}
	return nil, `neither "docker compose" nor "docker-compose" works (scripts/deps.sh installs docker-compose)`
}

// fetchRenderMissing tells whether the binary has the fetch and render
// commands that scenarios 1 and 5 use.
func fetchRenderMissing() string {
	for _, cmd := range []string{"fetch", "render"} {
		out, err := exec.Command(binary, cmd, "--help").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "initbox "+cmd) {
			return fmt.Sprintf("initbox %s --help: %v: %s", cmd, err, firstLine(string(out)))
		}
	}
	return ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func requireDocker(t *testing.T) {
	t.Helper()
	if noDocker != "" {
		t.Skip("SKIPPED: " + noDocker)
	}
}

func requireCompose(t *testing.T) {
	t.Helper()
	requireDocker(t)
	if noCompose != "" {
		t.Skip("SKIPPED: " + noCompose)
	}
}

func requireFetchRender(t *testing.T) {
	t.Helper()
	requireCompose(t)
	if noFetchRender != "" {
		t.Skip("SKIPPED until fetch and render land: " + noFetchRender)
	}
}
