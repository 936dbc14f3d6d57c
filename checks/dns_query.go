package checks

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"time"

	"github.com/miekg/dns"
)

const (
	// udpSize is the EDNS0 buffer size recommended by DNS flag day 2020: big
	// enough for most answers, small enough to avoid IP fragmentation.
	udpSize = 1232
	// maxChain bounds how many CNAMEs are followed, in case of a loop.
	maxChain = 16
)

// reply is what one server said about one candidate.
type reply struct {
	final    bool     // an answer that settles the candidate
	values   []string // its records, when final
	nxdomain bool     // final: the name does not exist
	fail     string   // why not final
	heard    bool     // the server answered or timed out, glibc's gotsomewhere
	// rcodeFirst is the rcode of the reply to the first question, -1 if none
	// came: glibc keeps it in its answer buffer.
	rcodeFirst int
}

// exchange is one server's conversation about one candidate: the first
// question, and AAAA too for an address, on one connected UDP socket. Being
// connected, the socket hears of ICMP port unreachable, so a server that
// is not listening fails fast instead of timing out.
type exchange struct {
	conn     *net.UDPConn
	sock     *pooled // conn, kept between attempts
	server   string
	deadline time.Time
	wait     time.Duration // what the server was given, for messages
	qs       []*dns.Msg
	replies  []*dns.Msg
	sent     int
	strays   int    // packets that answered no question asked
	fail     string // why the exchange ended without every reply
	heard    bool   // the server answered or timed out, glibc's gotsomewhere
}

// ask puts the candidate's questions to server i, as glibc's send_dg does:
// both at once unless options single-request, each reply matched by ID and
// question, a truncated one asked again over TCP.
func (a *attempt) ask(ctx context.Context, i int, name string) reply {
	x := a.newExchange(ctx, i, name)
	if x.conn != nil {
		stop := context.AfterFunc(ctx, func() { x.conn.SetReadDeadline(time.Unix(1, 0)) })
		x.converse(ctx, a.d.conf.singleRequest)
		clean := stop() && x.fail == "" && !x.pending()
		a.d.conns.put(a.d.conf.servers[i], x.sock, clean)
	}
	return x.reply(a.d)
}

// questions returns the queries for name, with ids in a row from a random
// one: the wanted type, and AAAA as well when any address will do.
func (d *DNS) questions(name string) []*dns.Msg {
	qtypes := []uint16{d.qtype}
	if d.anyAddr {
		qtypes = append(qtypes, dns.TypeAAAA)
	}
	id := uint16(rand.Uint32())
	qs := make([]*dns.Msg, len(qtypes))
	for j, t := range qtypes {
		qs[j] = &dns.Msg{
			MsgHdr:   dns.MsgHdr{Id: id + uint16(j), RecursionDesired: true},
			Question: []dns.Question{{Name: name, Qtype: t, Qclass: dns.ClassINET}},
		}
	}
	return qs
}

func (a *attempt) newExchange(ctx context.Context, i int, name string) *exchange {
	server := a.d.conf.servers[i]
	x := &exchange{server: server.String(), wait: time.Duration(a.d.conf.wait(i)) * time.Second}
	x.deadline = time.Now().Add(x.wait)
	if dl, ok := ctx.Deadline(); ok && dl.Before(x.deadline) {
		x.deadline, x.wait = dl, time.Until(dl)
		if !a.started {
			// Measured from the attempt's start, the budget is the same
			// at every attempt however late a loaded machine ran it, so
			// the reason does not change (and is not logged) each time.
			x.wait = dl.Sub(a.start)
		}
	}
	a.started = true
	x.qs = a.d.questions(name)
	for _, m := range x.qs {
		m.SetEdns0(udpSize, false)
	}
	x.replies = make([]*dns.Msg, len(x.qs))
	sock, err := a.d.conns.get(server, func() (*net.UDPConn, error) {
		return net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(server))
	})
	if err != nil {
		x.fail = x.server + ": " + errText(err)
		return x
	}
	x.sock, x.conn = sock, sock.conn
	x.conn.SetReadDeadline(x.deadline)
	return x
}

// converse sends the questions and reads replies until each has one or the
// wait is over.
func (x *exchange) converse(ctx context.Context, oneAtATime bool) {
	buf := make([]byte, 3*udpSize)
	for x.fail == "" && x.pending() {
		for x.sent < len(x.qs) && (!oneAtATime || x.sent == x.answered()) {
			if err := x.send(); err != nil {
				x.fail = x.server + ": " + errText(err)
				return
			}
		}
		n, err := x.conn.Read(buf)
		if err != nil {
			x.fail = x.readFailure(ctx, err)
			return
		}
		x.heard = true
		// A datagram that fills the buffer may have been cut short.
		x.handle(ctx, buf[:n], n == len(buf))
	}
}

func (x *exchange) send() error {
	pkt, err := x.qs[x.sent].Pack()
	if err == nil {
		_, err = x.conn.Write(pkt)
	}
	x.sent++
	return err
}

func (x *exchange) answered() int {
	n := 0
	for _, r := range x.replies {
		if r != nil {
			n++
		}
	}
	return n
}

func (x *exchange) pending() bool { return x.answered() < len(x.qs) }

// handle takes in one packet. Packets that answer no question asked are
// late answers to an earlier attempt, or spoofed, and are skipped.
func (x *exchange) handle(ctx context.Context, pkt []byte, cut bool) {
	m := new(dns.Msg)
	unpackErr := m.Unpack(pkt)
	j := -1
	for k, q := range x.qs[:x.sent] {
		if x.replies[k] == nil && answers(m, q) {
			j = k
		}
	}
	if j < 0 {
		x.strays++
		return
	}
	switch {
	case m.Truncated || cut:
		var err error
		if m, err = x.overTCP(ctx, x.qs[j]); err != nil {
			x.heard = true
			x.fail = fmt.Sprintf("truncated UDP answer from %s, TCP retry failed: %s", x.server, errText(err))
			return
		}
	case unpackErr != nil:
		x.fail = fmt.Sprintf("bad answer from %s: %v", x.server, unpackErr)
		return
	}
	x.replies[j] = m
}

// unusable says why glibc's send_dg moves to the next server after reply
// m, or "" if it takes m: SERVFAIL, NOTIMP and REFUSED, and an empty
// answer that is neither authoritative nor recursive and has no additional
// records, which old BIND 4 servers sent as a lame referral.
func unusable(m *dns.Msg) string {
	switch {
	case m.Rcode == dns.RcodeServerFailure || m.Rcode == dns.RcodeNotImplemented || m.Rcode == dns.RcodeRefused:
		return rcodeText(m.Rcode)
	case m.Rcode == dns.RcodeSuccess && len(m.Answer) == 0 && !m.Authoritative && !m.RecursionAvailable && len(m.Extra) == 0:
		return "an empty answer, neither authoritative nor recursive (a lame referral)"
	}
	return ""
}

// reply sums up the exchange as glibc would: any usable reply settles the
// candidate (a SERVFAIL for AAAA does not spoil an A answer); otherwise the
// server failed, and the next one is asked.
func (x *exchange) reply(d *DNS) reply {
	r := reply{rcodeFirst: -1, fail: x.fail, heard: x.heard}
	if m := x.replies[0]; m != nil {
		r.rcodeFirst = m.Rcode
	}
	for j, m := range x.replies {
		if m == nil {
			continue
		}
		r.heard = true
		if why := unusable(m); why != "" {
			r.fail = why + " from " + x.server
			continue
		}
		r.final = true
		name, qtype := x.qs[j].Question[0].Name, x.qs[j].Question[0].Qtype
		r.values = append(r.values, answerValues(m, name, qtype)...)
		r.nxdomain = r.nxdomain || m.Rcode == dns.RcodeNameError
	}
	if len(r.values) > 0 {
		r.nxdomain = false
	}
	if r.final {
		r.fail = ""
	}
	r.heard = r.heard || x.heard
	return r
}

// readFailure describes an error reading from the socket.
func (x *exchange) readFailure(ctx context.Context, err error) string {
	wait := roundBudget(x.wait)
	x.heard = x.heard || isTimeout(err)
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return x.server + ": canceled"
	case isTimeout(err) && x.strays > 0:
		// A server (or a middlebox) that answers with the wrong ID or
		// question: say so, or it looks like a silent server.
		return fmt.Sprintf("no answer from %s within %v (ignored %d that did not match the question or ID)", x.server, wait, x.strays)
	case isTimeout(err):
		return fmt.Sprintf("no answer from %s within %v", x.server, wait)
	}
	return x.server + ": " + errText(err)
}

// roundBudget keeps about two significant digits of d, which absorbs the
// microseconds spent before an attempt starts.
func roundBudget(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= 100*time.Millisecond:
		return d.Round(10 * time.Millisecond)
	}
	return max(d.Round(time.Millisecond), time.Millisecond)
}

// overTCP asks q again over TCP, after a truncated UDP answer.
func (x *exchange) overTCP(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	ctx, cancel := context.WithDeadline(ctx, x.deadline)
	defer cancel()
	c := dns.Client{Net: "tcp"}
	m, _, err := c.ExchangeContext(ctx, q, x.server)
	if err == nil && !answers(m, q) {
		err = errors.New("answer does not match the question")
	}
	return m, err
}

// answers reports whether m is the answer to q: same ID and same question.
func answers(m, q *dns.Msg) bool {
	if !m.Response || m.Id != q.Id || len(m.Question) != 1 {
		return false
	}
	a, b := m.Question[0], q.Question[0]
	return a.Qtype == b.Qtype && a.Qclass == b.Qclass && strings.EqualFold(a.Name, b.Name)
}

// answerValues returns the values of m's qtype answers for name. CNAMEs are
// followed: the records that count are owned by the end of the chain.
func answerValues(m *dns.Msg, name string, qtype uint16) []string {
	for range maxChain {
		var values []string
		next := ""
		for _, rr := range m.Answer {
			h := rr.Header()
			if h.Class != dns.ClassINET || !strings.EqualFold(h.Name, name) {
				continue
			}
			if h.Rrtype == qtype {
				values = append(values, rrValue(rr))
			} else if c, ok := rr.(*dns.CNAME); ok {
				next = c.Target
			}
		}
		if len(values) > 0 || next == "" {
			return values
		}
		name = next
	}
	return nil
}

// rcodeText names a response code, such as SERVFAIL or REFUSED.
func rcodeText(rcode int) string {
	if s, ok := dns.RcodeToString[rcode]; ok {
		return s
	}
	return fmt.Sprintf("rcode %d", rcode)
}

// isTimeout reports whether err is a deadline passing.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded)
}

// errText describes a network error without the socket addresses the net
// package puts in it: the local port changes every attempt, and identical
// failures must read the same.
func errText(err error) string {
	var se *os.SyscallError
	var oe *net.OpError
	switch {
	case isTimeout(err):
		return "timeout"
	case errors.As(err, &se):
		return se.Err.Error()
	case errors.As(err, &oe):
		return oe.Err.Error()
	}
	return err.Error()
}
