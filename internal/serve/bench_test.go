package serve

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/initbox/initbox/checks"
)

// BenchmarkAnswer is the cost of one answer about 100 targets, without the
// network: all ready (/readyz answers "ok"), or none (it lists them all).
func BenchmarkAnswer(b *testing.B) {
	for _, state := range []struct{ name, path string }{{"ready", "/"}, {"failing", "/nonexistent"}} {
		h := monitored(b, state.path)
		for _, path := range []string{"/readyz", "/readyz?format=json", "/metrics"} {
			b.Run(state.name+path, func(b *testing.B) {
				req := httptest.NewRequest("GET", path, nil)
				for b.Loop() {
					h.ServeHTTP(&response{header: http.Header{}}, req)
				}
			})
		}
	}
}

// monitored is the handler of 100 file targets, each checked once.
func monitored(b *testing.B, path string) *Handler {
	var cs []checks.Checker
	for i := range 100 {
		c, err := checks.Parse(fmt.Sprintf("file://%s?%d", path, i), checks.Options{})
		if err != nil {
			b.Fatal(err)
		}
		cs = append(cs, c)
	}
	m := checks.NewMonitor(cs)
	m.Interval = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	for m.Status()[99].Checks == 0 {
		time.Sleep(time.Millisecond)
	}
	return New(m, false)
}
