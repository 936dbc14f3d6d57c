// Command k8s measures initbox's k8s:// targets against the real control
// plane of scripts/kube/up.sh (run it inside the cluster's namespace with
// scripts/kube/exec.sh; bench/k8s.sh does):
//
//	k8s latency  -n N     INITBOX -- detection latency after a /status PATCH
//	k8s requests -n N -window D INITBOX -- API requests per waiting target per minute
//	k8s many     -n N     INITBOX -- N concurrent waits: all see the change; RSS per process
//
// Every waiter is a separate `initbox wait` process with its own service
// account token (kubeconfig with tokenFile), get/list/watch on pods only.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: k8s latency|requests|many [-n N] [-window D] INITBOX")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	n := fs.Int("n", 20, "runs or waiters")
	window := fs.Duration("window", 6*time.Minute, "steady-state window for requests")
	fs.Parse(os.Args[2:])
	bin := fs.Arg(0)
	c := newAdmin()
	ns := c.setup()
	defer c.do("DELETE", "/api/v1/namespaces/"+ns, "", "")
	var err error
	switch os.Args[1] {
	case "latency":
		err = latency(c, ns, bin, *n)
	case "requests":
		err = requests(c, ns, bin, *n, *window)
	case "many":
		err = many(c, ns, bin, *n)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8s bench:", err)
		os.Exit(1)
	}
}

// waiter starts `initbox wait` on target and returns once it has logged
// its first state (it has listed; its watch follows at once).
func waiter(c *admin, bin, target string) (*exec.Cmd, error) {
	cmd := exec.Command(bin, "wait", "--timeout", "20m", "--kubeconfig", c.kubeconfig, target)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "msg=waiting") {
			go func() {
				for sc.Scan() {
				}
			}()
			return cmd, nil
		}
	}
	cmd.Wait()
	return nil, fmt.Errorf("%s: ended before waiting", target)
}

// latency: time from sending the PATCH that makes a pod Ready to the
// waiter's exit (seen by wait4), over n runs.
func latency(c *admin, ns, bin string, n int) error {
	var ms []float64
	for i := range n {
		pod := fmt.Sprintf("lat-%d", i)
		c.pod(ns, pod)
		cmd, err := waiter(c, bin, "k8s://"+ns+"/pod/"+pod)
		if err != nil {
			return err
		}
		time.Sleep(500*time.Millisecond + rand.N(time.Second)) // the watch is open
		t0 := time.Now()
		c.ready(ns, pod)
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("%s: %v", pod, err)
		}
		ms = append(ms, float64(time.Since(t0).Microseconds())/1000)
	}
	slices.Sort(ms)
	fmt.Printf("k8s detection after /status PATCH (n=%d): p50 %.1f ms, p90 %.1f ms, max %.1f ms\n",
		n, pct(ms, 50), pct(ms, 90), ms[len(ms)-1])
	return nil
}

func pct(s []float64, p int) float64 { return s[(len(s)-1)*p/100] }

// requests: n waiters on pods that never become ready; the API server's
// own request counter for pods in this namespace's user agent is not
// available, so the bench counts, from /metrics, LIST and WATCH requests
// on pods over the window, minus the same window with no waiters.
func requests(c *admin, ns, bin string, n int, window time.Duration) error {
	base0 := c.podRequests()
	time.Sleep(window / 4)
	baseRate := float64(c.podRequests()-base0) / (window / 4).Minutes()
	var cmds []*exec.Cmd
	for i := range n {
		pod := fmt.Sprintf("idle-%d", i)
		c.pod(ns, pod)
		cmd, err := waiter(c, bin, "k8s://"+ns+"/pod/"+pod)
		if err != nil {
			return err
		}
		cmds = append(cmds, cmd)
	}
	time.Sleep(5 * time.Second) // past the first list and watch
	r0 := c.podRequests()
	time.Sleep(window)
	got := float64(c.podRequests()-r0)/window.Minutes() - baseRate
	for _, cmd := range cmds {
		cmd.Process.Kill()
		cmd.Wait()
	}
	fmt.Printf("k8s API requests in steady state: %.3f per waiting target per minute (%d waiters, %v window, background %.2f/min subtracted)\n",
		got/float64(n), n, window, baseRate)
	return nil
}

// many: n waiters for one pod; the pod becomes Ready; all must exit 0.
func many(c *admin, ns, bin string, n int) error {
	c.pod(ns, "shared")
	cmds := make([]*exec.Cmd, 0, n)
	for range n {
		cmd, err := waiter(c, bin, "k8s://"+ns+"/pod/shared")
		if err != nil {
			return err
		}
		cmds = append(cmds, cmd)
	}
	time.Sleep(2 * time.Second)
	var rss []float64
	for _, cmd := range cmds {
		rss = append(rss, vmRSS(cmd.Process.Pid))
	}
	t0 := time.Now()
	c.ready(ns, "shared")
	failed := 0
	for _, cmd := range cmds {
		if cmd.Wait() != nil {
			failed++
		}
	}
	all := time.Since(t0)
	slices.Sort(rss)
	fmt.Printf("k8s %d concurrent waits: %d exited 0, last %.0f ms after the PATCH; RSS per process p50 %.1f MiB, max %.1f MiB\n",
		n, n-failed, float64(all.Milliseconds()), pct(rss, 50), rss[len(rss)-1])
	if failed > 0 {
		return fmt.Errorf("%d waiters failed", failed)
	}
	return nil
}

// vmRSS reads a process's resident set in MiB.
func vmRSS(pid int) float64 {
	b, _ := os.ReadFile(filepath.Join("/proc", fmt.Sprint(pid), "status"))
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(v), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}
