package main

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

// idle measures what a second of waiting costs once the waiter has started.
// n pairs of waiters run side by side, each against a port of its own that
// stays closed (bound, not listening: connects are refused, as by a service
// that has not started yet). One of a pair is killed after short, the other
// after long. Both paid the same start-up, so the difference of their CPU
// over n·(long−short) is the cost of waiting alone, start-up excluded. The
// pairs run at once so that a 30 s wait costs 30 s however large n is; a
// sleeping waiter's CPU hardly depends on its neighbours.
func idle(cmd []string, n int, short, long time.Duration) error {
	cpu := make([]time.Duration, 2*n)
	errs := make([]error, 2*n)
	var wg sync.WaitGroup
	for i := range 2 * n {
		d := short
		if i%2 == 1 {
			d = long
		}
		wg.Go(func() {
			fd, addr, err := reserve()
			if err != nil {
				errs[i] = err
				return
			}
			defer syscall.Close(fd)
			cpu[i], errs[i] = runFor(cmd, d, placeholders(addr)...)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var sum [2]time.Duration
	for i, c := range cpu {
		sum[i%2] += c
	}
	perS := ms(sum[1]-sum[0]) / (float64(n) * (long - short).Seconds())
	fmt.Printf("idle cpu_ms_per_s=%.3f cpu_ms_%s=%.2f cpu_ms_%s=%.2f n=%d cmd=%s\n",
		perS, short, ms(sum[0])/float64(n), long, ms(sum[1])/float64(n), n, strings.Join(cmd, " "))
	return nil
}

// runFor runs cmd for d, then kills its process group (a shell loop's
// current sleep with it) and returns the CPU it used. A waiter that exits
// by itself before d has not measured what was asked: that is an error.
func runFor(cmd []string, d time.Duration, replace ...string) (time.Duration, error) {
	p := command(cmd, replace...)
	p.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.Start(); err != nil {
		return 0, err
	}
	time.Sleep(d)
	syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
	p.Wait()
	if ws := p.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() {
		return 0, fmt.Errorf("%s exited by itself within %s: %s", p, d, p.ProcessState)
	}
	return cpuOf(p.ProcessState), nil
}

// listenReady serves a ready port for the check benchmarks: it prints the
// address, then accepts and closes connections until it is killed.
func listenReady() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr())
	testnet.AcceptAndClose(ln)
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
