package conformance

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// The DNS comparison runs in a network and mount namespace of its own: the
// test binary starts itself again under unshare, and that child brings up
// lo, mounts its own resolv.conf, hosts and nsswitch.conf over /etc, runs
// DNS servers on 127.0.0.x:53 and compares glibc's getaddrinfo (getent
// ahosts) with the initbox binary for each case.

// inNetns is set in the child that runs inside the namespaces.
const inNetns = "INITBOX_CONFORMANCE_NETNS"

// required reports whether a missing prerequisite must fail the test.
func required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("INITBOX_REQUIRE_SERVERS") == "1"
}

func TestDNSAgreesWithGlibc(t *testing.T) {
	if testing.Short() {
		t.Skip("needs root, a network namespace and seconds of timeouts: skipped under -short")
	}
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, tool := range []string{"unshare", "getent", "ip", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		if required() {
			t.Fatalf("cannot compare with glibc: missing %v", missing)
		}
		t.Skipf("cannot compare with glibc: missing %v", missing)
	}
	bin := filepath.Join(t.TempDir(), "initbox")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = "../.." // in initbox's own module, with its own go.sum
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building initbox: %v\n%s", err, out)
	}
	env := append(os.Environ(), inNetns+"="+bin)
	if musl, ok := buildMusl(t, filepath.Dir(bin)); ok {
		env = append(env, muslEnv+"="+musl)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-n", "-m", "--", self, "-test.run=^TestDNSInNetns$", "-test.v"}
	cmd := exec.Command("unshare", args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	t.Logf("inside the namespace:\n%s", out)
	if err != nil {
		t.Fatalf("the comparison inside the namespace failed: %v", err)
	}
	if !bytes.Contains(out, []byte("--- PASS: TestDNSInNetns")) {
		t.Fatal("the comparison inside the namespace did not run")
	}
}

// TestDNSInNetns runs only as the child of TestDNSAgreesWithGlibc.
func TestDNSInNetns(t *testing.T) {
	bin := os.Getenv(inNetns)
	if bin == "" {
		t.Skip("runs only inside the namespace TestDNSAgreesWithGlibc makes")
	}
	run(t, "ip", "link", "set", "lo", "up")
	etc := t.TempDir()
	resolvConf := filepath.Join(etc, "resolv.conf")
	for name, content := range map[string]string{
		"resolv.conf":   "",
		"hosts":         "127.0.0.1 localhost\n::1 localhost\n",
		"nsswitch.conf": "hosts: files dns\n",
	} {
		path := filepath.Join(etc, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		run(t, "mount", "--bind", path, "/etc/"+name)
	}
	servers := map[string]*zoneServer{}
	for _, addr := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"} {
		servers[addr] = startZoneServer(t, addr)
	}
	for _, tc := range dnsCases() {
		t.Run(tc.name, func(t *testing.T) {
			var conf string
			for _, ns := range tc.ns {
				conf += "nameserver " + ns + "\n"
			}
			conf += tc.conf
			// Rewritten in place: the bind mount follows the inode.
			if err := os.WriteFile(resolvConf, []byte(conf), 0o644); err != nil {
				t.Fatal(err)
			}
			for addr, s := range servers {
				s.set(tc.zones[addr])
			}
			glibc := getent(t, tc.query)
			glibcAsked := asked(servers)
			ours := initboxDNS(t, bin, tc.query)
			if !slices.Equal(glibc, ours) {
				t.Errorf("%s with\n%s\tglibc: %v (asked %v)\n\tinitbox: %v (asked %v)", tc.query, conf, show(glibc), glibcAsked, show(ours), asked(servers))
			}
			if musl := os.Getenv(muslEnv); musl != "" && !tc.muslRace {
				asked(servers)
				got := checkMusl(t, musl, resolvConf, tc)
				if !slices.Equal(got, glibc) {
					t.Logf("musl differs: %v; glibc and initbox: %v", show(got), show(glibc))
				}
				asked(servers)
				if ours := initboxDNS(t, bin, tc.query, "--dns-resolver", "musl"); !slices.Equal(got, ours) {
					t.Errorf("%s: musl: %v; initbox --dns-resolver musl: %v", tc.query, show(got), show(ours))
				}
			}
		})
	}
}

// asked returns the questions each server was asked, and forgets them.
func asked(servers map[string]*zoneServer) []string {
	var all []string
	for _, addr := range slices.Sorted(maps.Keys(servers)) {
		if log := servers[addr].reset(); len(log) > 0 {
			all = append(all, addr+": "+strings.Join(log, ", "))
		}
	}
	return all
}

func show(ips []string) string {
	if ips == nil {
		return "not found"
	}
	return strings.Join(ips, " ")
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// getent resolves name with glibc's getaddrinfo: its addresses, sorted, or
// nil when it does not resolve.
func getent(t *testing.T, name string) []string {
	t.Helper()
	return resolveWith(t, "getent", "ahosts", name)
}

// resolveWith runs a program that prints addresses first on each line and
// exits 2 when the name is not found.
func resolveWith(t *testing.T, prog string, args ...string) []string {
	t.Helper()
	out, err := exec.Command(prog, args...).Output()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 2 {
		return nil // not found
	} else if err != nil {
		t.Fatalf("%s %v: %v", prog, args, err)
	}
	var ips []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) > 0 && !slices.Contains(ips, f[0]) {
			ips = append(ips, f[0])
		}
	}
	slices.Sort(ips)
	return ips
}

// initboxDNS resolves name with the initbox binary: check says whether it is
// ready, and wait, once it is, logs what it found.
func initboxDNS(t *testing.T, bin, name string, flags ...string) []string {
	t.Helper()
	check := exec.Command(bin, append(append([]string{"check", "--timeout", "120s"}, flags...), "dns://"+name)...)
	if out, err := check.CombinedOutput(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
			t.Logf("initbox check: %s", bytes.TrimSpace(out))
			return nil
		}
		t.Fatalf("initbox check dns://%s: %v\n%s", name, err, out)
	}
	wait := exec.Command(bin, append(append([]string{"--log-format", "json", "wait", "--timeout", "120s", "--attempt-timeout", "120s"}, flags...), "dns://"+name)...)
	out, err := wait.CombinedOutput()
	if err != nil {
		t.Fatalf("initbox wait dns://%s after check said ready: %v\n%s", name, err, out)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var line struct{ Msg, Found string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "ready" {
			_, list, _ := strings.Cut(line.Found, " ")
			ips := strings.Split(list, ",")
			slices.Sort(ips)
			return ips
		}
	}
	t.Fatalf("initbox wait logged no ready line:\n%s", out)
	return nil
}

// zoneServer answers per name as a case says: "nx" (NXDOMAIN, also for
// names not listed), "servfail", "refused", "drop" (nothing: a timeout),
// "nodata", "lame" (NODATA, but neither authoritative nor recursive), or "a=IP,IP" (those A records, NODATA for AAAA); "dropfirst
// a=IP" drops the first question for each name and type, then answers.
type zoneServer struct {
	mu    sync.Mutex
	zone  map[string]string
	asked map[string]int // "name type" → questions so far
	log   []string       // "name type", in order
}

func startZoneServer(t *testing.T, addr string) *zoneServer {
	t.Helper()
	s := &zoneServer{}
	for _, network := range []string{"udp", "tcp"} {
		srv := &dns.Server{Addr: net.JoinHostPort(addr, "53"), Net: network, Handler: s}
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		errc := make(chan error, 1)
		go func() { errc <- srv.ListenAndServe() }()
		select {
		case <-started:
		case err := <-errc:
			t.Fatalf("DNS server on %s/%s: %v", addr, network, err)
		}
		t.Cleanup(func() { srv.Shutdown() })
	}
	return s
}

func (s *zoneServer) set(zone map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.zone, s.asked, s.log = zone, map[string]int{}, nil
}

// reset forgets the questions asked, and returns them.
func (s *zoneServer) reset() []string {
	log := s.log
	s.set(s.zone)
	return log
}

func (s *zoneServer) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	q := r.Question[0]
	name := strings.ToLower(q.Name)
	s.mu.Lock()
	how := s.zone[strings.TrimSuffix(name, ".")]
	key := fmt.Sprintf("%s %d", name, q.Qtype)
	s.asked[key]++
	n := s.asked[key]
	s.log = append(s.log, strings.TrimSuffix(name, ".")+" "+dns.TypeToString[q.Qtype])
	s.mu.Unlock()
	if rest, ok := strings.CutPrefix(how, "dropfirst "); ok {
		if n == 1 {
			return
		}
		how = rest
	}
	m := new(dns.Msg).SetReply(r)
	m.RecursionAvailable = true // as a cluster's resolver answers
	switch {
	case how == "" || how == "nx":
		m.Rcode = dns.RcodeNameError
	case how == "servfail":
		m.Rcode = dns.RcodeServerFailure
	case how == "refused":
		m.Rcode = dns.RcodeRefused
	case how == "drop":
		return
	case how == "nodata":
	case how == "lame": // what glibc takes for a BIND 4 lame referral
		m.RecursionAvailable = false
	case strings.HasPrefix(how, "a="):
		for _, ip := range strings.Split(strings.TrimPrefix(how, "a="), ",") {
			if q.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 5}, A: net.ParseIP(ip)})
			}
		}
	default:
		panic("unknown behaviour " + how)
	}
	w.WriteMsg(m)
}

// timing is how long the servers may take: generous, so that a loaded
// machine does not turn an answer into a timeout, except in the cases that
// test timeouts themselves.
const timing = "options timeout:10 attempts:1\n"
