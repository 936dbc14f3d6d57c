package conformance

import "fmt"

// dnsCase is one name asked with one resolv.conf of servers that answer
// per name as zones say (see zoneServer).
type dnsCase struct {
	name  string
	query string
	ns    []string // nameserver lines, in order
	conf  string   // the rest of resolv.conf
	zones map[string]map[string]string
	// muslRace marks a case whose outcome under musl, which asks every
	// server at once, depends on which answers first.
	muslRace bool
}

const (
	s1, s2, s3 = "127.0.0.1", "127.0.0.2", "127.0.0.3"
	dead       = "127.0.0.9" // nothing listens: ICMP port unreachable
	pod        = "search a.test b.test c.test\noptions ndots:5\n"
	quick      = "options timeout:2 attempts:1\n" // for cases that time out
)

// dnsCases: every failure kind at each search list position, with and
// without the name as given to fall back on; ndots and the as-is-first
// rule; a trailing dot; several nameservers; timeout:, attempts: and
// single-request.
func dnsCases() []dnsCase {
	var cases []dnsCase
	kinds := []string{"nx", "nodata", "lame", "servfail", "refused", "drop"}
	for _, pos := range []string{"a.test", "b.test", "c.test"} {
		for _, kind := range kinds {
			for _, asIs := range []string{"a=10.0.0.9", "nx"} {
				zone := map[string]string{"svc." + pos: kind, "svc.c.test": "a=10.0.0.3", "svc": asIs}
				if pos == "c.test" {
					zone["svc.c.test"] = kind
				}
				cases = append(cases, dnsCase{
					name:  fmt.Sprintf("%s at %s, as is %s", kind, pos, asIs),
					query: "svc", ns: []string{s1}, conf: pod + timingFor(kind),
					zones: map[string]map[string]string{s1: zone},
				})
			}
		}
	}
	one := func(name, query, conf string, zone map[string]string) dnsCase {
		return dnsCase{name: name, query: query, ns: []string{s1}, conf: conf, zones: map[string]map[string]string{s1: zone}}
	}
	cases = append(cases,
		one("timeout after servfail", "svc", pod+quick, map[string]string{"svc.a.test": "servfail", "svc.b.test": "drop", "svc.c.test": "a=10.0.0.3", "svc": "a=10.0.0.9"}),
		one("timeout after nxdomain", "svc", pod+quick, map[string]string{"svc.b.test": "drop", "svc.c.test": "a=10.0.0.3", "svc": "a=10.0.0.9"}),
		one("refused after servfail", "svc", pod+timing, map[string]string{"svc.a.test": "servfail", "svc.b.test": "refused", "svc.c.test": "a=10.0.0.3", "svc": "a=10.0.0.9"}),
		one("ndots:1, as is first", "svc.x", "search a.test\noptions ndots:1\n"+timing, map[string]string{"svc.x": "a=10.0.0.7", "svc.x.a.test": "a=10.0.0.1"}),
		one("ndots:2, search first", "svc.x", "search a.test\noptions ndots:2\n"+timing, map[string]string{"svc.x": "a=10.0.0.7", "svc.x.a.test": "a=10.0.0.1"}),
		one("ndots:1, as is refused", "svc.x", "search a.test\noptions ndots:1\n"+timing, map[string]string{"svc.x": "refused", "svc.x.a.test": "a=10.0.0.1"}),
		one("ndots:1, as is times out", "svc.x", "search a.test\noptions ndots:1\n"+quick, map[string]string{"svc.x": "drop", "svc.x.a.test": "a=10.0.0.1"}),
		one("ndots:1, as is servfail", "svc.x", "search a.test\noptions ndots:1\n"+timing, map[string]string{"svc.x": "servfail", "svc.x.a.test": "a=10.0.0.1"}),
		one("ndots:0", "svc", "search a.test\noptions ndots:0\n"+timing, map[string]string{"svc": "a=10.0.0.7", "svc.a.test": "a=10.0.0.1"}),
		one("trailing dot", "svc.c.test.", pod+timing, map[string]string{"svc.c.test": "a=10.0.0.3", "svc.c.test.a.test": "a=10.0.0.1"}),
		one("trailing dot, no search", "svc.", pod+timing, map[string]string{"svc.a.test": "a=10.0.0.1"}),
		one("no search list", "svc", timing, map[string]string{"svc": "a=10.0.0.9"}),
		one("two records", "svc", pod+timing, map[string]string{"svc.b.test": "a=10.0.0.1,10.0.0.2"}),
		one("single-request", "svc", pod+"options single-request\n"+timing, map[string]string{"svc.a.test": "servfail", "svc.b.test": "a=10.0.0.2"}),
		one("single-request, refused", "svc", pod+"options single-request\n"+timing, map[string]string{"svc.a.test": "refused", "svc.b.test": "a=10.0.0.2", "svc": "a=10.0.0.9"}),
		one("attempts:1 with a lost packet", "svc", pod+quick, map[string]string{"svc.a.test": "dropfirst a=10.0.0.5"}),
		one("attempts:2 with a lost packet", "svc", pod+"options timeout:2 attempts:2\n", map[string]string{"svc.a.test": "dropfirst a=10.0.0.5"}),
	)
	multi := func(name string, ns []string, conf string, zones map[string]map[string]string) dnsCase {
		return dnsCase{name: name, query: "svc", ns: ns, conf: pod + conf, zones: zones}
	}
	rec := map[string]string{"svc.b.test": "a=10.0.0.2", "svc": "a=10.0.0.9"}
	all := func(how string) map[string]string {
		return map[string]string{"svc.a.test": how, "svc.b.test": how, "svc.c.test": how, "svc": how}
	}
	cases = append(cases,
		multi("first server refuses", []string{s1, s2}, timing, map[string]map[string]string{s1: all("refused"), s2: rec}),
		multi("first server fails", []string{s1, s2}, timing, map[string]map[string]string{s1: all("servfail"), s2: rec}),
		multi("first server silent", []string{s1, s2}, quick, map[string]map[string]string{s1: all("drop"), s2: rec}),
		racy(multi("first server says nxdomain", []string{s1, s2}, timing, map[string]map[string]string{s1: all("nx"), s2: rec})),
		multi("first server unreachable", []string{dead, s2}, timing, map[string]map[string]string{s2: rec}),
		multi("all unreachable", []string{dead}, timing, nil),
		multi("refused, silent, then answers", []string{s1, s2, s3}, quick, map[string]map[string]string{s1: all("refused"), s2: all("drop"), s3: rec}),
		multi("all refuse", []string{s1, s2}, timing, map[string]map[string]string{s1: all("refused"), s2: all("refused")}),
		multi("refused, then servfail", []string{s1, s2}, timing, map[string]map[string]string{s1: all("refused"), s2: all("servfail")}),
		multi("servfail, then silent", []string{s1, s2}, quick, map[string]map[string]string{s1: {"svc.a.test": "servfail", "svc.c.test": "a=10.0.0.3", "svc": "a=10.0.0.9"}, s2: all("drop")}),
		multi("silent, then servfail", []string{s1, s2}, quick, map[string]map[string]string{s1: all("drop"), s2: {"svc.a.test": "servfail", "svc.c.test": "a=10.0.0.3", "svc": "a=10.0.0.9"}}),
		multi("servfail, then refused", []string{s1, s2}, timing, map[string]map[string]string{s1: all("servfail"), s2: all("refused")}),
	)
	return cases
}

func racy(tc dnsCase) dnsCase {
	tc.muslRace = true
	return tc
}

// timingFor gives the cases with a silent server short timeouts.
func timingFor(kind string) string {
	if kind == "drop" {
		return quick
	}
	return timing
}
