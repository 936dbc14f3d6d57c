package checks

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestDNSUsageErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.conf")
	for _, tt := range []struct {
		test, name string
		opts       DNSOptions
	}{
		{"empty name", "", DNSOptions{}},
		{"port", "db:53", DNSOptions{}},
		{"path", "db/x", DNSOptions{}},
		{"space", "my db", DNSOptions{}},
		{"empty label", "a..b", DNSOptions{}},
		{"root", ".", DNSOptions{}},
		{"long label", strings.Repeat("x", 64), DNSOptions{}},
		{"type", "db", DNSOptions{Type: "PTR"}},
		{"negative min", "db", DNSOptions{MinRecords: -1}},
		{"two CNAMEs", "db", DNSOptions{Type: "CNAME", MinRecords: 2}},
		{"expect not IP", "db", DNSOptions{Expect: []string{"db.example"}}},
		{"expect v6 for A", "db", DNSOptions{Type: "A", Expect: []string{"::1"}}},
		{"server name", "db", DNSOptions{Server: "kube-dns.kube-system"}},
		{"server port", "db", DNSOptions{Server: "10.0.0.10:99999"}},
		{"server v6 unbracketed", "db", DNSOptions{Server: "::1:53:x"}},
		{"resolv.conf", "db", DNSOptions{ResolvConf: missing}},
		{"resolv.conf with server", "db", DNSOptions{ResolvConf: missing, Server: "10.0.0.10"}},
	} {
		t.Run(tt.test, func(t *testing.T) {
			c, err := newDNS("dns://"+tt.name, tt.name, tt.opts)
			if ue := (*UsageError)(nil); !errors.As(err, &ue) {
				t.Fatalf("got %v, %v; want a *UsageError", c, err)
			}
			t.Log(err)
		})
	}
}

func TestDNSServerForms(t *testing.T) {
	conf := writeFile(t, "")
	for in, want := range map[string]string{
		"10.0.0.10": "10.0.0.10:53", "10.0.0.10:5353": "10.0.0.10:5353",
		"::1": "[::1]:53", "[::1]": "[::1]:53", "[::1]:5353": "[::1]:5353",
	} {
		c, err := newDNS("dns://db", "db", DNSOptions{Server: in, ResolvConf: conf})
		if err != nil {
			t.Errorf("server %q: %v", in, err)
			continue
		}
		if got := c.(*DNS).conf.servers; len(got) != 1 || got[0].String() != want {
			t.Errorf("server %q: got %v, want %s", in, got, want)
		}
	}
}

func TestDNSResolvConfServers(t *testing.T) {
	conf := writeFile(t, "nameserver 10.0.0.10\nnameserver fe80::1%eth0\nnameserver bogus\nnameserver 10.0.0.11\nnameserver 10.0.0.12\n")
	c, err := newDNS("dns://db", "db", DNSOptions{ResolvConf: conf})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range c.(*DNS).conf.servers {
		got = append(got, s.String())
	}
	if want := []string{"10.0.0.10:53", "[fe80::1%eth0]:53", "10.0.0.11:53"}; !slices.Equal(got, want) {
		t.Errorf("got servers %v, want %v", got, want)
	}
}

// BenchmarkDNSCheck measures one attempt that walks a pod's search list to
// NXDOMAIN: four names, A and AAAA, on a kept socket.
func BenchmarkDNSCheck(b *testing.B) {
	d := newTestDNS(b, startServer(b, rcode(dns.RcodeNameError)), "myservice", podResolvConf, DNSOptions{})
	b.ReportAllocs()
	for b.Loop() {
		ctx, cancel := context.WithTimeout(b.Context(), time.Second)
		if _, _, err := d.Resolve(ctx); err == nil || !strings.Contains(err.Error(), "NXDOMAIN") {
			b.Fatalf("got %v, want NXDOMAIN", err)
		}
		cancel()
	}
}
