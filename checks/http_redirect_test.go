package checks

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// redirectServer serves /to?loc=L (302 to L), /hop/N (a chain of N
// redirects ending in /ok), /loop, /ok (200), /bad (503) and /moved (301 to
// /bad/, which is 503: the /healthz → /healthz/ case).
func redirectServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/to", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("loc"), http.StatusFound)
	})
	mux.HandleFunc("/hop/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			http.Redirect(w, r, "/ok", http.StatusTemporaryRedirect)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/bad/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/bad/", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPRedirects(t *testing.T) {
	srv := redirectServer(t)
	other := redirectServer(t) // another port, same host name
	otherHost := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	type want struct {
		ready bool
		warn  string // a part of the warning; "" for none
	}
	tests := []struct {
		path string
		mode Redirects
		want want
	}{
		{"/moved", RedirectsSameHost, want{false, ""}},
		{"/moved", RedirectsAll, want{false, ""}},
		{"/moved", RedirectsNone, want{true, ""}},
		{"/to?loc=" + other.URL + "/bad/", RedirectsSameHost, want{false, ""}},
		{"/to?loc=" + other.URL + "/ok", RedirectsSameHost, want{true, ""}},
		{"/to?loc=" + otherHost + "/bad/", RedirectsSameHost, want{true, "another host"}},
		{"/to?loc=" + otherHost + "/bad/", RedirectsAll, want{false, ""}},
		{"/loop", RedirectsSameHost, want{false, ""}},
		{"/loop", RedirectsAll, want{false, ""}},
		{"/hop/8", RedirectsSameHost, want{true, ""}}, // 9 redirects
		{"/hop/9", RedirectsSameHost, want{false, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String()+tt.path, func(t *testing.T) {
			c := mustParse(t, srv.URL+tt.path, Options{HTTP: HTTPOptions{Redirects: tt.mode}}).(*HTTP)
			warn, err := c.CheckWarn(t.Context())
			if (err == nil) != tt.want.ready || !strings.Contains(warn, tt.want.warn) || (tt.want.warn == "") != (warn == "") {
				t.Errorf("got warning %q, error %v; want ready=%v with a warning like %q", warn, err, tt.want.ready, tt.want.warn)
			}
		})
	}
}

func TestHTTPTooManyRedirects(t *testing.T) {
	srv := redirectServer(t)
	err := mustParse(t, srv.URL+"/loop", Options{}).Check(t.Context())
	if !errors.Is(err, ErrTooManyRedirects) {
		t.Errorf("got %v, want ErrTooManyRedirects", err)
	}
}

func TestParseRedirects(t *testing.T) {
	for _, r := range []Redirects{RedirectsSameHost, RedirectsAll, RedirectsNone} {
		if got, err := ParseRedirects(strings.ToUpper(r.String())); err != nil || got != r {
			t.Errorf("ParseRedirects(%q) = %v, %v", r, got, err)
		}
	}
	if _, err := ParseRedirects("some"); err == nil {
		t.Error("ParseRedirects(some): got no error")
	}
}

func TestHTTPStalledBody(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	w := &Waiter{Policy: Policy{AttemptTimeout: 300 * time.Millisecond}}
	_, err := runAttempt(t.Context(), mustParse(t, srv.URL, Options{}), w.AttemptTimeout)
	var be *BodyError
	if !errors.As(err, &be) || be.Code != 200 || be.Read != len("partial") {
		t.Errorf("got %v, want a BodyError after 7 bytes of a 200", err)
	}
}

func TestHTTPProbeHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d|%s|%s|%v", len(r.Header), r.UserAgent(), r.Header.Get("Accept"), r.Header["Accept"] != nil)
	}))
	defer srv.Close()
	for _, tt := range []struct {
		opts HTTPOptions
		want string
	}{
		{HTTPOptions{}, "3|initbox|*/*|true"}, // Accept, Connection, User-Agent
		{HTTPOptions{UserAgent: "initbox/v1.2.3"}, "3|initbox/v1.2.3|*/*|true"},
		{HTTPOptions{UserAgent: "initbox/v1", Headers: []string{"User-Agent: probe/2", "Accept: text/plain"}}, "3|probe/2|text/plain|true"},
		{HTTPOptions{Headers: []string{"Accept:"}}, "2|initbox||false"},
	} {
		tt.opts.ExpectBody = tt.want
		c := mustParse(t, srv.URL, Options{HTTP: tt.opts})
		if err := c.Check(t.Context()); err != nil {
			t.Errorf("%+v: %v", tt.opts, err)
		}
	}
}
