package checks

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"
)

// How long a wait trusts a candidate's last NXDOMAIN or NODATA before it
// asks again: a sixth of how long the candidate has answered so, between
// minHold and maxHold. Each candidate asked costs the cluster's DNS two
// queries (A and AAAA) and the waiting pod a round trip: with the wait
// loop's pace of one attempt a second after 30 s, the first candidate plus
// the rest every 4 s make at most 4 queries a second for a pod's three
// search domains, and at ten attempts a second at first, the others add a
// third to the first candidate's queries, not three times as many.
const (
	minHold = time.Second
	maxHold = 4 * time.Second
)

// memo is what a wait remembers between attempts: which candidates answered
// NXDOMAIN or NODATA and since when, so that later attempts ask them less
// often than the name expected, the first candidate, which every attempt
// asks. In a pod the first candidate is the pod's own namespace for a short
// name, and the name itself for one with ndots dots or a trailing dot.
type memo struct {
	mu    sync.Mutex
	names map[string]*seen
	// proven is the message of the last definite error of an attempt that
	// asked every candidate it needed: an attempt that leaned on the memo
	// repeats it without asking again.
	proven string
	clock  func() time.Time // time.Now when nil; tests stop it
}

func (m *memo) now() time.Time {
	if m.clock != nil {
		return m.clock()
	}
	return time.Now()
}

// seen is a candidate's run of NXDOMAIN or NODATA answers.
type seen struct {
	outcome outcome
	since   time.Time // the first answer of the run
	asked   time.Time // the last one
}

// hold is how long an answer that has held for streak is trusted.
func hold(streak time.Duration) time.Duration {
	return min(max(streak/6, minHold), maxHold)
}

// recall returns what the memo trusts about name now, if it does.
func (m *memo) recall(name string) (outcome, bool) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.names[name]
	if s == nil || now.Sub(s.asked) >= hold(s.asked.Sub(s.since)) {
		return unasked, false
	}
	return s.outcome, true
}

// note records what the attempt's fresh answers said and, when it asked
// every candidate it needed, its definite error (or forgets the last one).
func (m *memo) note(a *attempt, err error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.names == nil {
		m.names = map[string]*seen{}
	}
	for _, c := range a.cands {
		s := m.names[c.name]
		switch {
		case c.recalled:
		case c.outcome != nxdomain && c.outcome != nodata:
			delete(m.names, c.name)
		case s == nil || s.outcome != c.outcome:
			m.names[c.name] = &seen{outcome: c.outcome, since: now, asked: now}
		default:
			s.asked = now
		}
	}
	if !a.leaned() {
		m.proven = ""
		var d definiteError
		if errors.As(err, &d) {
			m.proven = err.Error()
		}
	}
}

// paced is one attempt of a wait: Resolve, except that candidates other
// than the first that answered NXDOMAIN or NODATA lately are not asked
// again (see memo). A verdict that would end a wait, ready or (for a wait
// until gone) a definite not-ready, is never taken from memory: when one
// rests on a remembered candidate before the one that decided, every
// candidate is asked again, unless the same definite error was proven
// already, which is returned unmarked.
func (d *DNS) paced(ctx context.Context) (string, []string, error) {
	if err := ctx.Err(); err != nil {
		return d.Resolve(ctx)
	}
	a := &attempt{d: d, recall: true, start: time.Now()}
	a.run(ctx)
	name, answers, err := a.result()
	d.memo.note(a, err)
	if !a.leaned() {
		return name, answers, err
	}
	var def definiteError
	switch {
	case err == nil:
		return d.Resolve(ctx)
	case !errors.As(err, &def):
		return name, answers, err
	}
	d.memo.mu.Lock()
	same := d.memo.proven == err.Error()
	d.memo.mu.Unlock()
	if !same {
		return d.Resolve(ctx)
	}
	return name, answers, def.error
}

// remembered returns a candidate for name from the memo, when the attempt
// may recall it and the memo trusts it: never the first candidate.
func (a *attempt) remembered(name string) (*candidate, bool) {
	if !a.recall || len(a.cands) == 0 {
		return nil, false
	}
	o, ok := a.d.memo.recall(name)
	if !ok {
		return nil, false
	}
	a.cands = append(a.cands, candidate{name: name, outcome: o, heard: true, recalled: true})
	return &a.cands[len(a.cands)-1], true
}

// leaned reports whether the verdict rests on a remembered candidate: one
// before the candidate with records, or any when none has.
func (a *attempt) leaned() bool {
	for _, c := range a.cands {
		if c.recalled {
			return true
		}
		if c.outcome == found {
			return false
		}
	}
	return false
}

// maxUses is how many exchanges a kept socket serves before it is closed,
// so that the source port still changes now and then, as spoofed answers
// would otherwise need to guess only the query ID.
const maxUses = 64

// connPool keeps a UDP socket per server between the attempts of a wait,
// so that each attempt does not open, connect and close its own. A socket
// goes back only after a clean exchange, every question answered, so no
// late answer is on its way to it; one that may still hear from an earlier
// exchange is closed.
type connPool struct {
	mu    sync.Mutex
	conns map[netip.AddrPort]*pooled
}

type pooled struct {
	conn *net.UDPConn
	uses int
}

// get returns the kept socket for key, or a new one from open.
func (p *connPool) get(key netip.AddrPort, open func() (*net.UDPConn, error)) (*pooled, error) {
	p.mu.Lock()
	c := p.conns[key]
	delete(p.conns, key)
	p.mu.Unlock()
	if c != nil {
		return c, nil
	}
	conn, err := open()
	if err != nil {
		return nil, err
	}
	return &pooled{conn: conn}, nil
}

// closeAll closes the kept sockets; sockets put back later are kept
// again (the wait that released them makes no more exchanges).
func (p *connPool) closeAll() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range conns {
		c.conn.Close()
	}
}

// put keeps c for the next exchange with key when clean, or closes it.
func (p *connPool) put(key netip.AddrPort, c *pooled, clean bool) {
	c.uses++
	if clean && c.uses < maxUses {
		p.mu.Lock()
		if p.conns[key] == nil {
			if p.conns == nil {
				p.conns = map[netip.AddrPort]*pooled{}
			}
			p.conns[key], c = c, nil
		}
		p.mu.Unlock()
	}
	if c != nil {
		c.conn.Close()
	}
}
