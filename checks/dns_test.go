package checks

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

// podResolvConf is what the kubelet writes for a pod in namespace default.
const podResolvConf = "search default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n"

// testServer is a real DNS server on 127.0.0.1, on the same port for UDP and
// TCP as a real one would be.
type testServer struct {
	addr     string
	udp, tcp atomic.Int32
	mu       sync.Mutex
	asked    []string // "name type", in arrival order
}

// startServer serves DNS with answer on 127.0.0.1 until the test ends.
func startServer(t testing.TB, answer dns.HandlerFunc) *testServer {
	t.Helper()
	return startServerOn(t, "127.0.0.1", answer)
}

// startServerOn serves DNS with answer on host until the test ends.
func startServerOn(t testing.TB, host string, answer dns.HandlerFunc) *testServer {
	t.Helper()
	s := &testServer{}
	pc, l := testnet.ListenBoth(t, host)
	s.addr = pc.LocalAddr().String()
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if _, ok := w.RemoteAddr().(*net.TCPAddr); ok {
			s.tcp.Add(1)
		} else {
			s.udp.Add(1)
		}
		s.mu.Lock()
		s.asked = append(s.asked, r.Question[0].Name+" "+dns.TypeToString[r.Question[0].Qtype])
		s.mu.Unlock()
		answer(w, r)
	})
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: l, Handler: h}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		errc := make(chan error, 1)
		go func() { errc <- srv.ActivateAndServe() }()
		select {
		case <-started:
		case err := <-errc:
			t.Fatalf("starting test DNS server: %v", err)
		}
		t.Cleanup(func() { srv.Shutdown() })
	}
	return s
}

// refusedAddr returns a UDP address on 127.0.0.1 where nothing listens
// any more, so a question sent there meets ICMP port unreachable.
func refusedAddr(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().String()
}

// questions returns what the server was asked so far.
func (s *testServer) questions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.asked)
}

// zone answers from records in zone file syntax, like an authoritative
// server: NXDOMAIN for unknown names, NODATA for known names without the
// type, and CNAMEs followed.
func zone(t *testing.T, records ...string) dns.HandlerFunc {
	t.Helper()
	var rrs []dns.RR
	for _, s := range records {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("bad test record %q: %v", s, err)
		}
		rrs = append(rrs, rr)
	}
	return func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg).SetReply(r)
		m.Authoritative = true
		name, qtype := r.Question[0].Name, r.Question[0].Qtype
		m.Rcode = dns.RcodeNameError
		for range 8 {
			var cname *dns.CNAME
			for _, rr := range rrs {
				if !strings.EqualFold(rr.Header().Name, name) {
					continue
				}
				m.Rcode = dns.RcodeSuccess
				if rr.Header().Rrtype == qtype {
					m.Answer = append(m.Answer, rr)
				} else if c, ok := rr.(*dns.CNAME); ok {
					cname = c
				}
			}
			if cname == nil || len(m.Answer) > 0 && m.Answer[len(m.Answer)-1].Header().Rrtype == qtype {
				break
			}
			m.Answer = append(m.Answer, cname)
			name, m.Rcode = cname.Target, dns.RcodeNameError
		}
		w.WriteMsg(m)
	}
}

// rcode answers every question with rcode.
func rcode(rc int) dns.HandlerFunc {
	return func(w dns.ResponseWriter, r *dns.Msg) {
		w.WriteMsg(new(dns.Msg).SetRcode(r, rc))
	}
}

// writeFile writes a temporary file, such as a resolv.conf.
func writeFile(t testing.TB, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// newTestDNS builds a check of name against s, with resolvConf giving the
// search list and ndots.
func newTestDNS(t testing.TB, s *testServer, name, resolvConf string, o DNSOptions) *DNS {
	t.Helper()
	o.Server, o.ResolvConf = s.addr, writeFile(t, resolvConf)
	c, err := newDNS("dns://"+name, name, o)
	if err != nil {
		t.Fatalf("newDNS(%q): %v", name, err)
	}
	return c.(*DNS)
}

// resolve makes one attempt with a 2s budget.
func resolve(t *testing.T, d *DNS) (string, []string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	return d.Resolve(ctx)
}

func TestDNSAppearsLate(t *testing.T) {
	var exists atomic.Bool
	records := zone(t, "myservice.default.svc.cluster.local. 5 IN A 10.0.0.1")
	s := startServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		if exists.Load() {
			records(w, r)
			return
		}
		rcode(dns.RcodeNameError)(w, r)
	})
	d := newTestDNS(t, s, "myservice", podResolvConf, DNSOptions{})
	want := "myservice: NXDOMAIN for myservice.default.svc.cluster.local, myservice.svc.cluster.local, myservice.cluster.local, myservice"
	if _, _, err := resolve(t, d); err == nil || err.Error() != want {
		t.Fatalf("before the record exists: got error %v, want %q", err, want)
	}
	exists.Store(true)
	if err := d.Check(t.Context()); err != nil {
		t.Fatalf("after the record exists: got %v, want ready", err)
	}
}

func TestDNSSearchOrder(t *testing.T) {
	s := startServer(t, zone(t,
		"myservice.default.svc.cluster.local. 5 IN A 10.0.0.1",
		"myservice.cluster.local. 5 IN A 10.0.0.2",
		"db.example.com. 5 IN A 192.0.2.1",
		"db.example.com.default.svc.cluster.local. 5 IN A 10.0.0.3",
	))
	for _, tt := range []struct{ name, resolvConf, want string }{
		{"myservice", podResolvConf, "myservice.default.svc.cluster.local"},
		{"MyService", podResolvConf, "MyService.default.svc.cluster.local"},
		{"db.example.com", podResolvConf, "db.example.com.default.svc.cluster.local"},
		{"db.example.com.", podResolvConf, "db.example.com"},
		{"db.example.com", "search default.svc.cluster.local\noptions ndots:2\n", "db.example.com"},
		{"myservice", "search nope.local cluster.local\n", "myservice.cluster.local"},
	} {
		t.Run(tt.name+"/"+tt.want, func(t *testing.T) {
			d := newTestDNS(t, s, tt.name, tt.resolvConf, DNSOptions{})
			got, answers, err := resolve(t, d)
			if err != nil || got != tt.want || len(answers) != 1 {
				t.Errorf("got %q %v, %v; want %q with one answer", got, answers, err, tt.want)
			}
		})
	}
}

func TestDNSAbsoluteNameSkipsSearch(t *testing.T) {
	s := startServer(t, rcode(dns.RcodeNameError))
	d := newTestDNS(t, s, "db.example.com.", podResolvConf, DNSOptions{})
	_, _, err := resolve(t, d)
	if want := "db.example.com.: NXDOMAIN"; err == nil || err.Error() != want {
		t.Errorf("got error %v, want %q", err, want)
	}
	// Like getaddrinfo, A and AAAA are asked together.
	if got, want := sorted(s.questions()), []string{"db.example.com. A", "db.example.com. AAAA"}; !slices.Equal(got, want) {
		t.Errorf("server was asked %v, want %v", got, want)
	}
}

func TestDNSNotReady(t *testing.T) {
	servfailDefault := func(t *testing.T) dns.HandlerFunc {
		records := zone(t, "myservice.svc.cluster.local. 5 IN A 10.0.0.1", "myservice.cluster.local. 5 IN TXT hello")
		return func(w dns.ResponseWriter, r *dns.Msg) {
			if strings.HasSuffix(r.Question[0].Name, ".default.svc.cluster.local.") {
				rcode(dns.RcodeServerFailure)(w, r)
				return
			}
			records(w, r)
		}
	}
	for _, tt := range []struct {
		test     string
		name     string
		resolv   string
		opts     DNSOptions
		handler  func(*testing.T) dns.HandlerFunc
		want     string // SERVER stands for the server's address
		wantName string // when ready
	}{
		{"servfail", "db.test.", "", DNSOptions{}, func(*testing.T) dns.HandlerFunc { return rcode(dns.RcodeServerFailure) },
			"db.test.: SERVFAIL from SERVER", ""},
		{"refused", "db.test.", "", DNSOptions{}, func(*testing.T) dns.HandlerFunc { return rcode(dns.RcodeRefused) },
			"db.test.: REFUSED from SERVER", ""},
		{"ndots: as-is first", "db.example.com", "search default.svc.cluster.local\noptions ndots:2\n", DNSOptions{},
			func(*testing.T) dns.HandlerFunc { return rcode(dns.RcodeNameError) },
			"db.example.com: NXDOMAIN for db.example.com, db.example.com.default.svc.cluster.local", ""},
		{"servfail then nxdomain", "other", podResolvConf, DNSOptions{}, servfailDefault,
			"other: SERVFAIL from SERVER for other.default.svc.cluster.local; NXDOMAIN for other.svc.cluster.local, other.cluster.local, other", ""},
		{"servfail does not stop the search", "myservice", podResolvConf, DNSOptions{}, servfailDefault,
			"", "myservice.svc.cluster.local"},
		{"nodata", "myservice", "search cluster.local\n", DNSOptions{Type: "aaaa"}, servfailDefault,
			"myservice: myservice.cluster.local exists but has no AAAA records; NXDOMAIN for myservice", ""},
		{"nodata any address", "myservice.cluster.local.", "", DNSOptions{}, servfailDefault,
			"myservice.cluster.local.: myservice.cluster.local exists but has no A or AAAA records", ""},
		{"too few", "web.", "", DNSOptions{MinRecords: 3}, func(t *testing.T) dns.HandlerFunc {
			return zone(t, "web. 5 IN A 10.0.0.2", "web. 5 IN A 10.0.0.1")
		}, "web.: web has 2 A/AAAA records, want at least 3", ""},
		{"first match decides", "web", "search a.local b.local\noptions ndots:5\n", DNSOptions{MinRecords: 2}, func(t *testing.T) dns.HandlerFunc {
			return zone(t, "web.a.local. 5 IN A 10.0.0.1", "web.b.local. 5 IN A 10.0.0.1", "web.b.local. 5 IN A 10.0.0.2")
		}, "web: web.a.local has 1 A/AAAA records, want at least 2", ""},
		{"enough with AAAA", "web.", "", DNSOptions{MinRecords: 3}, func(t *testing.T) dns.HandlerFunc {
			return zone(t, "web. 5 IN A 10.0.0.2", "web. 5 IN A 10.0.0.1", "web. 5 IN AAAA 2001:db8::1")
		}, "", "web"},
		{"expect missing", "web.", "", DNSOptions{Expect: []string{"10.0.0.1", "10.0.0.9"}}, func(t *testing.T) dns.HandlerFunc {
			return zone(t, "web. 5 IN A 10.0.0.2", "web. 5 IN A 10.0.0.1")
		}, "web.: answers [10.0.0.1 10.0.0.2] for web do not include 10.0.0.9", ""},
	} {
		t.Run(tt.test, func(t *testing.T) {
			s := startServer(t, tt.handler(t))
			d := newTestDNS(t, s, tt.name, tt.resolv, tt.opts)
			name, answers, err := resolve(t, d)
			if tt.want == "" {
				if err != nil || name != tt.wantName {
					t.Fatalf("got %q %v, %v; want ready as %q", name, answers, err, tt.wantName)
				}
				return
			}
			if want := strings.ReplaceAll(tt.want, "SERVER", s.addr); err == nil || err.Error() != want {
				t.Fatalf("got error\n\t%v\nwant\n\t%s", err, want)
			}
		})
	}
}

func TestDNSTypes(t *testing.T) {
	s := startServer(t, zone(t,
		"_http._tcp.web. 5 IN SRV 0 0 8080 Web-0.Web.",
		"_http._tcp.web. 5 IN SRV 0 0 8080 web-1.web.",
		"web. 5 IN TXT \"v=1 \" \"ready\"",
		"web. 5 IN MX 10 Mail.Example.",
		"alias. 5 IN CNAME web.",
		"web. 5 IN A 10.0.0.1",
		"web. 5 IN AAAA 2001:db8::1",
		"v6only. 5 IN AAAA 2001:db8::2",
	))
	for _, tt := range []struct {
		name, typ   string
		expect      []string
		wantAnswers []string
	}{
		{"_http._tcp.web.", "SRV", []string{"web-0.web:8080", "WEB-1.web."}, []string{"Web-0.Web:8080", "web-1.web:8080"}},
		{"web.", "txt", []string{"V=1 ready"}, []string{"v=1 ready"}},
		{"web.", "MX", []string{"mail.example."}, []string{"Mail.Example"}},
		{"alias.", "CNAME", []string{"WEB"}, []string{"web"}},
		{"alias.", "A", []string{"10.0.0.1"}, []string{"10.0.0.1"}},
		{"alias.", "", nil, []string{"10.0.0.1", "2001:db8::1"}},
		{"web.", "AAAA", []string{"2001:DB8:0::1"}, []string{"2001:db8::1"}},
		{"v6only.", "", []string{"2001:db8::2"}, []string{"2001:db8::2"}},
	} {
		t.Run(tt.typ+" "+tt.name, func(t *testing.T) {
			d := newTestDNS(t, s, tt.name, "", DNSOptions{Type: tt.typ, Expect: tt.expect})
			_, answers, err := resolve(t, d)
			if err != nil || !slices.Equal(answers, tt.wantAnswers) {
				t.Errorf("got %q, %v; want %q", answers, err, tt.wantAnswers)
			}
		})
	}
}

func TestDNSAsksAAndAAAATogether(t *testing.T) {
	s := startServer(t, rcode(dns.RcodeNameError))
	d := newTestDNS(t, s, "gone.", "", DNSOptions{})
	if _, _, err := resolve(t, d); err == nil {
		t.Fatal("got ready, want NXDOMAIN")
	}
	if got, want := sorted(s.questions()), []string{"gone. A", "gone. AAAA"}; !slices.Equal(got, want) {
		t.Errorf("server was asked %v, want %v, as getaddrinfo asks", got, want)
	}
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}
