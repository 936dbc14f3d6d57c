package checks

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Resolver names the C library whose rule a DNS check follows.
type Resolver int

const (
	// ResolverGlibc is glibc's rule (Debian, Ubuntu, distroless): see
	// attempt.search.
	ResolverGlibc Resolver = iota
	// ResolverMusl is musl's rule (Alpine): see attempt.searchMusl.
	ResolverMusl
)

// ParseResolver reads a Resolver by name: glibc or musl; empty is glibc.
func ParseResolver(s string) (Resolver, error) {
	switch strings.ToLower(s) {
	case "", "glibc":
		return ResolverGlibc, nil
	case "musl":
		return ResolverMusl, nil
	}
	return 0, fmt.Errorf("resolver %q: want glibc or musl", s)
}

// searchMusl asks for the name the way musl 1.2's getaddrinfo does
// (src/network/lookup_name.c, name_from_dns_search): a name with ndots
// dots or a trailing dot is asked as given, alone; otherwise each search
// domain, going on only after NXDOMAIN, then the name as given. Anything
// else at a search domain (NODATA, SERVFAIL, REFUSED, no answer) ends the
// lookup with an error. Other record types than addresses go through musl's
// res_search, which is res_query: the name as given only.
func (a *attempt) searchMusl(ctx context.Context) {
	name := strings.TrimSuffix(a.d.name, ".")
	search := a.d.conf.search
	if !a.d.anyAddr && a.d.qtype != dns.TypeA && a.d.qtype != dns.TypeAAAA ||
		strings.Count(name, ".") >= a.d.conf.ndots || strings.HasSuffix(a.d.name, ".") {
		search = nil
	}
	for _, domain := range search {
		if expired(ctx) {
			return
		}
		c := a.queryMusl(ctx, dns.Fqdn(name)+strings.TrimPrefix(domain, "."))
		if c.outcome == found {
			return
		}
		if c.outcome != nxdomain {
			a.stoppedAt = c.name
			return
		}
	}
	if !expired(ctx) {
		a.queryMusl(ctx, dns.Fqdn(name))
	}
}

// queryMusl asks every server at once, as musl's __res_msend does: the
// first NOERROR or NXDOMAIN reply to each question, from any server, wins;
// SERVFAIL is asked again once, REFUSED and other codes are ignored;
// unanswered questions go out again every timeout/attempts, until timeout.
// A truncated reply is taken as it is: musl 1.2.3 has no TCP fallback.
func (a *attempt) queryMusl(ctx context.Context, name string) *candidate {
	if c, ok := a.remembered(name); ok {
		return c
	}
	a.cands = append(a.cands, candidate{name: name})
	c := &a.cands[len(a.cands)-1]
	if !nameFits(name) {
		c.outcome, c.fails = failed, []string{"name too long"}
		return c
	}
	m := newMuslExchange(a.d, name)
	if err := m.run(ctx); err != "" {
		c.outcome, c.fails = failed, []string{err}
		return c
	}
	m.settle(c)
	return c
}

// muslExchange is one candidate's questions to all servers at once.
type muslExchange struct {
	d        *DNS
	qs       []*dns.Msg
	replies  []*dns.Msg
	servers  []*net.UDPAddr
	retried  map[string]bool // server+question asked again after SERVFAIL
	ignored  []string        // replies that did not count, for messages
	timeout  time.Duration
	interval time.Duration
}

func newMuslExchange(d *DNS, name string) *muslExchange {
	m := &muslExchange{d: d, retried: map[string]bool{}}
	m.timeout = time.Duration(d.conf.timeout) * time.Second
	m.interval = m.timeout / time.Duration(d.conf.attempts)
	m.qs = d.questions(name) // no EDNS0: musl sends none
	m.replies = make([]*dns.Msg, len(m.qs))
	for _, s := range d.conf.servers {
		m.servers = append(m.servers, net.UDPAddrFromAddrPort(s))
	}
	return m
}

// run sends and listens until every question has its reply, the timeout
// passes or ctx ends. It returns why it failed to ask, or "".
func (m *muslExchange) run(ctx context.Context) string {
	sock, err := m.d.conns.get(netip.AddrPort{}, func() (*net.UDPConn, error) { return net.ListenUDP("udp", nil) })
	if err != nil {
		return errText(err)
	}
	conn := sock.conn
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
	defer func() { m.d.conns.put(netip.AddrPort{}, sock, stop() && !slices.Contains(m.replies, nil)) }()
	end := time.Now().Add(m.timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(end) {
		end = dl
	}
	buf := make([]byte, 3*udpSize)
	for next := time.Now(); slices.Contains(m.replies, nil); {
		if now := time.Now(); !now.Before(next) {
			m.sendUnanswered(conn)
			next = now.Add(m.interval)
		}
		if next.Before(end) {
			conn.SetReadDeadline(next)
		} else {
			conn.SetReadDeadline(end)
		}
		n, from, err := conn.ReadFromUDP(buf)
		if err != nil && !isTimeout(err) || expired(ctx) || !time.Now().Before(end) {
			return ""
		}
		if err == nil {
			m.handle(conn, buf[:n], from)
		}
	}
	return ""
}

func (m *muslExchange) sendUnanswered(conn *net.UDPConn) {
	for j, q := range m.qs {
		if m.replies[j] != nil {
			continue
		}
		pkt, err := q.Pack()
		if err != nil {
			continue
		}
		for _, s := range m.servers {
			conn.WriteToUDP(pkt, s)
		}
	}
}

// handle takes in a reply from one of the servers to one of the questions.
func (m *muslExchange) handle(conn *net.UDPConn, pkt []byte, from *net.UDPAddr) {
	src := netip.AddrPortFrom(from.AddrPort().Addr().Unmap(), from.AddrPort().Port())
	if !slices.ContainsFunc(m.servers, func(s *net.UDPAddr) bool { return s.AddrPort() == src }) {
		return // from a dual-stack socket, IPv4 senders are v4-mapped
	}
	r := new(dns.Msg)
	if r.Unpack(pkt) != nil && !r.Truncated {
		return
	}
	j := slices.IndexFunc(m.qs, func(q *dns.Msg) bool { return answers(r, q) })
	if j < 0 || m.replies[j] != nil {
		return
	}
	switch r.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
		m.replies[j] = r
	case dns.RcodeServerFailure:
		key := from.String() + "/" + fmt.Sprint(j)
		if !m.retried[key] {
			m.retried[key] = true
			if pkt, err := m.qs[j].Pack(); err == nil {
				conn.WriteToUDP(pkt, from)
			}
		}
		fallthrough
	default:
		why := rcodeText(r.Rcode) + " from " + from.String()
		if !slices.Contains(m.ignored, why) {
			m.ignored = append(m.ignored, why)
		}
	}
}

// settle judges the replies as musl's name_from_dns does, question by
// question: no reply fails, NXDOMAIN goes on to the next name, and
// NOERROR without records is NODATA, which ends the search.
func (m *muslExchange) settle(c *candidate) {
	for j, r := range m.replies {
		switch {
		case r == nil:
			why := fmt.Sprintf("no usable answer within %v", roundBudget(m.timeout))
			if len(m.ignored) > 0 {
				why += " (ignored " + strings.Join(m.ignored, ", ") + ")"
			}
			c.outcome, c.fails = failed, []string{why}
			return
		case r.Rcode == dns.RcodeNameError:
			c.outcome = nxdomain
			return
		}
		q := m.qs[j].Question[0]
		c.values = append(c.values, answerValues(r, q.Name, q.Qtype)...)
	}
	c.outcome = nodata
	if len(c.values) > 0 {
		c.outcome = found
	}
}
