//go:build linux

package fetch

import (
	"net/http"
	"path/filepath"
	"slices"
	"testing"

	"github.com/initbox/initbox/internal/testutil/filestate"
	"github.com/initbox/initbox/internal/testutil/testfiles"
	"github.com/initbox/initbox/internal/testutil/testfs"
)

// rerunConditional fetches job twice from a server with an ETag and checks
// that the second run asked "has it changed?" with the first run's
// validators, which it can only know from the manifest.
func rerunConditional(t *testing.T, opts Options, dest string) {
	t.Helper()
	data := randomData(t, 10_000)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { serve(w, r, data, `"v1"`) })
	f, _ := newTestFetcher(t, opts)
	job := Job{URL: srv.URL + "/index.html", Dest: dest}
	if res := f.Fetch(t.Context(), job); res.Err != nil {
		t.Fatal(res.Err)
	}
	if res := f.Fetch(t.Context(), job); res.Err != nil || res.Status != Unchanged {
		t.Fatalf("re-run: %v, %s; want unchanged", res.Err, res.Status)
	}
	if got := srv.header(2).Get("If-None-Match"); got != `"v1"` {
		t.Errorf("re-run If-None-Match %q, want the manifest's \"v1\"", got)
	}
}

func TestManifestIsAnXattrNotAFileBeside(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "index.html")
	rerunConditional(t, Options{}, dest)
	if got := filestate.Names(t, dir); !slices.Equal(got, []string{"index.html"}) {
		t.Errorf("the web root holds %q, want only index.html", got)
	}
	if _, err := getXattr(dest, manifestXattr); err != nil {
		t.Errorf("no %s on the file: %v", manifestXattr, err)
	}
}

func TestManifestInStateDir(t *testing.T) {
	dir, state := t.TempDir(), filepath.Join(t.TempDir(), "state")
	dest := filepath.Join(dir, "index.html")
	rerunConditional(t, Options{StateDir: state}, dest)
	if got := filestate.Names(t, dir); !slices.Equal(got, []string{"index.html"}) {
		t.Errorf("the web root holds %q, want only index.html", got)
	}
	if _, err := getXattr(dest, manifestXattr); err == nil {
		t.Errorf("%s set although a state directory was given", manifestXattr)
	}
	if got := filestate.Names(t, state); len(got) != 1 {
		t.Errorf("state directory holds %q, want one manifest", got)
	}
}

func TestManifestWithoutXattrsIsTheHiddenFile(t *testing.T) {
	dir := testfs.NoXattr(t)
	dest := filepath.Join(dir, "index.html")
	rerunConditional(t, Options{}, dest)
	want := []string{".index.html" + manifestSuffix, "index.html"}
	if got := filestate.Names(t, dir); !slices.Equal(got, want) {
		t.Errorf("directory holds %q, want %q", got, want)
	}
}

// A manifest an earlier version left beside the file still drives a
// conditional request, and is moved into the attribute.
func TestLegacyManifestIsMigrated(t *testing.T) {
	data := randomData(t, 10_000)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { serve(w, r, data, `"v1"`) })
	dir := t.TempDir()
	dest := filepath.Join(dir, "index.html")
	f, _ := newTestFetcher(t, Options{})
	job := Job{URL: srv.URL + "/index.html", Dest: dest}
	if res := f.Fetch(t.Context(), job); res.Err != nil {
		t.Fatal(res.Err)
	}
	m, err := getXattr(dest, manifestXattr)
	if err != nil {
		t.Fatal(err)
	}
	// What an earlier version left: the hidden file, no attribute.
	testfiles.File(t, hiddenName(dest, manifestSuffix), m)
	if err := removeXattr(dest, manifestXattr); err != nil {
		t.Fatal(err)
	}

	if res := f.Fetch(t.Context(), job); res.Err != nil || res.Status != Unchanged {
		t.Fatalf("re-run: %v, %s; want unchanged", res.Err, res.Status)
	}
	if got := srv.header(2).Get("If-None-Match"); got != `"v1"` {
		t.Errorf("re-run If-None-Match %q, want the old manifest's \"v1\"", got)
	}
	if got := filestate.Names(t, dir); !slices.Equal(got, []string{"index.html"}) {
		t.Errorf("after the re-run the directory holds %q, want the hidden manifest gone", got)
	}
	if _, err := getXattr(dest, manifestXattr); err != nil {
		t.Errorf("the manifest was not moved into %s: %v", manifestXattr, err)
	}
}
