package kube

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

// A seed is one of the busybox loops initbox replaces (DESIGN.md), with its
// initbox line: each runs as the init container of a pod, and the suite
// measures the time from the moment the loop's dependency is ready to the
// moment the pod is. A report, not an assertion: only the initbox line
// must get its pod Ready.
type seed struct {
	name    string
	image   string                    // the loop's image; "" for busybox
	busybox func(dep string) []string // the loop, as the container's command
	initbox func(dep string) []string // the initbox line, as its args
	// prepare makes the dependency exist but not ready, and returns the
	// argument of busybox and initbox; ready makes it ready.
	prepare func(t *testing.T, ns string, run int) (dep string)
	ready   func(t *testing.T, ns, dep string)
}

var seeds = []seed{
	{
		name: "nslookup myservice.$NS.svc.cluster.local, sleep 2",
		busybox: func(string) []string {
			return []string{"sh", "-c", "until nslookup myservice.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc.cluster.local; do echo waiting for myservice; sleep 2; done"}
		},
		initbox: func(string) []string { return []string{"wait", "dns://myservice"} },
		prepare: func(*testing.T, string, int) string { return "" },
		// Ready once the cluster DNS answers for the name: it caches the
		// name as missing for up to 30 s after the Service exists.
		ready: func(t *testing.T, ns, _ string) { createService(t, ns, "myservice") },
	},
	{
		name: "ping HOST -c 1, sleep 2 (for MySQL)",
		busybox: func(host string) []string {
			return []string{"sh", "-c", "until ping " + host + " -c 1; do sleep 2; done"}
		},
		initbox: func(host string) []string { return []string{"wait", "tcp://" + host + ":3306"} },
		// The host is up from the start; MySQL opens its port later.
		prepare: func(t *testing.T, _ string, run int) string {
			host := fmt.Sprintf("192.168.90.%d", 100+run)
			addHostAddress(t, host)
			return host
		},
		ready: func(t *testing.T, _ string, host string) {
			ln, err := net.Listen("tcp", net.JoinHostPort(host, "3306"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			go testnet.AcceptAndClose(ln)
		},
	},

	{
		// The original is bash (brace expansion) with dig, which exits 0
		// on NXDOMAIN: its image holds the host's bash, dig and sleep.
		name:  "bash: for i in {1..100}; sleep 1; dig NAME",
		image: imageDig,
		busybox: func(string) []string {
			return []string{"bash", "-c", "for i in {1..100}; do sleep 1; if dig redis-standalone-svc; then exit 0; fi; done; exit 1"}
		},
		initbox: func(string) []string { return []string{"wait", "--timeout=100s", "dns://redis-standalone-svc"} },
		prepare: func(*testing.T, string, int) string { return "" },
		ready:   func(t *testing.T, ns, _ string) { createService(t, ns, "redis-standalone-svc") },
	},
}

// createService creates a Service name in ns and waits until the cluster
// DNS answers for it.
func createService(t *testing.T, ns, name string) {
	apply(t, ns, "apiVersion: v1\nkind: Service\nmetadata: {name: "+name+"}\nspec: {ports: [{port: 80}]}\n")
	waitResolves(t, name+"."+ns+".svc.cluster.local.")
}

const seedRuns = 5

// never stands for a pod that did not become Ready.
const never = time.Duration(1<<63 - 1)

// TestSeedLoops runs every seed 5 times as its busybox loop and 5 times as
// its initbox line, all at once, and prints the medians.
func TestSeedLoops(t *testing.T) {
	requireCluster(t)
	t.Parallel()
	var mu sync.Mutex
	results := map[string][]time.Duration{}
	t.Run("runs", func(t *testing.T) {
		for i, s := range seeds {
			for _, variant := range []string{"busybox", "initbox"} {
				for run := range seedRuns {
					id := fmt.Sprintf("%d-%s-%d", i, variant, run)
					t.Run(id, func(t *testing.T) {
						t.Parallel()
						d := runSeed(t, s, variant, i*2*seedRuns+run+seedRunsOffset(variant))
						mu.Lock()
						results[s.name+"\x00"+variant] = append(results[s.name+"\x00"+variant], d)
						mu.Unlock()
					})
				}
			}
		}
	})
	var b strings.Builder
	fmt.Fprintf(&b, "seed loops: seconds from dependency-ready to pod-Ready, median of %d (min..max)\n", seedRuns)
	fmt.Fprintf(&b, "seed | %-50s | %-40s | %s\n", "loop", "the loop", "initbox")
	for _, s := range seeds {
		fmt.Fprintf(&b, "seed | %-50s | %-40s | %s\n", s.name,
			summarize(results[s.name+"\x00busybox"], true), summarize(results[s.name+"\x00initbox"], true))
	}
	fmt.Fprintf(&b, "seed | initbox logged ready after (median, s): ")
	for i, s := range seeds {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s %s", strings.Fields(s.name)[0], summarize(detected.m[s.name], false))
	}
	b.WriteString("\n")
	fmt.Fprint(os.Stdout, b.String())
	t.Log("\n" + b.String())
}

func seedRunsOffset(variant string) int {
	if variant == "initbox" {
		return seedRuns
	}
	return 0
}

// runSeed runs one pod and returns how long after its dependency became
// ready the pod did: negative if it was Ready before, never if it was not
// Ready a minute after.
func runSeed(t *testing.T, s seed, variant string, run int) time.Duration {
	ns := newNamespace(t, "seed")
	dep := s.prepare(t, ns, run)
	init := fmt.Sprintf("{name: wait, image: %s, args: %s}", imageInitbox, yamlList(s.initbox(dep)))
	waiting := "msg=waiting"
	if variant == "busybox" {
		image := s.image
		if image == "" {
			image = os.Getenv("INITBOX_KUBE_IMAGE_BUSYBOX")
		}
		init = fmt.Sprintf("{name: wait, image: %s, command: %s}", image, yamlList(s.busybox(dep)))
		waiting = ""
	}
	apply(t, ns, fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: seed}
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - %s
  containers:
  - {name: main, image: %s, command: [sleep, "3600"]}
`, init, os.Getenv("INITBOX_KUBE_IMAGE_BUSYBOX")))
	// The loop runs (or is already done); then a pause of 6 to 8 s puts the
	// dependency at any point of the loop's sleep.
	p := waitPod(t, ns, "seed", 3*time.Minute, "the loop to run", func(p *pod) bool {
		return p.running("wait") || p.exited("wait") != nil
	})
	if p.running("wait") {
		waitLog(t, ns, "seed", "wait", 2*time.Minute, waiting)
	}
	time.Sleep(6*time.Second + rand.N(2*time.Second))
	var before pod
	if err := cl.get(t.Context(), "/api/v1/namespaces/"+ns+"/pods/seed", &before); err != nil {
		t.Fatal(err)
	}
	s.ready(t, ns, dep)
	depReady := time.Now()
	if before.ready() {
		return lastReadyTransition(t, ns).Sub(depReady) // it did not wait
	}

	timeout := time.Minute
	if variant == "initbox" {
		timeout = 3 * time.Minute // it must make it, even on a loaded machine
	}
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	var readyAt time.Time
	_, err := watchPods(ctx, ns, "", func(ps []*pod) bool {
		if len(ps) == 1 && ps[0].ready() {
			readyAt = time.Now()
		}
		return !readyAt.IsZero()
	})
	switch {
	case err == nil:
		if variant == "initbox" {
			if saw, ok := readyLogged(t, ns); ok {
				recordDetected(s.name, saw.Sub(depReady))
			}
		}
		return readyAt.Sub(depReady)
	case variant == "busybox":
		return never
	default:
		t.Fatalf("the initbox line's pod was not Ready %v after its dependency: %v", timeout, err)
		return never
	}
}

// detected collects, per seed, how long after its dependency initbox logged
// it ready: the pod is Ready later by what the kubelet takes.
var detected = struct {
	sync.Mutex
	m map[string][]time.Duration
}{m: map[string][]time.Duration{}}

func recordDetected(name string, d time.Duration) {
	detected.Lock()
	defer detected.Unlock()
	detected.m[name] = append(detected.m[name], d)
}

// readyLogged returns the time of initbox's "ready" line in the seed pod's
// wait container.
func readyLogged(t *testing.T, ns string) (time.Time, bool) {
	for _, line := range strings.Split(logs(t, ns, "seed", "wait"), "\n") {
		ts, rest, ok := strings.Cut(line, " ")
		if ok && strings.HasPrefix(rest, "level=INFO msg=ready ") {
			at, err := time.Parse(time.RFC3339Nano, strings.TrimPrefix(ts, "time="))
			return at, err == nil
		}
	}
	return time.Time{}, false
}

// waitResolves waits until the cluster DNS has an address for name.
func waitResolves(t *testing.T, name string) {
	t.Helper()
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort(os.Getenv("INITBOX_KUBE_DNS"), "53"))
	}}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	for {
		attempt, stop := context.WithTimeout(ctx, 2*time.Second)
		_, err := r.LookupHost(attempt, name)
		stop()
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("%s never resolved: %v", name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lastReadyTransition is when the seed pod's Ready condition last changed
// (1 s resolution), or zero.
func lastReadyTransition(t *testing.T, ns string) time.Time {
	var p struct {
		Status struct {
			Conditions []struct {
				Type               string `json:"type"`
				LastTransitionTime string `json:"lastTransitionTime"`
			} `json:"conditions"`
		} `json:"status"`
	}
	if err := cl.get(t.Context(), "/api/v1/namespaces/"+ns+"/pods/seed", &p); err != nil {
		return time.Time{}
	}
	for _, c := range p.Status.Conditions {
		if c.Type == "Ready" {
			ts, _ := time.Parse(time.RFC3339, c.LastTransitionTime)
			return ts
		}
	}
	return time.Time{}
}

func yamlList(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// summarize prints the median and range of a seed's runs in seconds and,
// with early, how many pods were Ready before their dependency.
func summarize(ds []time.Duration, early bool) string {
	if len(ds) == 0 {
		return "no runs"
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	f := func(d time.Duration) string {
		if d == never {
			return "never"
		}
		return fmt.Sprintf("%.1f", d.Seconds())
	}
	out := fmt.Sprintf("%s (%s..%s)", f(ds[len(ds)/2]), f(ds[0]), f(ds[len(ds)-1]))
	if n := len(ds) - len(slices.DeleteFunc(slices.Clone(ds), func(d time.Duration) bool { return d < 0 })); early && n > 0 {
		out += fmt.Sprintf(", %d/%d Ready before it", n, len(ds))
	}
	return out
}
