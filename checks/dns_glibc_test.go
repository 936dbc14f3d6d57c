package checks

import (
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// byName answers per name as glibc's conformance test does (see
// internal/conformance): "servfail", "refused", "drop", "lame" (an empty
// answer, neither authoritative nor recursive), "dropfirst" then records,
// or records; NXDOMAIN for names not listed.
func byName(t *testing.T, how map[string]string) dns.HandlerFunc {
	t.Helper()
	records := zone(t,
		"svc.c.test. 5 IN A 10.0.0.3",
		"svc. 5 IN A 10.0.0.9",
		"svc.a.test. 5 IN A 10.0.0.1",
	)
	var mu sync.Mutex
	seen := map[string]bool{}
	return func(w dns.ResponseWriter, r *dns.Msg) {
		q := r.Question[0]
		switch how[strings.TrimSuffix(q.Name, ".")] {
		case "servfail":
			rcode(dns.RcodeServerFailure)(w, r)
		case "refused":
			rcode(dns.RcodeRefused)(w, r)
		case "drop":
		case "lame":
			w.WriteMsg(new(dns.Msg).SetReply(r))
		case "dropfirst":
			mu.Lock()
			first := !seen[q.String()]
			seen[q.String()] = true
			mu.Unlock()
			if !first {
				records(w, r)
			}
		case "nx":
			rcode(dns.RcodeNameError)(w, r)
		default:
			records(w, r)
		}
	}
}

// TestDNSSearchRules: which answers end the search list, by the rule of
// each C library.
func TestDNSSearchRules(t *testing.T) {
	const pod = "search a.test b.test c.test\noptions ndots:5 timeout:1 attempts:1\n"
	for _, tt := range []struct {
		lib  string // glibc or musl
		test string
		how  map[string]string
		conf string
		want string // the name that answers, or "" for none
	}{
		{"glibc", "servfail goes on", map[string]string{"svc.a.test": "servfail"}, pod, "svc.c.test"},
		{"glibc", "nxdomain goes on", map[string]string{"svc.a.test": "nx"}, pod, "svc.c.test"},
		{"glibc", "refused stops, as is still counts", map[string]string{"svc.a.test": "refused"}, pod, "svc"},
		{"glibc", "timeout stops, as is still counts", map[string]string{"svc.a.test": "drop"}, pod, "svc"},
		{"glibc", "lame stops", map[string]string{"svc.a.test": "lame"}, pod, "svc"},
		{"glibc", "timeout after an earlier servfail stops", map[string]string{"svc.a.test": "servfail", "svc.b.test": "drop"}, pod, "svc"},
		{"glibc", "refused as is first does not stop", map[string]string{"svc": "refused", "svc.a.test": "nx"}, "search a.test c.test\noptions ndots:0\n", "svc.c.test"},
		{"glibc", "a lost packet, attempts:1", map[string]string{"svc.a.test": "dropfirst"}, pod, "svc"},
		{"glibc", "a lost packet, attempts:2", map[string]string{"svc.a.test": "dropfirst"}, "search a.test\noptions ndots:5 timeout:1 attempts:2\n", "svc.a.test"},
		{"glibc", "single-request", map[string]string{"svc.a.test": "servfail"}, pod + "options single-request\n", "svc.c.test"},
		{"glibc", "no-tld-query", map[string]string{"svc.a.test": "refused"}, pod + "options no-tld-query\n", ""},
		{"musl", "nxdomain goes on", map[string]string{"svc.a.test": "nx"}, pod, "svc.c.test"},
		{"musl", "servfail stops, as is not asked", map[string]string{"svc.a.test": "servfail"}, pod, ""},
		{"musl", "refused stops", map[string]string{"svc.a.test": "refused"}, pod, ""},
		{"musl", "nodata stops", map[string]string{"svc.a.test": "lame"}, pod, ""},
		{"musl", "ndots dots: as is only", map[string]string{}, "search c.test\noptions ndots:0\n", "svc"},
		{"musl", "a lost packet, attempts:2", map[string]string{"svc.a.test": "dropfirst"}, "search a.test\noptions ndots:5 timeout:2 attempts:2\n", "svc.a.test"},
	} {
		t.Run(tt.lib+"/"+tt.test, func(t *testing.T) {
			r, err := ParseResolver(tt.lib)
			if err != nil {
				t.Fatal(err)
			}
			s := startServer(t, byName(t, tt.how))
			d := newTestDNS(t, s, "svc", tt.conf, DNSOptions{Resolver: r})
			name, _, err := resolve(t, d)
			if name != tt.want {
				t.Errorf("got %q (%v), want %q; asked %v", name, err, tt.want, s.questions())
			}
		})
	}
}

func TestDNSGlibcUnreachableEndsSearch(t *testing.T) {
	addr := refusedAddr(t)
	d := newTestDNS(t, &testServer{addr: addr}, "svc", "search a.test b.test\n", DNSOptions{})
	_, _, err := resolve(t, d)
	// glibc's ECONNREFUSED: not even the name as given is asked.
	if want := "svc: " + addr + ": connection refused for svc.a.test; like glibc, the search stopped at svc.a.test"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestDNSGlibcNextServer(t *testing.T) {
	good := startServer(t, byName(t, nil))
	for _, how := range []string{"servfail", "refused", "lame", "drop"} {
		t.Run(how, func(t *testing.T) {
			bad := startServer(t, byName(t, map[string]string{"svc.c.test": how}))
			d := newTestDNS(t, good, "svc.c.test.", "options timeout:1 attempts:1\n", DNSOptions{})
			d.conf.servers = []netip.AddrPort{netip.MustParseAddrPort(bad.addr), netip.MustParseAddrPort(good.addr)}
			if name, _, err := resolve(t, d); name != "svc.c.test" {
				t.Errorf("got %q, %v; want the second server's answer", name, err)
			}
		})
	}
	t.Run("nxdomain is final", func(t *testing.T) {
		nx := startServer(t, rcode(dns.RcodeNameError))
		good := startServer(t, byName(t, nil))
		d := newTestDNS(t, good, "svc.c.test.", "", DNSOptions{})
		d.conf.servers = []netip.AddrPort{netip.MustParseAddrPort(nx.addr), netip.MustParseAddrPort(good.addr)}
		if _, _, err := resolve(t, d); err == nil || len(good.questions()) > 0 {
			t.Errorf("got %v, second server asked %v; want NXDOMAIN from the first alone", err, good.questions())
		}
	})
}

func TestDNSGlibcRotate(t *testing.T) {
	a := startServer(t, byName(t, nil))
	b := startServer(t, byName(t, nil))
	d := newTestDNS(t, a, "svc.", "options rotate\n", DNSOptions{})
	d.conf.servers = []netip.AddrPort{netip.MustParseAddrPort(a.addr), netip.MustParseAddrPort(b.addr)}
	for range 4 {
		if _, _, err := resolve(t, d); err != nil {
			t.Fatal(err)
		}
	}
	// Each query starts at the next server: four queries, two each.
	if na, nb := len(a.questions()), len(b.questions()); na != 4 || nb != 4 {
		t.Errorf("asked %d and %d questions, want 4 each (A and AAAA, twice)", na, nb)
	}
}

func TestDNSGlibcWait(t *testing.T) {
	for _, tt := range []struct {
		timeout, n int
		want       []int
	}{
		{5, 1, []int{5}},
		{5, 2, []int{5, 5}},
		{5, 3, []int{5, 3, 6}},
		{1, 3, []int{1, 1, 1}},
	} {
		r := &resolver{timeout: tt.timeout, servers: make([]netip.AddrPort, tt.n)}
		var got []int
		for i := range tt.n {
			got = append(got, r.wait(i))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("timeout:%d with %d servers: got waits %v, want %v", tt.timeout, tt.n, got, tt.want)
		}
	}
}

func TestDNSResolvConfOptions(t *testing.T) {
	conf := writeFile(t, "options ndots:20 timeout:99 attempts:9\noptions rotate single-request-reopen no-tld-query\n")
	r, err := loadResolver(DNSOptions{ResolvConf: conf})
	if err != nil {
		t.Fatal(err)
	}
	want := resolver{ndots: 15, timeout: 30, attempts: 5, rotate: true, singleRequest: true, noTLDQuery: true}
	r.servers = nil
	if r.ndots != want.ndots || r.timeout != want.timeout || r.attempts != want.attempts ||
		r.rotate != want.rotate || r.singleRequest != want.singleRequest || r.noTLDQuery != want.noTLDQuery {
		t.Errorf("got %+v, want %+v (glibc's limits)", *r, want)
	}
}

func TestDNSGlibcStopIsExplained(t *testing.T) {
	s := startServer(t, byName(t, map[string]string{"svc.a.test": "refused", "svc": "nx"}))
	d := newTestDNS(t, s, "svc", "search a.test c.test\noptions ndots:5\n", DNSOptions{})
	_, _, err := resolve(t, d)
	want := "svc: REFUSED from " + s.addr + " for svc.a.test; NXDOMAIN for svc; like glibc, the search stopped at svc.a.test"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}
