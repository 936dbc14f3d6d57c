package checks

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// Limits glibc puts on resolv.conf's options (resolv/resolv.h).
const (
	maxServers  = 3  // MAXNS: nameservers past the third are ignored
	maxNdots    = 15 // RES_MAXNDOTS
	maxTimeout  = 30 // RES_MAXRETRANS, in seconds
	maxAttempts = 5  // RES_MAXRETRY
)

// resolver is the part of resolv.conf a check needs, as glibc reads it.
type resolver struct {
	servers       []netip.AddrPort
	search        []string // fully qualified, in order
	ndots         int
	timeout       int  // seconds, the first server's wait (options timeout:)
	attempts      int  // rounds over all servers (options attempts:)
	rotate        bool // start each query at the next server (options rotate)
	singleRequest bool // ask A, then AAAA, not both at once (options single-request)
	noTLDQuery    bool // never ask a dotless name as is (options no-tld-query)
}

// loadResolver reads resolv.conf once, so that attempts cost no file I/O.
// An explicit Server only borrows the search list and options, and does
// without them if the default file cannot be read, like nslookup NAME
// SERVER. Like glibc, it ignores what it does not know.
func loadResolver(o DNSOptions) (*resolver, error) {
	path := cmp.Or(o.ResolvConf, defaultResolvConf)
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
	case o.ResolvConf == "" && (o.Server != "" || errors.Is(err, fs.ErrNotExist)):
		// glibc treats a missing file as "nameserver 127.0.0.1", no search.
		data = nil
	default:
		return nil, fmt.Errorf("reading resolver configuration: %w", err)
	}
	cfg, err := dns.ClientConfigFromReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("reading resolver configuration: %w", err)
	}
	r := &resolver{ndots: 1, timeout: 5, attempts: 2}
	for _, s := range cfg.Search {
		r.search = append(r.search, dns.Fqdn(s))
	}
	r.readOptions(data, o.Resolver == ResolverMusl)
	if o.Server != "" {
		ap, err := parseServer(o.Server)
		if err != nil {
			return nil, err
		}
		r.servers = []netip.AddrPort{ap}
		return r, nil
	}
	for _, s := range cfg.Servers {
		// Like glibc, skip nameservers that are not IP addresses.
		if ap, err := parseServer(s); err == nil && len(r.servers) < maxServers {
			r.servers = append(r.servers, ap)
		}
	}
	if len(r.servers) == 0 {
		// glibc's default when resolv.conf names no usable server.
		r.servers = []netip.AddrPort{netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 53)}
	}
	return r, nil
}

// readOptions applies the "options" lines, with glibc's limits, or musl's.
// The RES_OPTIONS environment variable, which glibc also reads, is the
// caller's to pass as a file: a library does not read the environment.
func (r *resolver) readOptions(data []byte, musl bool) {
	maxT, maxA := maxTimeout, maxAttempts
	if musl {
		maxT, maxA = 60, 10
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != "options" {
			continue
		}
		for _, opt := range f[1:] {
			name, value, _ := strings.Cut(opt, ":")
			n, err := strconv.Atoi(value)
			switch {
			case name == "ndots" && err == nil:
				r.ndots = min(max(n, 0), maxNdots)
			case name == "timeout" && err == nil:
				r.timeout = min(max(n, 1), maxT)
			case name == "attempts" && err == nil:
				r.attempts = min(max(n, 1), maxA)
			case opt == "rotate":
				r.rotate = true
			case opt == "single-request" || opt == "single-request-reopen":
				r.singleRequest = true
			case opt == "no-tld-query":
				r.noTLDQuery = true
			}
		}
	}
}

// wait is how long glibc's send_dg waits for server i of n: the timeout
// for the first, then (timeout << i) / n, in whole seconds, at least one.
func (r *resolver) wait(i int) int {
	s := r.timeout << i
	if i > 0 {
		s /= len(r.servers)
	}
	return max(s, 1)
}

// parseServer accepts "IP", "IP:PORT", "[IPv6]" and "[IPv6]:PORT". Names
// are refused: resolving the resolver would need a resolver.
func parseServer(s string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Port() != 0 {
		return ap, nil
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return netip.AddrPortFrom(a, 53), nil
	}
	return netip.AddrPort{}, fmt.Errorf("server %q: want IP or IP:PORT, with IPv6 as [IP]:PORT", s)
}
