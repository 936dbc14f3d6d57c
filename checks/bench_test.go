package checks

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/initbox/initbox/internal/testutil/faults"
	"github.com/initbox/initbox/internal/testutil/testnet"
)

// The cost of one attempt is what a long wait pays ten times a second.

func BenchmarkTCPAttemptRefused(b *testing.B) {
	late := testnet.NewLate(b)
	c := mustParseB(b, "tcp://"+late.Addr)
	for b.Loop() {
		if c.Check(b.Context()) == nil {
			b.Fatal("ready")
		}
	}
}

func BenchmarkTCPAttemptOpen(b *testing.B) {
	c := mustParseB(b, "tcp://"+faults.AcceptClose(b))
	for b.Loop() {
		if err := c.Check(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHTTPAttempt(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := mustParseB(b, srv.URL)
	for b.Loop() {
		if err := c.Check(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

func mustParseB(b *testing.B, target string) Checker {
	b.Helper()
	c, err := Parse(target, Options{})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkHTTPAttemptRefused(b *testing.B) {
	late := testnet.NewLate(b)
	c := mustParseB(b, "http://"+late.Addr+"/healthz")
	for b.Loop() {
		if c.Check(b.Context()) == nil {
			b.Fatal("ready")
		}
	}
}
