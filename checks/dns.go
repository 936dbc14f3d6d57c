package checks

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/initbox/initbox/internal/redact"
)

// defaultResolvConf is where a pod's resolver configuration lives.
const defaultResolvConf = "/etc/resolv.conf"

// DNSOptions configures dns:// targets. The zero value waits for at least one
// A or AAAA record, using the servers, search list and ndots of
// /etc/resolv.conf.
type DNSOptions struct {
	// Type is the record type to wait for: "A", "AAAA", "CNAME", "SRV",
	// "TXT" or "MX", in any case. Empty means A or AAAA, like getaddrinfo.
	Type string
	// MinRecords is how many records the name needs; 0 means 1. A headless
	// service uses it to wait for N endpoints.
	MinRecords int
	// Expect lists values that must all be among the answers: an IP, a
	// CNAME or MX host, an SRV "target:port" or bare target, or a TXT text.
	// They compare case-insensitively, ignoring any trailing dot on names.
	Expect []string
	// Server is a nameserver "IP" or "IP:PORT" (default port 53) that
	// replaces the resolv.conf nameservers. IPv6 is written "[::1]:53".
	Server string
	// ResolvConf is the resolver configuration file; empty means
	// /etc/resolv.conf.
	ResolvConf string
	// Resolver is whose rule names are resolved by: glibc's (the zero
	// value) or musl's, for applications on Alpine.
	Resolver Resolver
}

// DNS checks that a name resolves, after applying the search list, ndots
// and options of resolv.conf the way a pod's glibc resolver does: see
// search.
type DNS struct {
	target     string
	name       string    // as given, for messages
	qtype      uint16    // record type asked first
	anyAddr    bool      // A or AAAA: ask AAAA too, as getaddrinfo does
	minRecords int       // at least 1
	expect     []string  // normalized with norm
	conf       *resolver // servers, search list and options
	resolver   Resolver  // whose rule: glibc's or musl's
	// rotation picks the first server of each query when options rotate
	// is set, as glibc's global counter does.
	rotation atomic.Uint32
	memo     memo     // what earlier attempts of a wait learned
	conns    connPool // sockets kept between attempts
}

// newDNS builds the check for target, dns://NAME. Everything that does not
// change between attempts, resolv.conf included, is worked out here once.
func newDNS(target, name string, o DNSOptions) (Checker, error) {
	if err := checkName(name); err != nil {
		return nil, usageErrorf(target, "%v", err)
	}
	if o.MinRecords < 0 {
		return nil, usageErrorf(target, "min records %d is negative", o.MinRecords)
	}
	d := &DNS{target: redact.URL(target), name: name, minRecords: max(o.MinRecords, 1)}
	var ok bool
	if d.qtype, d.anyAddr, ok = parseType(o.Type); !ok {
		return nil, usageErrorf(target, "unknown record type %q (want A, AAAA, CNAME, SRV, TXT or MX)", o.Type)
	}
	if d.qtype == dns.TypeCNAME && d.minRecords > 1 {
		return nil, usageErrorf(target, "min records %d can never be met: a name has at most one CNAME", d.minRecords)
	}
	for _, e := range o.Expect {
		v, err := d.normExpect(e)
		if err != nil {
			return nil, usageErrorf(target, "%v", err)
		}
		d.expect = append(d.expect, v)
	}
	cfg, err := loadResolver(o)
	if err != nil {
		return nil, usageErrorf(target, "%v", err)
	}
	d.conf, d.resolver = cfg, o.Resolver
	if !nameFits(dns.Fqdn(name)) {
		return nil, usageErrorf(target, "name %q is too long", name)
	}
	d.rotation.Store(rand.Uint32())
	return d, nil
}

// checkName rejects names that cannot be asked for. dns.IsDomainName accepts
// almost any bytes, so ports, paths and spaces, which are always typos here,
// are rejected explicitly.
func checkName(name string) error {
	if name == "" {
		return errors.New("missing name: want dns://NAME")
	}
	if i := strings.IndexAny(name, ":/?#@\\ \t"); i >= 0 {
		return fmt.Errorf("name %q: %q not allowed (dns://NAME takes a name only, no port or path)", name, name[i])
	}
	if _, ok := dns.IsDomainName(name); !ok || name == "." {
		return fmt.Errorf("name %q is not a valid domain name", name)
	}
	return nil
}

// parseType maps DNSOptions.Type to the record type to ask for first, and
// whether AAAA may complete an A answer.
func parseType(s string) (qtype uint16, anyAddr, ok bool) {
	if s == "" {
		return dns.TypeA, true, true
	}
	qtype, ok = recordTypes[strings.ToUpper(s)]
	return qtype, false, ok
}

// recordTypes are the record types a check may ask for by name.
var recordTypes = map[string]uint16{
	"A":     dns.TypeA,
	"AAAA":  dns.TypeAAAA,
	"CNAME": dns.TypeCNAME,
	"SRV":   dns.TypeSRV,
	"TXT":   dns.TypeTXT,
	"MX":    dns.TypeMX,
}

// String returns the target as given.
func (d *DNS) String() string { return d.target }

// Check reports whether the name resolves with the wanted records.
// Called again and again by a wait, it asks the names that answered
// NXDOMAIN lately less often: see memo.
func (d *DNS) Check(ctx context.Context) error {
	_, _, err := d.paced(ctx)
	return err
}

// CheckDetail is Check that also says which name matched and what it holds,
// for the "ready" log line.
func (d *DNS) CheckDetail(ctx context.Context) (string, error) {
	name, answers, err := d.paced(ctx)
	if err != nil {
		return "", err
	}
	return name + " " + strings.Join(answers, ","), nil
}

// Resolve makes one attempt to resolve the name. When it is ready it returns
// the candidate name that matched, without the trailing dot, and its answers,
// sorted, for the log. Otherwise err says why not. Unlike Check, it asks
// every candidate it needs, whatever earlier attempts learned. Like Check,
// it may be called concurrently.
func (d *DNS) Resolve(ctx context.Context) (name string, answers []string, err error) {
	if err := ctx.Err(); err != nil {
		return "", nil, fmt.Errorf("%s: %w", d.name, err)
	}
	a := &attempt{d: d, start: time.Now()}
	a.run(ctx)
	name, answers, err = a.result()
	d.memo.note(a, err)
	return name, answers, err
}

// typeLabel names the wanted records in messages.
func (d *DNS) typeLabel(sep string) string {
	if d.anyAddr {
		return "A" + sep + "AAAA"
	}
	return dns.TypeToString[d.qtype]
}

// normExpect validates an expected value and puts it in the form answers are
// compared in.
func (d *DNS) normExpect(e string) (string, error) {
	if e == "" {
		return "", errors.New("empty expected value")
	}
	switch d.qtype {
	case dns.TypeA, dns.TypeAAAA:
		a, err := netip.ParseAddr(e)
		if err != nil {
			return "", fmt.Errorf("expected value %q is not an IP address", e)
		}
		if !d.anyAddr && a.Unmap().Is4() != (d.qtype == dns.TypeA) {
			return "", fmt.Errorf("expected value %q can never be among %s answers", e, d.typeLabel(""))
		}
	}
	return d.norm(e), nil
}

// norm puts an answer or expected value in comparable form: canonical IPs,
// lower case, and no trailing dot on names (TXT text is not a name).
func (d *DNS) norm(v string) string {
	if a, err := netip.ParseAddr(v); err == nil && (d.qtype == dns.TypeA || d.qtype == dns.TypeAAAA) {
		return a.Unmap().String()
	}
	v = strings.ToLower(v)
	if d.qtype == dns.TypeTXT {
		return v
	}
	if host, port, ok := strings.Cut(v, ":"); ok && d.qtype == dns.TypeSRV {
		return strings.TrimSuffix(host, ".") + ":" + port
	}
	return strings.TrimSuffix(v, ".")
}

// missing returns the expected values that are not among answers. An SRV
// expectation without a port matches the target of any answer.
func (d *DNS) missing(answers []string) []string {
	have := make(map[string]bool, 2*len(answers))
	for _, a := range answers {
		v := d.norm(a)
		have[v] = true
		if host, _, ok := strings.Cut(v, ":"); ok && d.qtype == dns.TypeSRV {
			have[host] = true
		}
	}
	var miss []string
	for _, e := range d.expect {
		if !have[e] {
			miss = append(miss, e)
		}
	}
	return miss
}

// judge decides on the candidate that has records: the first one, as that is
// the name a program in the pod would get.
func (d *DNS) judge(c *candidate) (string, []string, error) {
	name := strings.TrimSuffix(c.name, ".")
	answers := slices.Clone(c.values)
	slices.Sort(answers)
	if n := len(answers); n < d.minRecords {
		return "", nil, fmt.Errorf("%s: %s has %d %s records, want at least %d", d.name, name, n, d.typeLabel("/"), d.minRecords)
	}
	if miss := d.missing(answers); len(miss) > 0 {
		return "", nil, fmt.Errorf("%s: answers %v for %s do not include %s", d.name, answers, name, strings.Join(miss, ", "))
	}
	return name, answers, nil
}

// notFound explains why no candidate has records. Candidates failing for the
// same reason are listed together, most telling reason first: a failing
// server says more than a name that does not exist (yet).
func (a *attempt) notFound() error {
	type group struct {
		rank   int
		reason string
		names  []string
	}
	var groups []group
	for _, c := range a.cands {
		var g group
		switch c.outcome {
		case failed:
			g = group{0, strings.Join(c.fails, ", then "), nil}
		case nodata:
			g = group{1, "", nil}
		case nxdomain:
			g = group{2, "NXDOMAIN", nil}
		default:
			continue
		}
		name := strings.TrimSuffix(c.name, ".")
		j := slices.IndexFunc(groups, func(h group) bool { return h.rank == g.rank && h.reason == g.reason })
		if j < 0 {
			j = len(groups)
			groups = append(groups, g)
		}
		groups[j].names = append(groups[j].names, name)
	}
	slices.SortStableFunc(groups, func(x, y group) int { return x.rank - y.rank })
	parts := make([]string, len(groups))
	for i, g := range groups {
		names := strings.Join(g.names, ", ")
		switch {
		case g.rank == 1 && len(g.names) == 1:
			parts[i] = fmt.Sprintf("%s exists but has no %s records", names, a.d.typeLabel(" or "))
		case g.rank == 1:
			parts[i] = fmt.Sprintf("%s exist but have no %s records", names, a.d.typeLabel(" or "))
		case len(groups) == 1 && names == strings.TrimSuffix(a.d.name, "."):
			parts[i] = g.reason // the message starts with the name already
		default:
			parts[i] = g.reason + " for " + names
		}
	}
	if len(parts) == 0 {
		return fmt.Errorf("%s: no server asked", a.d.name)
	}
	if a.stoppedAt != "" {
		// Say why later search domains were not asked.
		rule := "glibc"
		if a.d.resolver == ResolverMusl {
			rule = "musl"
		}
		parts = append(parts, "like "+rule+", the search stopped at "+strings.TrimSuffix(a.stoppedAt, "."))
	}
	return fmt.Errorf("%s: %s", a.d.name, strings.Join(parts, "; "))
}

// rrValue formats rr the way DNSOptions.Expect values are written.
func rrValue(rr dns.RR) string {
	switch rr := rr.(type) {
	case *dns.A:
		a, _ := netip.AddrFromSlice(rr.A)
		return a.Unmap().String()
	case *dns.AAAA:
		a, _ := netip.AddrFromSlice(rr.AAAA)
		return a.String()
	case *dns.CNAME:
		return strings.TrimSuffix(rr.Target, ".")
	case *dns.SRV:
		return fmt.Sprintf("%s:%d", strings.TrimSuffix(rr.Target, "."), rr.Port)
	case *dns.TXT:
		return strings.Join(rr.Txt, "")
	case *dns.MX:
		return strings.TrimSuffix(rr.Mx, ".")
	}
	return rr.String()
}
