package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/initbox/initbox/internal/testutil/faults"
	"github.com/initbox/initbox/internal/testutil/testnet"
)

func TestMonitorSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Ready from 3 s to 60 s, then gone.
		start := time.Now()
		c := &scripted{name: "svc", start: start, errAt: func(d time.Duration) error {
			if d >= 3*time.Second && d < 60*time.Second {
				return nil
			}
			return errors.New("connection refused")
		}}
		m := NewMonitor([]Checker{c})
		m.Interval = 5 * time.Second
		m.plainTimers = true
		ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
		defer cancel()
		m.Run(ctx)

		var early, steady, after int
		for _, at := range c.attempts {
			switch {
			case at < 3*time.Second:
				early++
			case at >= 10*time.Second && at < 60*time.Second:
				steady++
			case at >= 70*time.Second:
				after++
			}
		}
		// Before the first ready: the wait loop's pace, about ten a second.
		if early < 20 || early > 30 {
			t.Errorf("%d attempts in the first 3 s, want 20-30 (a wait's pace)", early)
		}
		// 50 s at 5 s ±10%: 9 to 11.
		if steady < 9 || steady > 11 {
			t.Errorf("%d attempts between 10 s and 60 s, want about 10 (one per interval)", steady)
		}
		// Not ready again after having been ready: still the interval.
		if after < 9 || after > 11 {
			t.Errorf("%d attempts between 70 s and 120 s, want about 10", after)
		}
		s := m.Status()[0]
		if s.Ready || !s.EverReady || s.Flips != 2 || s.Failures != s.Checks-countBefore(c.attempts, 60*time.Second) {
			t.Errorf("status %+v: want not ready, ever ready, 2 flips, failures since 60 s", s)
		}
	})
}

// countBefore counts the attempts made before d.
func countBefore(at []time.Duration, d time.Duration) int {
	n := 0
	for _, a := range at {
		if a < d {
			n++
		}
	}
	return n
}

func TestMonitorReportsChangesOnly(t *testing.T) {
	ln := testnet.Listen(t)
	go testnet.AcceptAndClose(ln)
	c := mustParse(t, "tcp://"+ln.Addr().String(), Options{})
	var mu sync.Mutex
	var events []string
	changed := make(chan struct{}, 10)
	m := NewMonitor([]Checker{c})
	m.Interval = 20 * time.Millisecond
	m.OnChange = func(e Event) {
		mu.Lock()
		events = append(events, fmt.Sprintf("ready=%v err=%v", e.Ready, e.Err))
		mu.Unlock()
		changed <- struct{}{}
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	awaitEvent(t, changed)
	// Many attempts while ready, none of them an event.
	for m.Status()[0].Checks < 10 {
		time.Sleep(10 * time.Millisecond)
	}
	ln.Close()
	awaitEvent(t, changed)
	for m.Status()[0].Failures < 5 {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 2 || events[0] != "ready=true err=<nil>" || !strings.Contains(events[1], "connection refused") {
		t.Errorf("events %q, want ready, then refused", events)
	}
	if s := m.Status()[0]; s.Flips != 2 || !s.EverReady || s.Ready || s.Failures < 5 {
		t.Errorf("status %+v, want 2 flips, ever ready, not ready now, 5+ failures", s)
	}
}

func TestMonitorStale(t *testing.T) {
	m := NewMonitor([]Checker{mustParse(t, "tcp://"+faults.AcceptClose(t), Options{})})
	m.Interval, m.AttemptTimeout = time.Second, time.Second
	if s := m.Stale(time.Now()); s != nil {
		t.Errorf("before Run: stale %v", s)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	for !m.Status()[0].Checked {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	at := m.Status()[0].At
	if s := m.Stale(at.Add(6 * time.Second)); len(s) != 0 {
		t.Errorf("6 s after the last check (limit 3×2 s): stale %v", s)
	}
	if s := m.Stale(at.Add(7 * time.Second)); len(s) != 1 {
		t.Errorf("7 s after the last check: stale %v, want the target", s)
	}
}

func awaitEvent(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatal("no state change reported within 30 s")
	}
}
