package e2e

import (
	"strings"
	"testing"
)

// TestPodDNS runs examples/compose/pod-dns.yml: a resolv.conf like a
// pod's (search default.svc.cluster.local svc.cluster.local cluster.local,
// ndots:5) and a network alias myservice.default.svc.cluster.local. The
// service itself is called backend, so only the search list can turn
// "myservice" into a name Docker's embedded DNS knows.
func TestPodDNS(t *testing.T) {
	t.Parallel()
	p := newProject(t, "examples/compose/pod-dns.yml", "e2e/testdata/pod-dns-upstream.yml")
	p.must("up", "-d", "upstream", "backend")
	p.setenv("UPSTREAM_DNS", inspect(t, p.id("upstream"), "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"))

	t.Run("found through the search list", func(t *testing.T) {
		r := p.run("run", "--rm", "-T", "wait")
		if r.code != 0 {
			t.Fatalf("wait dns://myservice: exit %d, want 0\n%s", r.code, r.out())
		}
		if want := `found="myservice.default.svc.cluster.local `; !strings.Contains(r.out(), want) {
			t.Errorf("the ready line does not say %s:\n%s", want, r.out())
		}
	})

	t.Run("missing name times out with NXDOMAIN", func(t *testing.T) {
		r := p.run("run", "--rm", "-T", "wait", "wait", "--timeout", "3s", "dns://missing")
		if r.code != 124 {
			t.Fatalf("wait dns://missing: exit %d, want 124 (timed out)\n%s", r.code, r.out())
		}
		// Docker's embedded DNS answers the bare single-label name itself,
		// with no records and no error (it never forwards such names), so
		// only the three search-list names get their NXDOMAIN.
		want := "NXDOMAIN for missing.default.svc.cluster.local, missing.svc.cluster.local, missing.cluster.local"
		if !strings.Contains(r.out(), want) {
			t.Errorf("want %q in\n%s", want, r.out())
		}
		// The names reached the test's upstream server through Docker's
		// embedded DNS: the answer came from inside the test network.
		if logs := p.logs("upstream"); !strings.Contains(logs, "query A missing.default.svc.cluster.local.") {
			t.Errorf("the upstream DNS server was not asked; its log:\n%s", logs)
		}
	})
}
