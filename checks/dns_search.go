package checks

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// outcome is what an attempt has learned about one candidate name.
type outcome int

const (
	unasked  outcome = iota // no answer yet
	failed                  // no server gave a usable answer
	nxdomain                // the name does not exist
	nodata                  // the name exists without the wanted records
	found                   // the name has the wanted records, maybe too few
)

// candidate is one name of the search list, as one attempt sees it.
type candidate struct {
	name    string // fully qualified
	outcome outcome
	values  []string // answers
	fails   []string // why each server asked failed, without repeats
	// heard is glibc's "gotsomewhere": some server answered or timed out.
	// When none did (all refused the connection), glibc gives up the
	// whole search.
	heard bool
	// recalled: the outcome is the memo's, not asked this attempt.
	recalled bool
}

// attempt is the state of one call to Resolve.
type attempt struct {
	d     *DNS
	cands []candidate // in the order asked
	// lastRcode is the rcode of the last reply to the candidate's first
	// question, -1 before any: glibc decides whether a failed candidate
	// ends the search by the rcode left in its answer buffer, so what
	// counts is the last server's SERVFAIL, not one before a REFUSED or a
	// timeout of the next server. (A timeout after a SERVFAIL from the same
	// candidate's previous server goes on, as the SERVFAIL did.)
	lastRcode int
	// stoppedAt is the search domain candidate after which glibc's rule
	// stopped the search, if it did before the end of the list.
	stoppedAt string
	// recall lets candidates other than the first come from the memo.
	recall bool
	// start is when the attempt began; until its first exchange, the
	// attempt's whole budget is what the server was given.
	start   time.Time
	started bool
}

// run makes the attempt by the rule of the C library chosen.
func (a *attempt) run(ctx context.Context) {
	if a.d.resolver == ResolverMusl {
		a.searchMusl(ctx)
		return
	}
	a.search(ctx)
}

// search asks for the name the way glibc's res_search (resolv/res_query.c,
// __res_context_search) does, one candidate after the other:
//   - the name as given first if it has at least ndots dots or ends in a dot
//     (then it is the only one);
//   - then each search domain, going on after NXDOMAIN, NODATA and SERVFAIL,
//     stopping after any other failure (REFUSED, timeout, a name too long)
//     and giving up altogether if no server could be reached;
//   - then the name as given, if not tried yet, even after a stop.
//
// The first candidate with records decides.
func (a *attempt) search(ctx context.Context) {
	conf, name := a.d.conf, a.d.name
	dots := strings.Count(name, ".")
	trailing := strings.HasSuffix(name, ".")
	triedAsIs := false
	if dots >= conf.ndots || trailing {
		if c := a.query(ctx, dns.Fqdn(name)); c.outcome == found || trailing {
			return
		}
		triedAsIs = true
	}
	rootOnList := false
	for i, domain := range conf.search {
		if expired(ctx) {
			return
		}
		if domain == "." {
			rootOnList = true
		}
		c := a.query(ctx, dns.Fqdn(name)+strings.TrimPrefix(domain, "."))
		if c.outcome == found {
			return
		}
		if c.outcome == failed && !c.heard {
			a.stoppedAt = c.name
			return // glibc: ECONNREFUSED, no server reachable
		}
		if c.outcome == failed && a.lastRcode != dns.RcodeServerFailure {
			if i < len(conf.search)-1 {
				a.stoppedAt = c.name
			}
			break
		}
	}
	if !expired(ctx) && (dots > 0 || len(conf.search) == 0 || !conf.noTLDQuery) && !triedAsIs && !rootOnList {
		a.query(ctx, dns.Fqdn(name))
	}
}

// query asks the servers about one candidate as glibc's res_send does:
// up to attempts rounds over the servers, each given glibc's wait, moving to
// the next server after a timeout, an unreachable server, SERVFAIL, REFUSED
// or NOTIMP, and stopping at the first other answer.
func (a *attempt) query(ctx context.Context, name string) *candidate {
	a.lastRcode = -1
	if c, ok := a.remembered(name); ok {
		return c
	}
	a.cands = append(a.cands, candidate{name: name})
	c := &a.cands[len(a.cands)-1]
	if !nameFits(name) {
		// glibc: NO_RECOVERY, which stops the search.
		c.outcome, c.heard = failed, true
		c.fails = append(c.fails, "name too long")
		return c
	}
	conf := a.d.conf
	n := len(conf.servers)
	for range conf.attempts {
		first := 0
		if conf.rotate {
			first = int(a.d.rotation.Add(1) % uint32(n))
		}
		for k := range n {
			i := (first + k) % n
			r := a.ask(ctx, i, name)
			if r.rcodeFirst >= 0 {
				a.lastRcode = r.rcodeFirst
			}
			c.heard = c.heard || r.heard
			if r.final {
				a.settle(c, r)
				return c
			}
			if !slices.Contains(c.fails, r.fail) {
				c.fails = append(c.fails, r.fail)
			}
			if expired(ctx) {
				c.outcome = failed
				return c
			}
		}
	}
	c.outcome = failed
	return c
}

// settle records a server's final answer for c.
func (a *attempt) settle(c *candidate, r reply) {
	c.values = r.values
	switch {
	case len(r.values) > 0:
		c.outcome = found
	case r.nxdomain:
		c.outcome = nxdomain
	default:
		c.outcome = nodata
	}
}

// expired reports whether ctx is over, including the moment a socket
// deadline set to ctx's fires before ctx's own timer.
func expired(ctx context.Context) bool {
	dl, ok := ctx.Deadline()
	return ctx.Err() != nil || ok && !time.Now().Before(dl)
}

// nameFits reports whether a fully qualified name fits in a query:
// search domains can push a name past 255 octets.
func nameFits(name string) bool {
	_, ok := dns.IsDomainName(name)
	return ok && len(name) <= 254
}

// result judges the first candidate with records, or explains why there is
// none.
//
// The error is marked definite, a proof that the name is not ready, only
// when every candidate up to the one judged got an answer: a server that
// failed on an earlier candidate, or one never asked, might have records.
func (a *attempt) result() (string, []string, error) {
	i := slices.IndexFunc(a.cands, func(c candidate) bool { return c.outcome == found })
	var name string
	var answers []string
	var err error
	if i >= 0 {
		name, answers, err = a.d.judge(&a.cands[i])
	} else {
		i, err = len(a.cands), a.notFound()
	}
	if err != nil && !slices.ContainsFunc(a.cands[:i], func(c candidate) bool { return c.outcome != nxdomain && c.outcome != nodata }) {
		err = definite(err)
	}
	return name, answers, err
}
