// Command servebench measures initbox serve: CPU and memory with many
// targets at a steady interval, and /readyz latency under a fixed load.
//
//	servebench [-targets 100] [-kind http|tcp] [-interval 5s] [-idle 60s]
//	           [-rate 1000] [-load 30s] -- /path/to/initbox
//
// It starts the targets itself on loopback (one HTTP server with a path per
// target, or one TCP listener per target), then initbox serve, waits for
// /startupz, and prints two lines: the idle figures (CPU ms per second,
// RSS, peak RSS) and the load figures (requests, errors, p50/p99/p99.9/max
// latency measured from each request's scheduled time, so a stall counts
// for every request it delays).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

func main() {
	n := flag.Int("targets", 100, "targets")
	kind := flag.String("kind", "http", "target kind: http or tcp")
	interval := flag.Duration("interval", 5*time.Second, "serve --interval")
	idle := flag.Duration("idle", 60*time.Second, "how long to measure CPU and memory without load")
	rate := flag.Int("rate", 1000, "requests a second to /readyz")
	load := flag.Duration("load", 30*time.Second, "how long to load /readyz")
	flag.Parse()
	if flag.NArg() != 1 {
		fail(fmt.Errorf("usage: servebench [flags] -- /path/to/initbox"))
	}
	targets, err := startTargets(*kind, *n)
	if err != nil {
		fail(err)
	}
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--interval", interval.String()}, targets...)
	cmd := exec.Command(flag.Arg(0), args...)
	addr, err := start(cmd)
	if err != nil {
		fail(err)
	}
	defer cmd.Process.Kill()
	base := "http://" + addr
	if err := until(base+"/startupz", time.Minute); err != nil {
		fail(err)
	}
	pid := cmd.Process.Pid

	// Let the first round's jitter spread the schedule out, then measure.
	time.Sleep(2 * *interval)
	cpu0, t0 := cpuTime(pid), time.Now()
	time.Sleep(*idle)
	cpuMs := float64((cpuTime(pid) - cpu0).Microseconds()) / 1000 / time.Since(t0).Seconds()
	rss, hwm := memory(pid)
	fmt.Printf("idle: %d %s targets, --interval %v, %v: CPU %.2f ms/s, RSS %.1f MiB, peak RSS %.1f MiB\n",
		*n, *kind, *interval, *idle, cpuMs, rss, hwm)

	cpu0, t0 = cpuTime(pid), time.Now()
	lat, errs := hammer(base+"/readyz", *rate, *load)
	cpuMs = float64((cpuTime(pid) - cpu0).Microseconds()) / 1000 / time.Since(t0).Seconds()
	rss, hwm = memory(pid)
	slices.Sort(lat)
	fmt.Printf("load: /readyz at %d/s for %v: %d requests, %d errors, p50 %s, p99 %s, p99.9 %s, max %s; CPU %.1f ms/s, RSS %.1f MiB, peak RSS %.1f MiB\n",
		*rate, *load, len(lat), errs, pct(lat, 0.50), pct(lat, 0.99), pct(lat, 0.999), pct(lat, 1), cpuMs, rss, hwm)
}

// startTargets starts n ready targets on loopback and returns their URLs.
func startTargets(kind string, n int) ([]string, error) {
	var out []string
	switch kind {
	case "http":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
		for i := range n {
			out = append(out, fmt.Sprintf("http://%s/healthz/%d", ln.Addr(), i))
		}
	case "tcp":
		for range n {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return nil, err
			}
			go testnet.AcceptAndClose(ln)
			out = append(out, "tcp://"+ln.Addr().String())
		}
	default:
		return nil, fmt.Errorf("unknown kind %q", kind)
	}
	return out, nil
}

// start runs serve and returns the address from its "serving" line.
func start(cmd *exec.Cmd) (string, error) {
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		if _, rest, ok := strings.Cut(sc.Text(), "address="); ok {
			addr, _, _ := strings.Cut(rest, " ")
			go io.Copy(io.Discard, pipe)
			return addr, nil
		}
	}
	return "", fmt.Errorf("serve ended without saying where it listens")
}

func until(url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not 200 within %v", url, limit)
}

// hammer sends rate requests a second for d, open loop, and returns each
// latency from the request's scheduled start.
func hammer(url string, rate int, d time.Duration) ([]time.Duration, int) {
	// At most 16 connections, all kept alive: as many as serve keeps alive.
	tr := &http.Transport{MaxConnsPerHost: 16, MaxIdleConnsPerHost: 16, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	total := int(d.Seconds() * float64(rate))
	step := time.Second / time.Duration(rate)
	lat := make([]time.Duration, total)
	var errs int
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for i := range total {
		at := start.Add(time.Duration(i) * step)
		time.Sleep(time.Until(at))
		wg.Go(func() {
			resp, err := client.Get(url)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			lat[i] = time.Since(at)
			if err != nil || resp.StatusCode != 200 {
				mu.Lock()
				errs++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return lat, errs
}

func pct(sorted []time.Duration, p float64) string {
	i := min(int(p*float64(len(sorted))), len(sorted)-1)
	return fmt.Sprintf("%.3fms", float64(sorted[i].Microseconds())/1000)
}

// cpuTime is the process's user + system time, from /proc/PID/stat.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		fail(err)
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	ut, _ := strconv.ParseInt(f[11], 10, 64)        // utime, field 14
	st, _ := strconv.ParseInt(f[12], 10, 64)        // stime, field 15
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// memory returns VmRSS and VmHWM in MiB.
func memory(pid int) (rss, hwm float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		fail(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "servebench:", err)
	os.Exit(1)
}
