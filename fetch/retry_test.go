package fetch

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testfiles"
)

func TestRetriesServerErrors(t *testing.T) {
	data := []byte("payload")
	tests := []struct {
		name     string
		status   int
		notFound bool
	}{
		{"503", http.StatusServiceUnavailable, false},
		{"500", http.StatusInternalServerError, false},
		{"429", http.StatusTooManyRequests, false},
		{"404 with RetryNotFound", http.StatusNotFound, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n <= 3 {
					http.Error(w, "not now", tt.status)
					return
				}
				serve(w, r, data, `"v1"`)
			})
			dest := filepath.Join(t.TempDir(), "f")
			f, logs := newTestFetcher(t, Options{RetryNotFound: tt.notFound})
			res := f.Fetch(t.Context(), Job{URL: srv.URL + "/f", Dest: dest})
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if srv.requests() != 4 {
				t.Errorf("%d requests, want 4", srv.requests())
			}
			assertContent(t, dest, data)
			if n := strings.Count(logs.String(), "msg=retrying"); n != 1 {
				t.Errorf("%d retrying lines, want 1 (one per change of reason):\n%s", n, logs)
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		serve(w, r, []byte("ok"), `"v1"`)
	})
	f, _ := newTestFetcher(t, Options{})
	res := f.Fetch(t.Context(), Job{URL: srv.URL + "/f", Dest: filepath.Join(t.TempDir(), "f")})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	srv.mu.Lock()
	gap := srv.times[1].Sub(srv.times[0])
	srv.mu.Unlock()
	if gap < 900*time.Millisecond {
		t.Errorf("retried after %v, want the 1 s that Retry-After asked for", gap)
	}
}

func TestNotFoundFailsWithoutFile(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { http.Error(w, "no such model", 404) })
	dir := t.TempDir()
	f, _ := newTestFetcher(t, Options{})
	res := f.Fetch(t.Context(), Job{URL: srv.URL + "/model.bin", Dest: filepath.Join(dir, "model.bin")})
	var se *StatusError
	if !errors.As(res.Err, &se) || se.Code != 404 {
		t.Fatalf("got %v, want status 404", res.Err)
	}
	if !strings.Contains(res.Err.Error(), "no such model") {
		t.Errorf("error %q does not quote the body", res.Err)
	}
	if names, _ := os.ReadDir(dir); len(names) != 0 {
		t.Errorf("%s holds %v, want nothing", dir, names)
	}
	if srv.requests() != 1 {
		t.Errorf("%d requests, want 1: 404 is not retried by default", srv.requests())
	}
}

func TestRedirectLoopFails(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		next := "/a"
		if r.URL.Path == "/a" {
			next = "/b"
		}
		http.Redirect(w, r, next, http.StatusFound)
	})
	dir := t.TempDir()
	f, _ := newTestFetcher(t, Options{})
	res := f.Fetch(t.Context(), Job{URL: srv.URL + "/a", Dest: filepath.Join(dir, "a")})
	var re *RedirectError
	if !errors.As(res.Err, &re) {
		t.Fatalf("got %v, want a redirect error", res.Err)
	}
	if n := srv.requests(); n > maxRedirects+1 {
		t.Errorf("%d requests: the loop was retried", n)
	}
	if names, _ := os.ReadDir(dir); len(names) != 0 {
		t.Errorf("%s holds %v, want nothing", dir, names)
	}
}

func TestSlowServerPastDeadline(t *testing.T) {
	data := randomData(t, 1<<20)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Content-Length", "1048576")
		w.Header().Set("ETag", `"v1"`)
		w.Write(data[:1000])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	dir := t.TempDir()
	dest := filepath.Join(dir, "data.bin")
	testfiles.File(t, dest, []byte("old"))
	f, _ := newTestFetcher(t, Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	res := f.Fetch(ctx, Job{URL: srv.URL + "/data.bin", Dest: dest})
	if !errors.Is(res.Err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the deadline", res.Err)
	}
	assertContent(t, dest, []byte("old"))
	if got := visible(dir); len(got) != 1 {
		t.Errorf("visible files %v, want only data.bin", got)
	}
	assertNoTemp(t, dir, true)
}

func TestStalledAttemptResumes(t *testing.T) {
	data := randomData(t, 1<<20)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Content-Length", "1048576")
			w.Header().Set("ETag", `"v1"`)
			w.Write(data[:5000])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		}
		serve(w, r, data, `"v1"`)
	})
	dest := filepath.Join(t.TempDir(), "data.bin")
	f, logs := newTestFetcher(t, Options{StallTimeout: 200 * time.Millisecond})
	res := f.Fetch(t.Context(), Job{URL: srv.URL + "/data.bin", Dest: dest})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	assertContent(t, dest, data)
	if !strings.Contains(logs.String(), "no data received") {
		t.Errorf("the stall is not logged:\n%s", logs)
	}
}

// TestRestartsFromZeroBackOff: a server that always cuts the body early
// and gives no validator makes each attempt start over, which is no
// progress: the pause must grow, not stay at RetryWaitMin.
func TestRestartsFromZeroBackOff(t *testing.T) {
	data := randomData(t, 64<<10)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { cut(t, w, data, 1000, "") })
	f, _ := newTestFetcher(t, Options{RetryWaitMin: 50 * time.Millisecond, RetryWaitMax: 10 * time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	res := f.Fetch(ctx, Job{URL: srv.URL + "/f", Dest: filepath.Join(t.TempDir(), "f")})
	if !errors.Is(res.Err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the deadline", res.Err)
	}
	// Pauses of 50, 100, 200, 400 ms fit in 1 s; 50 ms each would be 20.
	if n := srv.requests(); n > 6 {
		t.Errorf("%d requests in 1 s: the pause between restarts did not grow", n)
	}
}

// A body cut off, then a request that gets no answer before the deadline:
// the message names the cut, the last thing the server did, not only the
// deadline (under load the last attempt may not have begun to answer).
func TestDeadlineAfterCutNamesTheCut(t *testing.T) {
	data := randomData(t, 64<<10)
	// No validator: the next request starts over, and gets no answer at all.
	srv := newServer(t, cutFirst(t, data, 1000, "", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	f, _ := newTestFetcher(t, Options{})
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	res := f.Fetch(ctx, Job{URL: srv.URL + "/data.bin", Dest: filepath.Join(t.TempDir(), "data.bin")})
	if res.Err == nil || !errors.Is(res.Err, context.DeadlineExceeded) || !strings.Contains(res.Err.Error(), "last:") {
		t.Fatalf("got %v, want the deadline with the cut as the last reason", res.Err)
	}
}
