package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// commandTimeout bounds every docker and compose command, so a stuck
// engine fails the test instead of hanging it.
const commandTimeout = 3 * time.Minute

// result is what a finished command left behind.
type result struct {
	stdout, stderr string
	code           int
}

// out is stdout and stderr together: compose mixes a container's streams.
func (r result) out() string { return r.stdout + r.stderr }

func execute(ctx context.Context, env []string, name string, args ...string) (result, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout.String(), stderr.String(), 0}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		return r, err
	}
	return r, nil
}

// docker runs a docker command and returns what it left, whatever its
// exit code.
func docker(t *testing.T, args ...string) result {
	t.Helper()
	r, err := execute(t.Context(), nil, "docker", args...)
	if err != nil {
		t.Fatalf("docker %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// mustDocker runs a docker command that has to succeed and returns its
// trimmed stdout.
func mustDocker(t *testing.T, args ...string) string {
	t.Helper()
	r := docker(t, args...)
	if r.code != 0 {
		t.Fatalf("docker %s: exit %d\n%s", strings.Join(args, " "), r.code, r.out())
	}
	return strings.TrimSpace(r.stdout)
}

func inspect(t *testing.T, id, format string) string {
	t.Helper()
	return mustDocker(t, "inspect", "-f", format, id)
}

// project is one compose project made of files from examples/compose
// (and e2e/testdata), named uniquely and taken down with its volumes when
// the test ends.
type project struct {
	t    *testing.T
	args []string // -p NAME -f FILE...
	env  []string
}

func newProject(t *testing.T, files ...string) *project {
	t.Helper()
	requireCompose(t)
	name := "initbox-e2e-" + runID + "-" + strings.Trim(nonName.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	p := &project{t: t, args: []string{"-p", name}}
	for _, f := range files {
		p.args = append(p.args, "-f", filepath.Join(root, f))
	}
	p.env = append(os.Environ(),
		"INITBOX_IMAGE="+images.initbox, "TOOLS_IMAGE="+images.tools, "APP_IMAGE="+images.app)
	t.Cleanup(p.down)
	return p
}

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// up starts the project of the compose files and returns it with the
// container id of service.
func up(t *testing.T, service string, files ...string) (*project, string) {
	t.Helper()
	p := newProject(t, files...)
	p.must("up", "-d")
	return p, p.id(service)
}

// setenv sets a variable that the compose files substitute.
func (p *project) setenv(key, value string) { p.env = append(p.env, key+"="+value) }

// run runs a compose command and returns what it left, whatever its exit
// code.
func (p *project) run(args ...string) result {
	p.t.Helper()
	return p.runContext(p.t.Context(), args...)
}

func (p *project) runContext(ctx context.Context, args ...string) result {
	p.t.Helper()
	all := append(append(append([]string{}, compose[1:]...), p.args...), args...)
	r, err := execute(ctx, p.env, compose[0], all...)
	if err != nil {
		p.t.Fatalf("%s %s: %v", compose[0], strings.Join(all, " "), err)
	}
	return r
}

// must runs a compose command that has to succeed.
func (p *project) must(args ...string) result {
	p.t.Helper()
	r := p.run(args...)
	if r.code != 0 {
		p.t.Fatalf("compose %s: exit %d\n%s", strings.Join(args, " "), r.code, r.out())
	}
	return r
}

// id is the container of a service started with "up", running or not.
func (p *project) id(service string) string {
	p.t.Helper()
	ids := strings.Fields(p.must("ps", "-a", "-q", service).stdout)
	if len(ids) != 1 {
		p.t.Fatalf("service %s has containers %q, want one", service, ids)
	}
	return ids[0]
}

// logs is what a service's containers printed, lines unprefixed.
func (p *project) logs(service string) string {
	p.t.Helper()
	return p.must("logs", "--no-color", "--no-log-prefix", service).out()
}

// down shows the logs of a failed test, then removes the project's
// containers, networks and volumes. t.Context is over by now.
func (p *project) down() {
	ctx := context.Background()
	if p.t.Failed() {
		p.t.Logf("logs:\n%s", p.runContext(ctx, "logs", "--no-color").out())
	}
	if r := p.runContext(ctx, "down", "-v", "--remove-orphans", "-t", "2"); r.code != 0 {
		p.t.Errorf("compose down: exit %d\n%s", r.code, r.out())
	}
}

// eventually polls cond until it is true, failing after timeout with
// cond's last word on why not. Containers give no other signal to wait on.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v: %s", what, timeout, why)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("%s: %v", what, t.Context().Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}
