package checks

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

// A wait that ends leaves no descriptor behind, although the TCP and DNS
// checks keep a socket between attempts: a program that goes on after it
// (serve, run, a library user) must not collect them.
func TestWaitReleasesKeptSockets(t *testing.T) {
	refused := testnet.NewLate(t)
	tcp, err := newTCP("tcp://"+refused.Addr, refused.Addr)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, rcode(dns.RcodeNameError))
	name := newTestDNS(t, s, "db", "search default.svc.cluster.local\n", DNSOptions{})
	before := openDescriptors(t)
	for _, c := range []Checker{tcp, name, Gone(name)} {
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		(&Waiter{}).Wait(ctx, []Checker{c})
		CheckOnce(ctx, []Checker{c})
		cancel()
	}
	if after := openDescriptors(t); after != before {
		t.Errorf("%d descriptors open before the waits, %d after", before, after)
	}
}

func openDescriptors(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(fds)
}
