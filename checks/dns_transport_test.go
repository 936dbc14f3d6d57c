package checks

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestDNSTimeout(t *testing.T) {
	s := startServer(t, func(dns.ResponseWriter, *dns.Msg) {}) // drops everything
	d := newTestDNS(t, s, "myservice", "search default.svc.cluster.local\n", DNSOptions{})
	// glibc would go on to the name as given, but the attempt's time is up.
	want := "myservice: no answer from " + s.addr + " within 200ms for myservice.default.svc.cluster.local"
	for range 2 { // the message must not change between identical attempts
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		start := time.Now()
		err := d.Check(ctx)
		cancel()
		// Generous: the point is that the deadline ends it (load may delay that).
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("attempt took %v, want about 200ms", took)
		}
		if err == nil || err.Error() != want {
			t.Errorf("got error %v, want %q", err, want)
		}
	}
}

func TestDNSCanceled(t *testing.T) {
	s := startServer(t, func(dns.ResponseWriter, *dns.Msg) {})
	d := newTestDNS(t, s, "db.", "", DNSOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	err := d.Check(ctx)
	if took := time.Since(start); err == nil || took > time.Second {
		t.Errorf("got %v after %v, want an error soon after cancel", err, took)
	}
}

func TestDNSConnectionRefused(t *testing.T) {
	addr := refusedAddr(t)
	d := newTestDNS(t, &testServer{addr: addr}, "db.", "", DNSOptions{})
	start := time.Now()
	_, _, err := resolve(t, d)
	if want := "db.: " + addr + ": connection refused"; err == nil || err.Error() != want {
		t.Errorf("got error %v, want %q", err, want)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %v, want no wait for the timeout", took)
	}
}

func TestDNSNextServer(t *testing.T) {
	bad := startServer(t, rcode(dns.RcodeServerFailure))
	silent := startServer(t, func(dns.ResponseWriter, *dns.Msg) {})
	good := startServer(t, zone(t, "db.test. 5 IN A 10.0.0.1"))
	d := newTestDNS(t, good, "db.test.", "", DNSOptions{})
	// resolv.conf cannot give ports, so set the servers it would list.
	// glibc gives server i of n (timeout << i) / n seconds: 1s each here.
	d.conf.servers, d.conf.timeout, d.conf.attempts = nil, 1, 1
	for _, s := range []*testServer{bad, silent, good} {
		d.conf.servers = append(d.conf.servers, netip.MustParseAddrPort(s.addr))
	}
	if _, answers, err := resolve(t, d); err != nil || len(answers) != 1 {
		t.Fatalf("got %v, %v; want ready from the third server", answers, err)
	}
	d.conf.servers = d.conf.servers[:2]
	_, _, err := resolve(t, d)
	want := "db.test.: SERVFAIL from " + bad.addr + ", then no answer from " + silent.addr + " within 1s"
	if err == nil || err.Error() != want {
		t.Errorf("got error %v, want %q", err, want)
	}
}

func TestDNSIPv6Server(t *testing.T) {
	if l, err := net.ListenPacket("udp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		l.Close()
	}
	s := startServerOn(t, "::1", zone(t, "db. 5 IN A 10.0.0.1"))
	if !strings.HasPrefix(s.addr, "[::1]:") {
		t.Fatalf("test server is on %s, want [::1]", s.addr)
	}
	d := newTestDNS(t, s, "db.", "", DNSOptions{})
	if err := d.Check(t.Context()); err != nil {
		t.Errorf("got %v, want ready", err)
	}
}

func TestDNSTruncated(t *testing.T) {
	records := zone(t, "big. 5 IN A 10.0.0.1")
	var tcpBroken atomic.Bool
	s := startServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		if _, ok := w.RemoteAddr().(*net.TCPAddr); !ok {
			m := new(dns.Msg).SetReply(r)
			m.Truncated = true
			w.WriteMsg(m)
		} else if tcpBroken.Load() {
			w.Close()
		} else {
			records(w, r)
		}
	})
	d := newTestDNS(t, s, "big.", "", DNSOptions{})
	if err := d.Check(t.Context()); err != nil {
		t.Fatalf("got %v, want ready over TCP", err)
	}
	if got := s.tcp.Load(); got != 2 {
		t.Errorf("got %d TCP queries, want 2 (A and AAAA)", got)
	}

	tcpBroken.Store(true)
	want := "big.: truncated UDP answer from " + s.addr + ", TCP retry failed: EOF" // the name once
	if err := d.Check(t.Context()); err == nil || err.Error() != want {
		t.Errorf("got error %v, want %q", err, want)
	}
}

func TestDNSOversizedAnswer(t *testing.T) {
	// Without TC, an answer too big for the read buffer arrives cut short;
	// only TCP can get it whole.
	var records []string
	for i := range 300 {
		records = append(records, fmt.Sprintf("big. 5 IN A 10.0.%d.%d", i/250, i%250))
	}
	s := startServer(t, zone(t, records...))
	d := newTestDNS(t, s, "big.", "", DNSOptions{MinRecords: 300})
	if _, answers, err := resolve(t, d); err != nil || len(answers) != 300 {
		t.Fatalf("got %d answers, %v; want 300", len(answers), err)
	}
	if got := s.tcp.Load(); got != 1 {
		t.Errorf("got %d TCP queries, want 1", got)
	}
}

func TestDNSConcurrentChecks(t *testing.T) {
	s := startServer(t, zone(t, "myservice.cluster.local. 5 IN A 10.0.0.1"))
	d := newTestDNS(t, s, "myservice", "search default.svc.cluster.local cluster.local\n", DNSOptions{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if err := d.Check(t.Context()); err != nil {
					t.Errorf("got %v, want ready", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestDNSIgnoresStrayAnswers(t *testing.T) {
	records := zone(t, "db. 5 IN A 10.0.0.1")
	s := startServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		stray := new(dns.Msg).SetRcode(r, dns.RcodeServerFailure)
		stray.Id++
		w.WriteMsg(stray) // wrong ID
		stray = new(dns.Msg).SetRcode(r, dns.RcodeServerFailure)
		stray.Question[0].Qtype = dns.TypeMX
		w.WriteMsg(stray)     // wrong question
		w.Write([]byte{1, 2}) // garbage
		records(w, r)
	})
	d := newTestDNS(t, s, "db.", "", DNSOptions{})
	if err := d.Check(t.Context()); err != nil {
		t.Errorf("got %v, want ready despite stray packets", err)
	}
}
