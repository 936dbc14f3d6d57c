package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitPattern runs examples/compose/init-pattern.yml: init waits for
// db by TCP and DNS, fetches index.html into the named volume and renders
// app.conf into it; app starts only after init completed successfully and
// reads both. Running init again changes nothing in the volume (same
// inodes, mtimes, bytes) and, the checksum matching, asks the file server
// for nothing.
func TestInitPattern(t *testing.T) {
	t.Parallel()
	requireFetchRender(t)
	p := newProject(t, "examples/compose/init-pattern.yml")
	p.must("up", "-d")
	app := p.id("app")
	if code := mustDocker(t, "wait", app); code != "0" {
		t.Fatalf("app: exit %s, want 0\n%s", code, p.logs("app"))
	}
	site, err := os.ReadFile(filepath.Join(root, "examples/compose/site/index.html"))
	if err != nil {
		t.Fatal(err)
	}
	out := p.logs("app")
	for _, want := range []string{string(site), "db_host = db\n", "db_port = 5432\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("app did not read %q; it printed:\n%s", want, out)
		}
	}
	if init := p.logs("init"); !strings.Contains(init, "target=tcp://db:5432") || !strings.Contains(init, "target=dns://db") {
		t.Errorf("init's log does not show both waits:\n%s", init)
	}

	before, requests := volume(t, p), fileRequests(t, p)
	if r := p.run("run", "--rm", "-T", "init"); r.code != 0 {
		t.Fatalf("init, second run: exit %d, want 0\n%s", r.code, r.out())
	}
	if after := volume(t, p); after != before {
		t.Errorf("the second run of init changed the volume:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if n := fileRequests(t, p); n != requests {
		t.Errorf("the second run made %d requests to the file server, want none (the checksum matches)", n-requests)
	}
}

// volume describes every file in the shared volume: names, inodes,
// mtimes, sizes, modes, owners and sha256, as the app sees them. A temp
// file left behind shows up in the names.
func volume(t *testing.T, p *project) string {
	t.Helper()
	var b strings.Builder
	ls := p.must("run", "--rm", "-T", "--no-deps", "app", "ls", "/shared").stdout
	for _, name := range strings.Fields(ls) {
		if strings.Contains(name, "initbox-tmp") {
			t.Errorf("a temp file is left in the volume: %s", name)
		}
		stat := p.must("run", "--rm", "-T", "--no-deps", "app", "stat", "/shared/"+name).stdout
		b.WriteString(stat)
	}
	return b.String()
}

// fileRequests counts the requests the file server has logged.
func fileRequests(t *testing.T, p *project) int {
	t.Helper()
	return strings.Count(p.logs("files"), "request GET ")
}
