package checks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
)

const (
	// udpSize is the EDNS0 buffer size recommended by DNS flag day 2020: big
	// enough for most answers, small enough to avoid IP fragmentation.
	udpSize = 1232
	// defaultAttemptTimeout bounds an attempt whose context has no deadline.
	defaultAttemptTimeout = 2 * time.Second
	// maxChain bounds how many CNAMEs are followed, in case of a loop.
	maxChain = 16
)

// outcome is what an attempt has learned about one candidate name.
type outcome int

const (
	unasked  outcome = iota // no answer yet
	failed                  // every server asked so far failed to answer
	nxdomain                // the name does not exist
	nodata                  // the name exists without the wanted records
	found                   // the name has the wanted records, maybe too few
)

// candidate is one name of the search list, as one attempt sees it.
type candidate struct {
	name    string // fully qualified
	outcome outcome
	values  []string // answers so far
	fails   []string // why each server asked failed
}

// attempt is the state of one call to Resolve.
type attempt struct {
	d     *DNS
	cands []candidate
	// budget is the time each server gets, rounded so that the same timeout
	// reads the same in every attempt's message.
	budget time.Duration
}

func newAttempt(ctx context.Context, d *DNS) *attempt {
	total := defaultAttemptTimeout
	if dl, ok := ctx.Deadline(); ok {
		total = time.Until(dl)
	}
	a := &attempt{
		d:      d,
		cands:  make([]candidate, len(d.candidates)),
		budget: roundBudget(total / time.Duration(len(d.servers))),
	}
	for i, name := range d.candidates {
		a.cands[i].name = name
	}
	return a
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

// firstFound returns the index of the first candidate with records, or
// len(a.cands) if there is none yet.
func (a *attempt) firstFound() int {
	for i := range a.cands {
		if a.cands[i].outcome == found {
			return i
		}
	}
	return len(a.cands)
}

// todo returns the candidates the next server should be asked about: those
// without a definite answer that come before the first one with records.
// Like glibc, a failure on one candidate does not stop the later ones.
func (a *attempt) todo() []int {
	var t []int
	for i := range a.cands[:a.firstFound()] {
		if o := a.cands[i].outcome; o == unasked || o == failed {
			t = append(t, i)
		}
	}
	return t
}

// fail records why a server gave no usable answer for candidate i.
func (a *attempt) fail(i int, reason string) {
	c := &a.cands[i]
	if len(c.values) > 0 {
		// The A query answered; only the AAAA follow-up failed.
		c.outcome = found
		return
	}
	c.outcome = failed
	c.fails = append(c.fails, reason)
}

// record takes in server's answer m to the qtype question for candidate i. It
// returns the type to ask next, or 0 when the candidate is settled.
func (a *attempt) record(i int, qtype uint16, m *dns.Msg, server string) uint16 {
	c := &a.cands[i]
	switch m.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		c.outcome = nxdomain
		if len(c.values) > 0 {
			// NXDOMAIN for AAAA after A records is a server quirk.
			c.outcome = found
		}
		return 0
	default:
		a.fail(i, rcodeText(m.Rcode)+" from "+server)
		return 0
	}
	c.values = append(c.values, answerValues(m, c.name, qtype)...)
	if qtype == dns.TypeA && a.d.anyAddr && !a.d.satisfied(c.values) {
		return dns.TypeAAAA
	}
	c.outcome = found
	if len(c.values) == 0 {
		c.outcome = nodata
	}
	return 0
}

// query is a question in flight on an exchange's socket.
type query struct {
	cand int
	msg  *dns.Msg
}

// exchange is one attempt's conversation with one server.
type exchange struct {
	a        *attempt
	conn     *ipv4.PacketConn
	server   string
	deadline time.Time
	nextID   uint16
	inflight []query
	unsent   []ipv4.Message
	broken   string // why the socket is unusable, once it is
	strays   int    // packets that answered no question in flight
}

// ask asks server about the candidates in todo. All questions go out at once
// on one connected UDP socket and answers are taken in any order, batched
// with sendmmsg and recvmmsg, so an attempt costs a handful of syscalls
// however long the search list is. Being connected, the socket also hears of
// ICMP port unreachable, so a server that is not listening yet fails fast
// instead of timing out.
func (a *attempt) ask(ctx context.Context, server netip.AddrPort, todo []int) {
	x := &exchange{a: a, server: server.String(), deadline: time.Now().Add(a.budget), nextID: uint16(rand.Uint32())}
	ctxDeadline, hasDeadline := ctx.Deadline()
	if hasDeadline && ctxDeadline.Before(x.deadline) {
		x.deadline = ctxDeadline
	}
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(server))
	if err != nil {
		x.broken = x.server + ": " + errText(err)
	} else {
		defer conn.Close()
		// ipv4.PacketConn only adds batch I/O here, which works on IPv6
		// sockets too.
		x.conn = ipv4.NewPacketConn(conn)
		// Arming a timer wakes the runtime's poller; when ctx's deadline
		// is the one that counts, its own timer suffices.
		if !hasDeadline || x.deadline.Before(ctxDeadline) {
			conn.SetReadDeadline(x.deadline)
		}
		stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	for _, i := range todo {
		x.send(i, a.d.qtype)
	}
	b := a.d.bufs.Get().(*readBatch)
	defer a.d.bufs.Put(b)
	for x.flush(); x.waiting(); x.flush() {
		n, err := x.conn.ReadBatch(b.msgs[:], 0)
		if err != nil {
			x.failInflight(x.readFailure(ctx, err))
			return
		}
		for _, m := range b.msgs[:n] {
			// A datagram that fills the buffer may have been cut short.
			x.handle(ctx, m.Buffers[0][:m.N], m.N == len(m.Buffers[0]))
		}
	}
}

// readBatch holds the buffers for one recvmmsg.
type readBatch struct {
	msgs [8]ipv4.Message
	bufs [8][3 * udpSize]byte
}

func newReadBatch() any {
	b := new(readBatch)
	for i := range b.msgs {
		b.msgs[i].Buffers = [][]byte{b.bufs[i][:]}
	}
	return b
}

// send queues the qtype question for candidate i, or fails it if the socket
// is broken.
func (x *exchange) send(i int, qtype uint16) {
	if x.broken != "" {
		x.a.fail(i, x.broken)
		return
	}
	m := &dns.Msg{
		MsgHdr:   dns.MsgHdr{Id: x.nextID, RecursionDesired: true},
		Question: []dns.Question{{Name: x.a.cands[i].name, Qtype: qtype, Qclass: dns.ClassINET}},
	}
	x.nextID++ // IDs must differ to tell the answers apart.
	m.SetEdns0(udpSize, false)
	pkt, err := m.Pack()
	if err != nil {
		x.a.fail(i, fmt.Sprintf("packing query: %v", err))
		return
	}
	x.inflight = append(x.inflight, query{i, m})
	x.unsent = append(x.unsent, ipv4.Message{Buffers: [][]byte{pkt}})
}

// flush sends the queued questions.
func (x *exchange) flush() {
	for len(x.unsent) > 0 && x.broken == "" {
		n, err := x.conn.WriteBatch(x.unsent, 0)
		if err == nil && n == 0 {
			err = io.ErrShortWrite // never spin on a socket that takes nothing
		}
		if err != nil {
			// Typically ECONNREFUSED, from an ICMP error to an earlier
			// question.
			x.broken = x.server + ": " + errText(err)
			x.failInflight(x.broken)
		}
		x.unsent = x.unsent[n:]
	}
	x.unsent = x.unsent[:0]
}

// waiting reports whether a question in flight could still change the result.
// Once a candidate has records, later candidates no longer matter.
func (x *exchange) waiting() bool {
	first := x.a.firstFound()
	return slices.ContainsFunc(x.inflight, func(q query) bool { return q.cand < first })
}

// failInflight fails every question in flight.
func (x *exchange) failInflight(reason string) {
	for _, q := range x.inflight {
		x.a.fail(q.cand, reason)
	}
	x.inflight = nil
}

// readFailure describes an error reading from the socket.
func (x *exchange) readFailure(ctx context.Context, err error) string {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return x.server + ": canceled"
	case isTimeout(err) && x.strays > 0:
		// A server (or a middlebox) that answers with the wrong ID or
		// question: say so, or it looks like a silent server.
		return fmt.Sprintf("no answer from %s within %v (ignored %d that did not match the question or ID)", x.server, x.a.budget, x.strays)
	case isTimeout(err):
		return fmt.Sprintf("no answer from %s within %v", x.server, x.a.budget)
	}
	return x.server + ": " + errText(err)
}

// handle takes in one packet. Packets that answer no question in flight are
// late answers to an earlier attempt, or spoofed, and are skipped.
func (x *exchange) handle(ctx context.Context, pkt []byte, cut bool) {
	m := new(dns.Msg)
	unpackErr := m.Unpack(pkt)
	j := slices.IndexFunc(x.inflight, func(q query) bool { return answers(m, q.msg) })
	if j < 0 {
		x.strays++
		return
	}
	q := x.inflight[j]
	x.inflight = slices.Delete(x.inflight, j, j+1)
	switch {
	case m.Truncated || cut:
		var err error
		if m, err = x.overTCP(ctx, q.msg); err != nil {
			x.a.fail(q.cand, fmt.Sprintf("truncated UDP answer from %s, TCP retry failed: %s", x.server, errText(err)))
			return
		}
	case unpackErr != nil:
		x.a.fail(q.cand, fmt.Sprintf("bad answer from %s: %v", x.server, unpackErr))
		return
	}
	if next := x.a.record(q.cand, q.msg.Question[0].Qtype, m, x.server); next != 0 {
		x.send(q.cand, next)
	}
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
