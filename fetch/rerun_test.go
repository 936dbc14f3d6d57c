package fetch

import (
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testfiles"
)

func TestRerunWithChecksumMakesNoRequest(t *testing.T) {
	data := randomData(t, 200_000)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { serve(w, r, data, `"v1"`) })
	dest := filepath.Join(t.TempDir(), "f")
	f, _ := newTestFetcher(t, Options{})
	job := Job{URL: srv.URL + "/f", Dest: dest, Want: Sums{SHA256: sha(data)}}
	if res := f.Fetch(t.Context(), job); res.Err != nil {
		t.Fatal(res.Err)
	}
	before, _ := os.Stat(dest)
	res := f.Fetch(t.Context(), job)
	if res.Err != nil || res.Status != Skipped {
		t.Fatalf("second run: %v, %s; want skipped", res.Err, res.Status)
	}
	if srv.requests() != 1 {
		t.Errorf("%d requests, want 1: the re-run must make none", srv.requests())
	}
	after, _ := os.Stat(dest)
	if !os.SameFile(before, after) || !before.ModTime().Equal(after.ModTime()) {
		t.Error("the re-run replaced or touched the file")
	}
}

func TestChangedFileOnDiskIsFetchedAgain(t *testing.T) {
	data := randomData(t, 50_000)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { serve(w, r, data, `"v1"`) })
	dest := filepath.Join(t.TempDir(), "f")
	testfiles.File(t, dest, append([]byte{}, data[:len(data)-1]...)) // truncated by an earlier crash
	f, _ := newTestFetcher(t, Options{})
	res := f.Fetch(t.Context(), Job{URL: srv.URL + "/f", Dest: dest, Want: Sums{SHA256: sha(data)}})
	if res.Err != nil || res.Status != Downloaded {
		t.Fatalf("%v, %s; want downloaded", res.Err, res.Status)
	}
	assertContent(t, dest, data)
}

func TestConditionalRerunWritesNothing(t *testing.T) {
	data := randomData(t, 100_000)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { serve(w, r, data, `"v1"`) })
	dest := filepath.Join(t.TempDir(), "index.html")
	f, _ := newTestFetcher(t, Options{})
	job := Job{URL: srv.URL + "/", Dest: dest}
	if res := f.Fetch(t.Context(), job); res.Err != nil {
		t.Fatal(res.Err)
	}
	before, _ := os.Stat(dest)
	res := fetchLeavingDir(t, f, job)
	if res.Err != nil || res.Status != Unchanged {
		t.Fatalf("second run: %v, %s; want unchanged", res.Err, res.Status)
	}
	if h := srv.header(2); h.Get("If-None-Match") != `"v1"` || h.Get("If-Modified-Since") == "" {
		t.Errorf("second request If-None-Match %q If-Modified-Since %q, want the manifest's validators", h.Get("If-None-Match"), h.Get("If-Modified-Since"))
	}
	after, _ := os.Stat(dest)
	if !os.SameFile(before, after) || !before.ModTime().Equal(after.ModTime()) {
		t.Error("a 304 replaced or touched the file")
	}
	if res.SHA256 != hex.EncodeToString(sha(data)) {
		t.Errorf("sha256 %s, want the file's", res.SHA256)
	}
	assertNoTemp(t, filepath.Dir(dest), false)
}

func TestSameContentWithoutValidatorsWritesNothing(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { w.Write([]byte("same")) })
	dest := filepath.Join(t.TempDir(), "f")
	f, _ := newTestFetcher(t, Options{})
	job := Job{URL: srv.URL + "/f", Dest: dest}
	f.Fetch(t.Context(), job)
	before, _ := os.Stat(dest)
	if res := f.Fetch(t.Context(), job); res.Err != nil || res.Status != Unchanged {
		t.Fatalf("%v, %s; want unchanged", res.Err, res.Status)
	}
	after, _ := os.Stat(dest)
	if !os.SameFile(before, after) {
		t.Error("identical content replaced the file")
	}
}

func TestFileURLCopies(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src.bin")
	data := randomData(t, 300_000)
	testfiles.File(t, src, data)
	dest := filepath.Join(t.TempDir(), "copy.bin")
	f, _ := newTestFetcher(t, Options{})
	job := Job{URL: "file://" + src, Dest: dest}
	if res := f.Fetch(t.Context(), job); res.Err != nil || res.Status != Downloaded {
		t.Fatalf("%v, %s", res.Err, res.Status)
	}
	assertContent(t, dest, data)
	if res := fetchLeavingDir(t, f, job); res.Err != nil || res.Status != Unchanged {
		t.Fatalf("re-run: %v, %s; want unchanged", res.Err, res.Status)
	}
	res := f.Fetch(t.Context(), Job{URL: "file://" + src + ".missing", Dest: dest})
	if !errors.Is(res.Err, syscall.ENOENT) {
		t.Errorf("missing source: got %v, want not found", res.Err)
	}
}

// fetchLeavingDir fetches job, which must not touch the destination's
// directory: no temp file created and removed, so the same mtime.
func fetchLeavingDir(t *testing.T, f *Fetcher, job Job) Result {
	t.Helper()
	time.Sleep(20 * time.Millisecond) // a write now would get a later mtime (coarse clock)
	before, _ := os.Stat(filepath.Dir(job.Dest))
	res := f.Fetch(t.Context(), job)
	if after, _ := os.Stat(filepath.Dir(job.Dest)); !before.ModTime().Equal(after.ModTime()) {
		t.Errorf("%s changed %s: a temp file was created and removed", res.Status, filepath.Dir(job.Dest))
	}
	return res
}
