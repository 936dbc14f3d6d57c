package fetch

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const benchSize = 64 << 20

// BenchmarkPump is the hot path without network or disk: chunks read from
// memory, hashed with SHA-256 in the stage beside the reader.
func BenchmarkPump(b *testing.B) {
	data := randomData(b, benchSize)
	b.SetBytes(benchSize)
	for b.Loop() {
		d := newDigests(false)
		if _, err := pump(b.Context(), bytes.NewReader(data), d.stages(io.Discard), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDownload is a verified download over loopback into a file:
// request, stream, hash, fsync, rename, manifest.
func BenchmarkDownload(b *testing.B) {
	data := randomData(b, benchSize)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "", time.Unix(1700000000, 0), bytes.NewReader(data))
	}))
	defer srv.Close()
	f, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	dest := filepath.Join(b.TempDir(), "f")
	job := Job{URL: srv.URL + "/f", Dest: dest, Want: Sums{SHA256: sha(data)}}
	b.SetBytes(benchSize)
	for b.Loop() {
		os.Remove(dest)
		if res := f.Fetch(b.Context(), job); res.Err != nil || res.Status != Downloaded {
			b.Fatal(res.Err, res.Status)
		}
	}
}

// BenchmarkSkip is a re-run whose file matches its checksum: hashing the
// file on disk, no request.
func BenchmarkSkip(b *testing.B) {
	data := randomData(b, benchSize)
	dest := filepath.Join(b.TempDir(), "f")
	if err := os.WriteFile(dest, data, 0o644); err != nil {
		b.Fatal(err)
	}
	f, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	job := Job{URL: "http://127.0.0.1:1/f", Dest: dest, Want: Sums{SHA256: sha(data)}}
	b.SetBytes(benchSize)
	for b.Loop() {
		if res := f.Fetch(b.Context(), job); res.Err != nil || res.Status != Skipped {
			b.Fatal(res.Err, res.Status)
		}
	}
}
