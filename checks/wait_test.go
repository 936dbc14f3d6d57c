package checks

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// scripted is a Checker whose answer depends on the (fake) time since the
// test started: it is not a network stand-in but a script for the loop.
type scripted struct {
	name     string
	start    time.Time
	readyAt  time.Duration // 0: never
	hang     bool          // block until the attempt's context ends
	errAt    func(time.Duration) error
	mu       sync.Mutex
	attempts []time.Duration
}

func (s *scripted) Check(ctx context.Context) error {
	now := time.Since(s.start)
	s.mu.Lock()
	s.attempts = append(s.attempts, now)
	s.mu.Unlock()
	if s.readyAt > 0 && now >= s.readyAt {
		return nil
	}
	if s.hang {
		<-ctx.Done()
		return ctx.Err()
	}
	if s.errAt != nil {
		return s.errAt(now)
	}
	return errors.New("connection refused")
}

func (s *scripted) String() string { return s.name }

// waitForReadyAt runs a Waiter, inside a synctest bubble, on a target that
// becomes ready readyAt from now, and returns the target with its attempts.
func waitForReadyAt(t *testing.T, readyAt time.Duration) *scripted {
	t.Helper()
	c := &scripted{name: "svc", start: time.Now(), readyAt: readyAt}
	if err := (&Waiter{plainTimers: true}).Wait(t.Context(), []Checker{c}); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWaitDetectsQuicklyAtTenAttemptsPerSecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := waitForReadyAt(t, 2345*time.Millisecond)
		latency := time.Since(c.start) - c.readyAt
		if latency > DefaultMinInterval*11/10 {
			t.Errorf("noticed %v after the target became ready, want at most one interval", latency)
		}
		if n := maxInAnySecond(c.attempts); n > 10 {
			t.Errorf("%d attempts within one second, want at most 10", n)
		}
	})
}

func TestWaitBacksOffOnLongWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := waitForReadyAt(t, 90*time.Second)
		var late int
		for _, at := range c.attempts {
			if at >= 60*time.Second && at < 80*time.Second {
				late++
			}
		}
		// At the 1 s maximum interval plus 1-10% jitter: 18 to 20 in 20 s.
		if late < 17 || late > 20 {
			t.Errorf("%d attempts between 60 s and 80 s, want about 20 (one a second)", late)
		}
	})
}

// Ten attempts a second for the first 3 s, then a tenth of the time waited:
// about 12 from 3 s to 10 s and one a second after.
func TestWaitThinsOutAfterTheQuickPhase(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := waitForReadyAt(t, 31*time.Second)
		var quick, after int
		for _, at := range c.attempts {
			switch {
			case at >= time.Second && at < quickPhase:
				quick++
			case at >= quickPhase && at < 31*time.Second:
				after++
			}
		}
		if quick < 18 || quick > 20 {
			t.Errorf("%d attempts between 1 s and 3 s, want 18 to 20 (ten a second)", quick)
		}
		if after < 26 || after > 36 {
			t.Errorf("%d attempts between 3 s and 31 s, want about 31", after)
		}
	})
}

func TestWaitTimeoutKeepsLastRealError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		// Refused at first, then a silent host whose attempts hang: the
		// last real error is the attempt timeout, not the overall deadline.
		refusedThenSilent := &scripted{name: "db", start: start, errAt: func(d time.Duration) error {
			return errors.New("connection refused")
		}}
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		err := (&Waiter{plainTimers: true}).Wait(ctx, []Checker{refusedThenSilent})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want it to wrap context.DeadlineExceeded", err)
		}
		var nr *NotReadyError
		if !errors.As(err, &nr) || len(nr.Targets) != 1 {
			t.Fatalf("got %#v, want one target not ready", err)
		}
		got := nr.Targets[0]
		if got.Err == nil || got.Err.Error() != "connection refused" || got.Attempts < 20 {
			t.Errorf("got %v after %d attempts, want the last real error after ~30 attempts", got.Err, got.Attempts)
		}
	})
}

func TestWaitAttemptTimeoutLimitsHungAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &scripted{name: "silent", start: time.Now(), hang: true}
		ctx, cancel := context.WithTimeout(t.Context(), 5500*time.Millisecond)
		defer cancel()
		err := (&Waiter{Policy: Policy{AttemptTimeout: time.Second}, plainTimers: true}).Wait(ctx, []Checker{c})
		var nr *NotReadyError
		if !errors.As(err, &nr) {
			t.Fatalf("got %v, want *NotReadyError", err)
		}
		var ate *AttemptTimeoutError
		if !errors.As(nr.Targets[0].Err, &ate) || ate.After != time.Second {
			t.Errorf("last error %v, want an attempt timeout after 1s", nr.Targets[0].Err)
		}
		if n := len(c.attempts); n < 5 || n > 6 {
			t.Errorf("%d attempts in 5.5 s with a 1 s attempt timeout, want 5 or 6", n)
		}
		if msg := nr.Targets[0].Err.Error(); msg != "no answer within 1s" {
			t.Errorf("message %q, want %q", msg, "no answer within 1s")
		}
	})
}

func TestWaitAnyReturnsOnFirstReady(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		never := &scripted{name: "never", start: start}
		soon := &scripted{name: "soon", start: start, readyAt: 500 * time.Millisecond}
		err := (&Waiter{Any: true, plainTimers: true}).Wait(t.Context(), []Checker{never, soon})
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > 700*time.Millisecond {
			t.Errorf("took %v, want to stop soon after the first target was ready", took)
		}
	})
}

func TestWaitAllNeedsEveryTarget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		a := &scripted{name: "a", start: start, readyAt: 300 * time.Millisecond}
		b := &scripted{name: "b", start: start, readyAt: 1200 * time.Millisecond}
		if err := (&Waiter{plainTimers: true}).Wait(t.Context(), []Checker{a, b}); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < 1200*time.Millisecond {
			t.Errorf("returned after %v, before the slower target was ready", took)
		}
	})
}

func TestWaitReportsOnlyStateChanges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &scripted{name: "api", start: time.Now(), readyAt: 2 * time.Second, errAt: func(d time.Duration) error {
			if d < time.Second {
				return errors.New("connection refused")
			}
			return fmt.Errorf("status 503 Service Unavailable, want 200-399")
		}}
		var mu sync.Mutex
		var events []Event
		w := &Waiter{plainTimers: true, OnChange: func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() }}
		if err := w.Wait(t.Context(), []Checker{c}); err != nil {
			t.Fatal(err)
		}
		if len(events) != 3 {
			t.Fatalf("got %d events %v, want 3: refused, 503, ready", len(events), events)
		}
		if !events[2].Ready || events[0].Err.Error() != "connection refused" || events[1].Ready {
			t.Errorf("events %v out of order", events)
		}
	})
}

func TestCheckOnceMakesOneAttemptEach(t *testing.T) {
	start := time.Now()
	up := &scripted{name: "up", start: start, readyAt: time.Nanosecond}
	down := &scripted{name: "down", start: start}
	err := CheckOnce(t.Context(), []Checker{up, down})
	var nr *NotReadyError
	if !errors.As(err, &nr) || len(nr.Targets) != 1 || nr.Targets[0].Target != "down" {
		t.Fatalf("got %v, want only 'down' not ready", err)
	}
	if len(up.attempts) != 1 || len(down.attempts) != 1 {
		t.Errorf("attempts: up %d, down %d; want exactly 1 each", len(up.attempts), len(down.attempts))
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Error("a failed check reads as a timeout")
	}
}

// maxInAnySecond is the most attempts that fall within any one-second window.
func maxInAnySecond(at []time.Duration) int {
	most := 0
	for i := range at {
		n := 0
		for j := i; j < len(at) && at[j]-at[i] < time.Second; j++ {
			n++
		}
		most = max(most, n)
	}
	return most
}
