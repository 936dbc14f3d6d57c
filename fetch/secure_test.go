package fetch

import (
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/initbox/initbox/internal/option"
	"github.com/initbox/initbox/internal/testutil/testfiles"
)

func TestSecretsNeverLogged(t *testing.T) {
	secrets := []string{"hunter2", "s3cr3t-key", "tok-123", "qwerty"}
	data := randomData(t, 1<<20)
	// Another host (localhost, not 127.0.0.1) that must see no user header.
	other := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.Header.Get("X-Api-Key") != "" || r.Header.Get("Authorization") != "" {
			t.Errorf("a header with a secret reached another host after a redirect: %v", r.Header)
		}
		w.Write([]byte("elsewhere"))
	})
	otherURL, _ := url.Parse(other.URL)
	var dataRequests atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		// The bearer token wins over the URL's password for Authorization.
		if r.Header.Get("X-Api-Key") != "s3cr3t-key" || r.Header.Get("Authorization") != "Bearer tok-123" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		switch {
		case r.URL.Path == "/moved":
			http.Redirect(w, r, "http://localhost:"+otherURL.Port()+"/there", http.StatusFound)
		case r.URL.Path != "/data.bin":
			http.Error(w, "no such file", http.StatusNotFound)
		default:
			switch dataRequests.Add(1) {
			case 1:
				http.Error(w, "busy", http.StatusServiceUnavailable)
			case 2:
				cut(t, w, data, 100_000, `"v1"`)
			default:
				serve(w, r, data, `"v1"`)
			}
		}
	})
	dir := t.TempDir()
	keyFile, tokenFile := filepath.Join(dir, "key"), filepath.Join(dir, "token")
	testfiles.File(t, keyFile, []byte("s3cr3t-key\n"))
	testfiles.File(t, tokenFile, []byte("tok-123"))
	out := filepath.Join(dir, "out")
	f, logs := newTestFetcher(t, Options{HeaderFiles: []string{"X-Api-Key=" + keyFile}, BearerTokenFile: tokenFile})
	base := strings.Replace(srv.URL, "http://", "http://me:hunter2@", 1)
	results := f.All(t.Context(), []Job{
		{URL: base + "/data.bin?access_token=qwerty", Dir: out},
		{URL: base + "/missing.bin?access_token=qwerty", Dir: out},
		{URL: base + "/moved?access_token=qwerty", Dir: out},
	})
	if results[0].Err != nil || results[0].Status != Resumed {
		t.Fatalf("first job: %v, %s; want resumed after a retry", results[0].Err, results[0].Status)
	}
	if results[1].Err == nil {
		t.Fatal("second job: no error for a 404")
	}
	assertContent(t, filepath.Join(out, "moved"), []byte("elsewhere"))
	text := logs.String()
	for _, r := range results {
		text += r.URL + "\n"
		if r.Err != nil {
			text += r.Err.Error() + "\n"
		}
	}
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if strings.HasSuffix(p, ".json") { // partial downloads' manifests
			b, _ := os.ReadFile(p)
			text += string(b)
		}
		if b, _, err := readManifest(p, ""); err == nil {
			text += string(b)
		}
		return nil
	})
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%q appears in the logs, errors or manifests:\n%s", s, text)
		}
	}
	for _, want := range []string{"msg=retrying", "msg=resuming", "status 404"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q: the test did not take the paths it means to check:\n%s", want, text)
		}
	}
}

func TestTLSVerifiedByDefault(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("secure")) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	defer srv.Close()
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	testfiles.File(t, caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	f, _ := newTestFetcher(t, Options{})
	res := f.Fetch(t.Context(), Job{URL: srv.URL + "/f", Dest: filepath.Join(dir, "a")})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "certificate") {
		t.Fatalf("got %v, want a certificate error", res.Err)
	}
	for _, o := range []Options{{TLS: TLSOptions{CAFile: caFile}}, {TLS: TLSOptions{InsecureSkipVerify: true}}} {
		f, _ := newTestFetcher(t, o)
		res := f.Fetch(t.Context(), Job{URL: srv.URL + "/f", Dest: filepath.Join(dir, "b")})
		if res.Err != nil {
			t.Errorf("%+v: %v", o.TLS, res.Err)
		}
	}
	if _, err := New(Options{TLS: TLSOptions{CAFile: filepath.Join(dir, "a")}}); err == nil {
		t.Error("a CA file without certificates was accepted")
	}
}

func TestBadHeadersAreUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no colon", Options{Headers: []string{"Authorization Bearer abcdefgh123"}}, `want "Name: value"`},
		{"bad name", Options{Headers: []string{"Bad Name: x"}}, "not a valid header name"},
		{"range", Options{Headers: []string{"Range: bytes=0-"}}, "sets Range itself"},
		{"missing file", Options{HeaderFiles: []string{"X-Key=" + filepath.Join(dir, "none")}}, "none"},
		{"missing token", Options{BearerTokenFile: filepath.Join(dir, "none")}, string(option.BearerTokenFile)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a usage error about %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "abcdefgh123") {
				t.Errorf("the error shows the header value: %v", err)
			}
		})
	}
}
