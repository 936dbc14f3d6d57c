package fetch

import (
	"context"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testfiles"
)

func TestDownloadVerifiesAndPutsInPlace(t *testing.T) {
	data := randomData(t, 3<<20+17)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { serve(w, r, data, `"v1"`) })
	dir := t.TempDir()
	dest := filepath.Join(dir, "model.bin")
	f, _ := newTestFetcher(t, Options{Mode: 0o640})
	p := &Progress{}

	res := f.Fetch(t.Context(), Job{URL: srv.URL + "/model.bin", Dest: dest, Want: Sums{SHA256: sha(data)}, Progress: p})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.Status != Downloaded || res.Size != int64(len(data)) || res.SHA256 != hex.EncodeToString(sha(data)) {
		t.Errorf("result %+v, want downloaded, %d bytes, sha256 %x", res, len(data), sha(data))
	}
	assertContent(t, dest, data)
	if fi, _ := os.Stat(dest); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	if p.Done() != int64(len(data)) || p.Total() != int64(len(data)) || p.Dest() != dest {
		t.Errorf("progress %d of %d for %q, want %d of %d for %q", p.Done(), p.Total(), p.Dest(), len(data), len(data), dest)
	}
	assertNoTemp(t, dir, false)
}

func TestWrongChecksumWritesNothing(t *testing.T) {
	data := randomData(t, 100_000)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { serve(w, r, data, `"v1"`) })
	dir := t.TempDir()
	dest := filepath.Join(dir, "app.conf")
	testfiles.File(t, dest, []byte("old"))
	f, _ := newTestFetcher(t, Options{})

	res := f.Fetch(t.Context(), Job{URL: srv.URL + "/app.conf", Dest: dest, Want: Sums{SHA256: sha([]byte("other"))}})
	var ce *ChecksumError
	if !errors.As(res.Err, &ce) {
		t.Fatalf("got %v, want a checksum mismatch", res.Err)
	}
	assertContent(t, dest, []byte("old"))
	assertNoTemp(t, dir, false)
	if srv.requests() != 1 {
		t.Errorf("%d requests, want 1: a mismatch is not retried", srv.requests())
	}
}

func TestResumeAfterConnectionReset(t *testing.T) {
	data := randomData(t, 2<<20)
	srv := newServer(t, cutFirst(t, data, 700_000, `"v1"`, func(w http.ResponseWriter, r *http.Request) {
		serve(w, r, data, `"v1"`)
	}))
	dest := filepath.Join(t.TempDir(), "data.bin")
	f, logs := newTestFetcher(t, Options{})

	res := f.Fetch(t.Context(), Job{URL: srv.URL + "/data.bin", Dest: dest, Want: Sums{SHA256: sha(data)}})
	if res.Err != nil {
		t.Fatalf("%v; logs:\n%s", res.Err, logs)
	}
	if res.Status != Resumed {
		t.Errorf("status %s, want resumed", res.Status)
	}
	h := srv.header(2)
	if h.Get("If-Range") != `"v1"` || !strings.HasPrefix(h.Get("Range"), "bytes=") || h.Get("Range") == "bytes=0-" {
		t.Errorf("second request Range %q If-Range %q, want the rest of the file if still \"v1\"", h.Get("Range"), h.Get("If-Range"))
	}
	assertContent(t, dest, data)
	if !strings.Contains(logs.String(), "msg=resuming") {
		t.Errorf("no resuming line in the logs:\n%s", logs)
	}
	assertNoTemp(t, filepath.Dir(dest), false)
}

func TestServerIgnoringRangeRestartsFromZero(t *testing.T) {
	data := randomData(t, 1<<20)
	srv := newServer(t, cutFirst(t, data, 300_000, `"v1"`, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		w.Write(data) // 200 with the whole file, whatever the Range
	}))
	dest := filepath.Join(t.TempDir(), "data.bin")
	f, logs := newTestFetcher(t, Options{})

	res := f.Fetch(t.Context(), Job{URL: srv.URL + "/data.bin", Dest: dest})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if srv.header(2).Get("Range") == "" {
		t.Error("the second request asked for no range; the test proves nothing")
	}
	assertContent(t, dest, data)
	if res.Status != Downloaded || res.SHA256 != hex.EncodeToString(sha(data)) {
		t.Errorf("result %+v, want downloaded with the file's sha256", res)
	}
	if !strings.Contains(logs.String(), "msg=restarting") {
		t.Errorf("no restarting line:\n%s", logs)
	}
}

func TestFileChangedBetweenAttemptsIsNeverMixed(t *testing.T) {
	v1, v2 := randomData(t, 1<<20), randomData(t, 1<<20)
	srv := newServer(t, cutFirst(t, v1, 500_000, `"v1"`, func(w http.ResponseWriter, r *http.Request) {
		serve(w, r, v2, `"v2"`) // If-Range "v1" does not match: 200 with all of v2
	}))
	dest := filepath.Join(t.TempDir(), "data.bin")
	f, _ := newTestFetcher(t, Options{})

	res := f.Fetch(t.Context(), Job{URL: srv.URL + "/data.bin", Dest: dest})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	assertContent(t, dest, v2)
	if res.SHA256 != hex.EncodeToString(sha(v2)) {
		t.Errorf("sha256 %s, want v2's %x", res.SHA256, sha(v2))
	}
}

func TestRangeThatDoesNotContinueRestarts(t *testing.T) {
	data := randomData(t, 1<<20)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch {
		case n == 1:
			cut(t, w, data, 400_000, `"v1"`)
		case r.Header.Get("Range") != "":
			w.Header().Set("Content-Range", "bytes 10-99/1048576") // not where we stopped
			w.WriteHeader(http.StatusPartialContent)
			w.Write(data[10:100])
		default:
			serve(w, r, data, `"v1"`)
		}
	})
	dest := filepath.Join(t.TempDir(), "data.bin")
	f, _ := newTestFetcher(t, Options{})
	res := f.Fetch(t.Context(), Job{URL: srv.URL + "/data.bin", Dest: dest, Want: Sums{SHA256: sha(data)}})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	assertContent(t, dest, data)
}

func TestResumeAcrossRuns(t *testing.T) {
	data := randomData(t, 4<<20)
	var stop atomic.Bool
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 { // the first run is killed after 1 MiB
			w.Header().Set("Content-Length", "4194304")
			w.Header().Set("ETag", `"v1"`)
			w.Write(data[:1<<20])
			w.(http.Flusher).Flush()
			stop.Store(true)
			<-r.Context().Done()
			return
		}
		serve(w, r, data, `"v1"`)
	})
	dir := t.TempDir()
	dest := filepath.Join(dir, "data.bin")
	f, _ := newTestFetcher(t, Options{})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		// Cancel once the whole first MiB is in the partial file: a fixed
		// pause after the server sent it may come before a loaded machine
		// has written it.
		part := hiddenName(dest, partialSuffix)
		for give := time.Now().Add(30 * time.Second); time.Now().Before(give); {
			if fi, err := os.Stat(part); stop.Load() && err == nil && fi.Size() >= 1<<20 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if res := f.Fetch(ctx, Job{URL: srv.URL + "/data.bin", Dest: dest}); !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("first run: %v, want cancelled", res.Err)
	}
	if _, err := os.Stat(hiddenName(dest, partialSuffix)); err != nil {
		t.Fatalf("no partial download kept: %v", err)
	}

	res := f.Fetch(t.Context(), Job{URL: srv.URL + "/data.bin", Dest: dest, Want: Sums{SHA256: sha(data)}})
	if res.Err != nil || res.Status != Resumed {
		t.Fatalf("second run: %v, %s; want resumed", res.Err, res.Status)
	}
	if got := srv.header(2).Get("Range"); got != "bytes=1048576-" {
		t.Errorf("second run asked for %q, want bytes=1048576-", got)
	}
	assertContent(t, dest, data)
	assertNoTemp(t, dir, false)
}

func TestMaxSize(t *testing.T) {
	data := randomData(t, 10_000)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.URL.Path == "/chunked" {
			w.Write(data[:5000])
			w.(http.Flusher).Flush()
			w.Write(data[5000:])
			return
		}
		serve(w, r, data, `"v1"`)
	})
	for _, path := range []string{"/sized", "/chunked"} {
		dir := t.TempDir()
		f, _ := newTestFetcher(t, Options{MaxSize: 9_999})
		res := f.Fetch(t.Context(), Job{URL: srv.URL + path, Dest: filepath.Join(dir, "f")})
		if !errors.Is(res.Err, errTooBig) {
			t.Errorf("%s: got %v, want too big", path, res.Err)
		}
		if names, _ := os.ReadDir(dir); len(names) != 0 {
			t.Errorf("%s: %s holds %v, want nothing", path, dir, names)
		}
	}
}

func TestParallelJobs(t *testing.T) {
	var inFlight, most atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		serve(w, r, []byte(r.URL.Path), `"`+r.URL.Path+`"`)
	})
	dir := t.TempDir()
	var jobs []Job
	for _, name := range []string{"a", "b", "c", "d", "e", "f"} {
		jobs = append(jobs, Job{URL: srv.URL + "/" + name, Dir: dir})
	}
	f, _ := newTestFetcher(t, Options{Parallel: 2})
	for i, res := range f.All(t.Context(), jobs) {
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		assertContent(t, filepath.Join(dir, jobs[i].URL[len(srv.URL)+1:]), []byte(jobs[i].URL[len(srv.URL):]))
	}
	if most.Load() > 2 {
		t.Errorf("%d downloads at once, want at most 2", most.Load())
	}
}

func TestCompletePartialIsFetchedAgain(t *testing.T) {
	data := randomData(t, 100_000)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { serve(w, r, data, `"v1"`) })
	dest := filepath.Join(t.TempDir(), "f")
	rawURL := srv.URL + "/f"
	// A run that died after the last byte but before the rename.
	testfiles.File(t, hiddenName(dest, partialSuffix), data)
	info := newPartialInfo(rawURL, `"v1"`, "", int64(len(data)))
	p := &partial{path: hiddenName(dest, partialSuffix)}
	if err := p.begin(info); err != nil {
		t.Fatal(err)
	}
	f, _ := newTestFetcher(t, Options{})
	res := f.Fetch(t.Context(), Job{URL: rawURL, Dest: dest, Want: Sums{SHA256: sha(data)}})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if got := srv.header(1).Get("Range"); got != "bytes=100000-" {
		t.Errorf("first request asked for %q, want the bytes after the partial", got)
	}
	assertContent(t, dest, data)
	assertNoTemp(t, filepath.Dir(dest), false)
}

func TestDirectoryAsDestinationIsRefused(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { w.Write([]byte("page")) })
	dir := t.TempDir()
	f, _ := newTestFetcher(t, Options{})
	res := f.Fetch(t.Context(), Job{URL: srv.URL + "/", Dest: dir})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "is a directory") {
		t.Fatalf("got %v, want: is a directory", res.Err)
	}
	if srv.requests() != 0 {
		t.Errorf("%d requests, want none", srv.requests())
	}
	if names := visible(filepath.Dir(dir)); len(names) != 1 {
		t.Errorf("beside the directory: %v, want nothing new", names)
	}
}

func TestTwoRunsOnOneFile(t *testing.T) {
	data := randomData(t, 2<<20)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		time.Sleep(50 * time.Millisecond) // both runs hold their files at once
		serve(w, r, data, `"v1"`)
	})
	dir := t.TempDir()
	dest := filepath.Join(dir, "f")
	results := make(chan Result, 2)
	for range 2 {
		go func() {
			f, _ := newTestFetcher(t, Options{})
			results <- f.Fetch(t.Context(), Job{URL: srv.URL + "/f", Dest: dest, Want: Sums{SHA256: sha(data)}})
		}()
	}
	for range 2 {
		if res := <-results; res.Err != nil {
			t.Error(res.Err)
		}
	}
	assertContent(t, dest, data)
	assertNoTemp(t, dir, false)
}

// TestAllClosesIdleConnections: the keep-alive connection of a run must
// not outlive it, or a caller running fetches in-process (and the server)
// collects one connection and two goroutines per run.
func TestAllClosesIdleConnections(t *testing.T) {
	closed := make(chan struct{}, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serve(w, r, []byte("ok"), `"v1"`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			closed <- struct{}{}
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	f, _ := newTestFetcher(t, Options{})
	res := f.All(t.Context(), []Job{{URL: srv.URL + "/f", Dest: filepath.Join(t.TempDir(), "f")}})
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the connection is still open 10 s after All returned")
	}
}
