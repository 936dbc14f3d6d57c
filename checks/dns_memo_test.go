package checks

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// stopClock stops d's memo clock at a moment the test moves on by hand.
func stopClock(d *DNS) *time.Time {
	now := time.Unix(1e9, 0)
	d.memo.clock = func() time.Time { return now }
	return &now
}

// asked returns the questions s got since the first n.
func asked(s *testServer, n int) []string { return s.questions()[n:] }

// switchable answers from one of two zones, as the test says.
func switchable(t *testing.T, before, after dns.HandlerFunc) (dns.HandlerFunc, *atomic.Bool) {
	t.Helper()
	var on atomic.Bool
	return func(w dns.ResponseWriter, r *dns.Msg) {
		if on.Load() {
			after(w, r)
			return
		}
		before(w, r)
	}, &on
}

func TestDNSWaitAsksOtherNamesLessOften(t *testing.T) {
	s := startServer(t, rcode(dns.RcodeNameError))
	d := newTestDNS(t, s, "svc", podResolvConf, DNSOptions{})
	now := stopClock(d)
	all := []string{
		"svc.default.svc.cluster.local. A", "svc.default.svc.cluster.local. AAAA",
		"svc.svc.cluster.local. A", "svc.svc.cluster.local. AAAA",
		"svc.cluster.local. A", "svc.cluster.local. AAAA",
		"svc. A", "svc. AAAA",
	}
	first := all[:2]
	want := "svc: NXDOMAIN for svc.default.svc.cluster.local, svc.svc.cluster.local, svc.cluster.local, svc"
	for i, step := range []struct {
		after time.Duration // since the last step
		asks  []string
	}{
		{0, all},
		{100 * time.Millisecond, first},
		{800 * time.Millisecond, first},
		{100 * time.Millisecond, all}, // the run is 1s old: held minHold
		{999 * time.Millisecond, first},
		{time.Millisecond, all},
		{10 * time.Second, all},
		{time.Second, first}, // 12s old: held 12s/6
		{999 * time.Millisecond, first},
		{time.Millisecond, all},
		{time.Hour, all}, // held maxHold
		{maxHold - time.Millisecond, first},
		{time.Millisecond, all},
	} {
		*now = now.Add(step.after)
		n := len(s.questions())
		err := d.Check(t.Context())
		if err == nil || err.Error() != want {
			t.Fatalf("step %d: got %v, want %q", i, err, want)
		}
		if got := sorted(asked(s, n)); !slices.Equal(got, sorted(slices.Clone(step.asks))) {
			t.Errorf("step %d: asked %v, want %v", i, got, step.asks)
		}
	}
}

func TestDNSWaitConfirmsAReadyNameWithEveryName(t *testing.T) {
	// svc.svc.cluster.local is remembered as NXDOMAIN when records come
	// for it and for svc.cluster.local, which SERVFAIL kept from the memo:
	// the name a program gets is the earlier one.
	before := func(w dns.ResponseWriter, r *dns.Msg) {
		if r.Question[0].Name == "svc.cluster.local." {
			rcode(dns.RcodeServerFailure)(w, r)
			return
		}
		rcode(dns.RcodeNameError)(w, r)
	}
	h, on := switchable(t, before, zone(t, "svc.svc.cluster.local. 5 IN A 10.0.0.1", "svc.cluster.local. 5 IN A 10.0.0.2"))
	s := startServer(t, h)
	d := newTestDNS(t, s, "svc", podResolvConf, DNSOptions{})
	stopClock(d)
	if err := d.Check(t.Context()); err == nil {
		t.Fatal("got ready before the records exist")
	}
	on.Store(true)
	got, err := d.CheckDetail(t.Context())
	if want := "svc.svc.cluster.local 10.0.0.1"; got != want || err != nil {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
}

func TestDNSWaitGoneAtOnce(t *testing.T) {
	// Found through the third name while the second is remembered as
	// NXDOMAIN: when the record goes, the next attempt proves it gone.
	h, on := switchable(t, zone(t, "svc.cluster.local. 5 IN A 10.0.0.2"), rcode(dns.RcodeNameError))
	s := startServer(t, h)
	d := newTestDNS(t, s, "svc", podResolvConf, DNSOptions{})
	stopClock(d)
	g := Gone(d).(Detailer)
	if _, err := g.CheckDetail(t.Context()); err == nil {
		t.Fatal("got gone while the record exists")
	}
	on.Store(true)
	want := "svc: NXDOMAIN for svc.default.svc.cluster.local, svc.svc.cluster.local, svc.cluster.local, svc"
	if got, err := g.CheckDetail(t.Context()); got != want || err != nil {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
}

func TestDNSWaitDoesNotProveFromMemory(t *testing.T) {
	// A definite NXDOMAIN from memory is not a proof of gone: the first
	// such verdict is asked of every name, later ones repeat it unmarked.
	s := startServer(t, rcode(dns.RcodeNameError))
	d := newTestDNS(t, s, "svc", podResolvConf, DNSOptions{})
	stopClock(d)
	for i, want := range []bool{true, false, false} {
		_, _, err := d.paced(t.Context())
		if got := absent(d, err); got != want {
			t.Errorf("attempt %d: got definite %v (%v), want %v", i+1, got, err, want)
		}
	}
	if got, want := len(s.questions()), 8+2+2; got != want {
		t.Errorf("asked %d questions, want %d", got, want)
	}
}

func TestDNSWaitKeepsItsSocket(t *testing.T) {
	var mu sync.Mutex
	ports := map[string]bool{}
	records := zone(t, "db. 5 IN A 10.0.0.1")
	var drop atomic.Bool
	s := startServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		mu.Lock()
		ports[w.RemoteAddr().String()] = true
		mu.Unlock()
		if !drop.Load() {
			records(w, r)
		}
	})
	d := newTestDNS(t, s, "db.", "", DNSOptions{})
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := len(ports)
		clear(ports)
		return n
	}
	for range 5 {
		if err := d.Check(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n != 1 {
		t.Errorf("5 attempts came from %d ports, want 1", n)
	}
	// An attempt that timed out may still get its answer: its socket is
	// not used again.
	drop.Store(true)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := d.Check(ctx); err == nil {
		t.Fatal("got ready from a silent server")
	}
	drop.Store(false)
	if err := d.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Errorf("a timeout and the attempt after came from %d ports, want 2", n)
	}
}

func TestDNSWaitRenewsItsSocket(t *testing.T) {
	var ports []string
	var mu sync.Mutex
	records := zone(t, "db. 5 IN A 10.0.0.1")
	s := startServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		mu.Lock()
		if p := w.RemoteAddr().String(); !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
		mu.Unlock()
		records(w, r)
	})
	d := newTestDNS(t, s, "db.", "", DNSOptions{})
	for range maxUses + 1 {
		if err := d.Check(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ports) != 2 {
		t.Errorf("%d attempts came from %d ports, want 2", maxUses+1, len(ports))
	}
}

func TestDNSWaitMuslAsksOtherNamesLessOften(t *testing.T) {
	s := startServer(t, rcode(dns.RcodeNameError))
	d := newTestDNS(t, s, "svc", podResolvConf, DNSOptions{Resolver: ResolverMusl})
	stopClock(d)
	for range 3 {
		if err := d.Check(t.Context()); err == nil || !strings.Contains(err.Error(), "NXDOMAIN") {
			t.Fatalf("got %v, want NXDOMAIN", err)
		}
	}
	if got, want := len(s.questions()), 8+2+2; got != want {
		t.Errorf("asked %d questions, want %d: %v", got, want, s.questions())
	}
}

// BenchmarkDNSWaitAttempt measures an attempt of a wait for a name not
// there yet, through a pod's search list: the first name asked, the others
// remembered.
func BenchmarkDNSWaitAttempt(b *testing.B) {
	d := newTestDNS(b, startServer(b, rcode(dns.RcodeNameError)), "myservice", podResolvConf, DNSOptions{})
	stopClock(d)
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Check(b.Context()); err == nil || !strings.Contains(err.Error(), "NXDOMAIN") {
			b.Fatalf("got %v, want NXDOMAIN", err)
		}
	}
}
