// Command harness measures how fast a wait command notices a target that
// becomes ready, without polling the waiter: it blocks in wait4 on the
// waiter, so the figure is the waiter's own latency.
//
//	harness tcp  [-n N] -- CMD... ({addr} is replaced by 127.0.0.1:PORT, {port} by PORT)
//	harness http [-n N] -- CMD... ({url} is replaced by http://127.0.0.1:PORT/healthz)
//	harness many [-targets 1000] [-target 'tcp://{addr}'] -- CMD... (the targets are appended)
//
// Each prints one line: p50/p90/max latency in ms, CPU ms per second waited
// and peak RSS. Three more modes, for bench/perf.sh:
//
//	harness idle [-n N] [-short 1s] [-long 31s] -- CMD... (idle.go: CPU per second of a long wait)
//	harness dnsq [-from 30s] [-for 40s] -- CMD...         (dnsq.go: DNS queries per second)
//	harness listen                                         (a ready port: prints its address)
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: harness tcp|http|many [flags] -- CMD...")
		os.Exit(2)
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	n := fs.Int("n", 10, "trials")
	minDelay := fs.Duration("min-delay", time.Second, "shortest time before the target opens")
	maxDelay := fs.Duration("max-delay", 3*time.Second, "longest time before the target opens")
	targets := fs.Int("targets", 1000, "targets for the many mode")
	target := fs.String("target", "tcp://{addr}", "arguments appended per target in the many mode, split at spaces")
	short := fs.Duration("short", time.Second, "idle: how long the short waiter of a pair runs")
	long := fs.Duration("long", 31*time.Second, "idle: how long the long waiter of a pair runs")
	from := fs.Duration("from", 30*time.Second, "dnsq: queries are counted from this long after the start")
	until := fs.Duration("for", 40*time.Second, "dnsq: how long the waiter runs")
	fs.Parse(os.Args[2:])
	cmd := fs.Args()
	switch mode {
	case "idle":
		exitIf(idle(cmd, *n, *short, *long))
		return
	case "dnsq":
		exitIf(dnsq(cmd, *from, *until))
		return
	case "listen":
		exitIf(listenReady())
		return
	}
	var res []trial
	for i := 0; i < *n; i++ {
		delay := *minDelay + time.Duration(rand.Int64N(int64(*maxDelay-*minDelay)+1))
		var t trial
		var err error
		switch mode {
		case "tcp", "http":
			t, err = single(mode, cmd, delay)
		case "many":
			t, err = many(cmd, *targets, strings.Fields(*target), delay)
		default:
			err = fmt.Errorf("unknown mode %q", mode)
		}
		exitIf(err)
		res = append(res, t)
	}
	report(mode, cmd, res)
}

func exitIf(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		os.Exit(1)
	}
}

type trial struct {
	latency, waited time.Duration
	cpu             time.Duration
	maxRSSKiB       int64
}

// single runs one waiter against one target that becomes ready after delay:
// until then the port refuses (bound, not listening).
func single(mode string, cmd []string, delay time.Duration) (trial, error) {
	fd, addr, err := reserve()
	if err != nil {
		return trial{}, err
	}
	defer syscall.Close(fd)
	p, started, err := startAndSleep(delay, cmd, placeholders(addr)...)
	if err != nil {
		return trial{}, err
	}
	ln, err := listen(fd)
	if err != nil {
		p.Process.Kill()
		return trial{}, err
	}
	defer ln.Close()
	ready := time.Now()
	if mode == "http" {
		go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	} else {
		go testnet.AcceptAndClose(ln)
	}
	return finish(p, started, ready)
}

// many runs one waiter against n targets that all become ready after delay;
// each target appends the arguments of target, {addr} replaced.
func many(cmd []string, n int, target []string, delay time.Duration) (trial, error) {
	fds := make([]int, n)
	args := slices.Clone(cmd)
	for i := range fds {
		fd, addr, err := reserve()
		if err != nil {
			return trial{}, err
		}
		defer syscall.Close(fd)
		fds[i] = fd
		for _, a := range target {
			args = append(args, strings.ReplaceAll(a, "{addr}", addr))
		}
	}
	p, started, err := startAndSleep(delay, args)
	if err != nil {
		return trial{}, err
	}
	ready := time.Now()
	for _, fd := range fds {
		ln, err := listen(fd)
		if err != nil {
			p.Process.Kill()
			return trial{}, err
		}
		defer ln.Close()
		go testnet.AcceptAndClose(ln)
	}
	return finish(p, started, ready)
}

// waiter is a started command whose exit is noticed as it happens.
type waiter struct {
	*exec.Cmd
	done   chan struct{} // closed at the exit
	err    error         // of Wait
	exited time.Time
}

func start(cmd []string, replace ...string) (*waiter, error) {
	w := &waiter{Cmd: command(cmd, replace...), done: make(chan struct{})}
	if err := w.Start(); err != nil {
		return nil, err
	}
	go func() {
		w.err = w.Wait()
		w.exited = time.Now()
		close(w.done)
	}()
	return w, nil
}

// startAndSleep starts the waiter, notes when, and lets it wait for delay
// against targets that are not ready yet; it fails if the waiter exited
// meanwhile.
func startAndSleep(delay time.Duration, cmd []string, replace ...string) (*waiter, time.Time, error) {
	p, err := start(cmd, replace...)
	if err != nil {
		return nil, time.Time{}, err
	}
	started := time.Now()
	time.Sleep(delay)
	if err := p.early(); err != nil {
		return nil, time.Time{}, err
	}
	return p, started, nil
}

// early is an error if the waiter has exited already: before its target
// was ready it cannot have seen it, and its figure would be a lie.
func (w *waiter) early() error {
	select {
	case <-w.done:
		return fmt.Errorf("waiter exited before its target was ready: %v", w.ProcessState)
	default:
		return nil
	}
}

// command prepares cmd with each old, new pair of replace substituted.
func command(cmd []string, replace ...string) *exec.Cmd {
	r := strings.NewReplacer(replace...)
	argv := make([]string, len(cmd))
	for i, a := range cmd {
		argv[i] = r.Replace(a)
	}
	p := exec.Command(argv[0], argv[1:]...)
	p.Stdout, p.Stderr = nil, nil
	return p
}

// finish blocks until the waiter exits and measures it.
func finish(p *waiter, started, ready time.Time) (trial, error) {
	<-p.done
	if p.err != nil {
		return trial{}, fmt.Errorf("waiter failed: %v", p.err)
	}
	ru := p.ProcessState.SysUsage().(*syscall.Rusage)
	return trial{latency: p.exited.Sub(ready), waited: p.exited.Sub(started), cpu: cpuOf(p.ProcessState), maxRSSKiB: int64(ru.Maxrss)}, nil
}

// cpuOf is the user + system time of an exited process and of the children
// it reaped.
func cpuOf(ps *os.ProcessState) time.Duration {
	ru := ps.SysUsage().(*syscall.Rusage)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// placeholders are the replacements of single's and idle's commands:
// {addr} (127.0.0.1:PORT), {port} and {url} (http://{addr}/healthz).
func placeholders(addr string) []string {
	port := addr[strings.LastIndex(addr, ":")+1:]
	return []string{"{addr}", addr, "{port}", port, "{url}", "http://" + addr + "/healthz"}
}

// reserve binds a loopback port without listening: connects are refused
// until listen, and the port is known in advance.
func reserve() (int, string, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, "", err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		return 0, "", err
	}
	sa, _ := syscall.Getsockname(fd)
	return fd, fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port), nil
}

func listen(fd int) (net.Listener, error) {
	if err := syscall.Listen(fd, 1024); err != nil {
		return nil, err
	}
	dup, err := syscall.Dup(fd)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), "listener")
	defer f.Close()
	return net.FileListener(f)
}

func report(mode string, cmd []string, res []trial) {
	lat := make([]float64, len(res))
	var cpu, waited time.Duration
	var rss int64
	for i, t := range res {
		lat[i] = float64(t.latency.Microseconds()) / 1000
		cpu += t.cpu
		waited += t.waited
		rss = max(rss, t.maxRSSKiB)
	}
	slices.Sort(lat)
	p := func(q float64) float64 { return lat[int(q*float64(len(lat)-1))] }
	fmt.Printf("%s latency_ms p50=%.0f p90=%.0f max=%.0f cpu_ms_per_s_waited=%.2f max_rss_mib=%.1f n=%d cmd=%s\n",
		mode, median(lat), p(0.9), lat[len(lat)-1],
		float64(cpu.Microseconds())/1000/waited.Seconds(), float64(rss)/1024, len(res), strings.Join(cmd, " "))
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
