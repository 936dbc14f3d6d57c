package faults

import (
	"net"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

// DNSFault is how a DNS server misbehaves.
type DNSFault int

const (
	ServFail DNSFault = iota // answer SERVFAIL
	Drop                     // never answer
	Truncate                 // set TC over UDP, and over TCP drop the connection
	WrongID                  // answer with a different message ID
	NXDomain                 // the name does not exist (a well-behaved "no")
)

// DNS is a DNS server on 127.0.0.1 (UDP and TCP on the same port) that
// misbehaves as Fault says.
type DNS struct {
	Addr    string // host:port
	Fault   DNSFault
	queries atomic.Int64
}

// Queries is the number of queries the server has received.
func (d *DNS) Queries() int64 { return d.queries.Load() }

// NewDNS starts a misbehaving DNS server for the test.
func NewDNS(t testing.TB, fault DNSFault) *DNS {
	t.Helper()
	pc, ln := testnet.ListenBoth(t, "127.0.0.1")
	d := &DNS{Addr: pc.LocalAddr().String(), Fault: fault}
	h := dns.HandlerFunc(d.serve)
	udp := &dns.Server{PacketConn: pc, Handler: h}
	tcp := &dns.Server{Listener: ln, Handler: h}
	for _, s := range []*dns.Server{udp, tcp} {
		started := make(chan struct{})
		s.NotifyStartedFunc = func() { close(started) }
		go s.ActivateAndServe()
		<-started
		t.Cleanup(func() { s.Shutdown() })
	}
	return d
}

func (d *DNS) serve(w dns.ResponseWriter, req *dns.Msg) {
	d.queries.Add(1)
	m := new(dns.Msg)
	m.SetReply(req)
	_, tcp := w.RemoteAddr().(*net.TCPAddr)
	switch d.Fault {
	case Drop:
		return
	case ServFail:
		m.Rcode = dns.RcodeServerFailure
	case NXDomain:
		m.Rcode = dns.RcodeNameError
	case WrongID:
		m.Id = req.Id + 1
		m.Answer = []dns.RR{localA(req)}
	case Truncate:
		if tcp {
			w.Close()
			return
		}
		m.Truncated = true
	}
	w.WriteMsg(m)
}

func localA(req *dns.Msg) dns.RR {
	return &dns.A{
		Hdr: dns.RR_Header{Name: req.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 0},
		A:   net.IPv4(10, 0, 0, 1),
	}
}
