package conformance

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// musl's rule, as docs/conformance.md describes it, checked against musl
// itself (a getaddrinfo program built with musl-gcc) in the same namespace.
// initbox follows glibc, not musl: this keeps the documented differences
// true.

// muslEnv names the musl-built ahosts binary in the child.
const muslEnv = "INITBOX_CONFORMANCE_MUSL"

// buildMusl builds testdata/ahosts.c against musl, or says why it cannot.
func buildMusl(t *testing.T, dir string) (string, bool) {
	t.Helper()
	if _, err := exec.LookPath("musl-gcc"); err != nil {
		if required() {
			t.Fatal("musl-gcc is missing (Debian's musl-tools; scripts/deps.sh installs it)")
		}
		t.Log("musl-gcc is missing: musl's differences are not checked")
		return "", false
	}
	bin := dir + "/musl-ahosts"
	if out, err := exec.Command("musl-gcc", "-static", "-O2", "-o", bin, "testdata/ahosts.c").CombinedOutput(); err != nil {
		t.Fatalf("building testdata/ahosts.c with musl-gcc: %v\n%s", err, out)
	}
	return bin, true
}

// muslModel is what musl 1.2 resolves for a single-server case: no search
// at all when the name has ndots dots or a trailing dot; otherwise each
// search domain, going on only after NXDOMAIN, and the name as given last.
// Any other outcome (NODATA, SERVFAIL, REFUSED, no answer) ends the lookup
// with an error. ok is false for cases it does not model (several servers,
// which musl asks at once: the first answer wins, a race).
func muslModel(tc dnsCase) (ips []string, ok bool) {
	if len(tc.ns) != 1 {
		return nil, false
	}
	if tc.ns[0] == dead {
		return nil, true // no answer
	}
	zone := tc.zones[tc.ns[0]]
	ndots, attempts := 1, 2
	var search []string
	for _, line := range strings.Split(tc.conf, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 0 && f[0] == "search":
			search = f[1:]
		case len(f) > 0 && f[0] == "options":
			for _, o := range f[1:] {
				if v, ok := strings.CutPrefix(o, "ndots:"); ok {
					ndots = int(v[0] - '0')
				}
				if v, ok := strings.CutPrefix(o, "attempts:"); ok {
					attempts = int(v[0] - '0')
				}
			}
		}
	}
	name := strings.TrimSuffix(tc.query, ".")
	// lookup: found, nxdomain (go on), or an error (stop).
	lookup := func(n string) (ips []string, goOn bool) {
		how := zone[n]
		if rest, ok := strings.CutPrefix(how, "dropfirst "); ok {
			how = "drop"
			if attempts > 1 { // musl retransmits within the timeout
				how = rest
			}
		}
		switch {
		case how == "" || how == "nx":
			return nil, true
		case strings.HasPrefix(how, "a="):
			ips := strings.Split(strings.TrimPrefix(how, "a="), ",")
			slices.Sort(ips)
			return ips, false
		}
		return nil, false // nodata, lame, servfail, refused, drop
	}
	if strings.Count(tc.query, ".") < ndots && !strings.HasSuffix(tc.query, ".") {
		for _, domain := range search {
			ips, goOn := lookup(name + "." + domain)
			if ips != nil || !goOn {
				return ips, true
			}
		}
	}
	ips, _ = lookup(name)
	return ips, true
}

// checkMusl runs musl's getaddrinfo for tc and, where the model covers the
// case, compares the two; it returns musl's answer. resolvConf is rewritten
// with short timeouts first: musl waits out its whole timeout after a
// SERVFAIL or REFUSED, which it ignores.
func checkMusl(t *testing.T, bin, resolvConf string, tc dnsCase) []string {
	t.Helper()
	conf, err := os.ReadFile(resolvConf)
	if err != nil {
		t.Fatal(err)
	}
	conf = []byte(strings.ReplaceAll(string(conf), "timeout:10", "timeout:2"))
	if err := os.WriteFile(resolvConf, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	got := resolveWith(t, bin, tc.query)
	if want, ok := muslModel(tc); ok && !slices.Equal(got, want) {
		t.Errorf("musl resolves %s to %v; docs/conformance.md's musl rule says %v", tc.query, show(got), show(want))
	}
	return got
}
