package main

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// absent is the short name dnsq's waiter waits for; it never appears.
const absent = "svc-absent"

// dnsq counts, at the server, the DNS queries of a waiter for a name that
// never appears. It answers every query NXDOMAIN, as dnsmasq with
// --local=/#/ does in dns_latency.py, on 127.0.0.1:53 over UDP and TCP; runs
// the waiter for until with {name} replaced by a short name; and prints the
// queries per second between from and until. Run it where /etc/resolv.conf
// names 127.0.0.1 with a search list: bench/perf.sh runs it in a network and
// mount namespace of its own.
func dnsq(cmd []string, from, until time.Duration) error {
	var mu sync.Mutex
	var all, n int
	types := map[string]int{}
	var start time.Time
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		mu.Lock()
		all++
		if time.Since(start) >= from {
			n++
			for _, q := range r.Question {
				types[dns.TypeToString[q.Qtype]]++
			}
		}
		mu.Unlock()
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeNameError)
		m.Authoritative, m.RecursionAvailable = true, true
		w.WriteMsg(m)
	})
	for _, network := range []string{"udp", "tcp"} {
		stop, err := serveDNS(network, h)
		if err != nil {
			return err
		}
		defer stop()
	}
	mu.Lock()
	start = time.Now()
	mu.Unlock()
	if _, err := runFor(cmd, until, "{name}", absent); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	fmt.Printf("dnsq queries_per_s=%.2f window=%s-%s queries=%d of %d types=%v name=%s cmd=%s\n",
		float64(n)/(until-from).Seconds(), from, until, n, all, types, absent, strings.Join(cmd, " "))
	return nil
}

// serveDNS starts a server on 127.0.0.1:53 and returns once it listens.
func serveDNS(network string, h dns.Handler) (stop func(), err error) {
	started := make(chan struct{})
	errc := make(chan error, 1)
	srv := &dns.Server{Addr: "127.0.0.1:53", Net: network, Handler: h, NotifyStartedFunc: func() { close(started) }}
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case <-started:
		return func() { srv.Shutdown() }, nil
	case err := <-errc:
		return nil, fmt.Errorf("dns server on %s: %w", network, err)
	}
}
