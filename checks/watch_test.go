package checks

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// scriptedWatcher is a Watcher that plays a list of states, one per
// 100 ms, then ends as told: a script for the loop, not a server.
type scriptedWatcher struct {
	name   string
	states []string
	end    error // nil: ready after the states; else returned (a *FinalError)
}

func (s *scriptedWatcher) Check(context.Context) error { return errors.New("not used") }
func (s *scriptedWatcher) String() string              { return s.name }

func (s *scriptedWatcher) Watch(ctx context.Context, state func(error)) (string, error) {
	for _, st := range s.states {
		state(&KubeStateError{State: st})
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return "", &KubeStateError{State: st}
		}
	}
	if s.end != nil {
		return "", s.end
	}
	return "complete", nil
}

func TestWaitFollowsAWatcher(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var got []string
		w := &Waiter{plainTimers: true, OnChange: func(e Event) {
			mu.Lock()
			defer mu.Unlock()
			if e.Ready {
				got = append(got, "ready: "+e.Detail)
			} else {
				got = append(got, e.Err.Error())
			}
		}}
		c := &scriptedWatcher{name: "k8s://job/migrate", states: []string{"0/1 succeeded, 0 active", "0/1 succeeded, 0 active", "0/1 succeeded, 1 active"}}
		if err := w.Wait(t.Context(), []Checker{c}); err != nil {
			t.Fatal(err)
		}
		want := []string{"0/1 succeeded, 0 active", "0/1 succeeded, 1 active", "ready: complete"}
		if len(got) != len(want) {
			t.Fatalf("events %q, want %q (a repeated state is not reported)", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("event %d = %q, want %q", i, got[i], want[i])
			}
		}
	})
}

// TestWaitStopsAtAFinalError: a target that can never be ready ends the
// whole wait at once, with that error as the cause, not a timeout.
func TestWaitStopsAtAFinalError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		failed := &scriptedWatcher{name: "k8s://job/migrate", states: []string{"0/1 succeeded, 1 active"}, end: &FinalError{Err: errors.New("failed: BackoffLimitExceeded")}}
		never := &scripted{name: "tcp://db:5432", start: start}
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		err := (&Waiter{plainTimers: true}).Wait(ctx, []Checker{failed, never})
		var nr *NotReadyError
		if !errors.As(err, &nr) || !isFinal(nr.Cause) || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v (cause %v), want the final error as the cause", err, nr.Cause)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("took %v, want to stop at the final error", took)
		}
	})
}

// TestWaitAnyOutlivesAFinalError: with Any, another target may still do.
func TestWaitAnyOutlivesAFinalError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		failed := &scriptedWatcher{name: "a", end: &FinalError{Err: errors.New("failed")}}
		soon := &scripted{name: "b", start: time.Now(), readyAt: 2 * time.Second}
		if err := (&Waiter{Any: true, plainTimers: true}).Wait(t.Context(), []Checker{failed, soon}); err != nil {
			t.Fatal(err)
		}
		failed2 := &scriptedWatcher{name: "c", end: &FinalError{Err: errors.New("failed")}}
		err := (&Waiter{Any: true, plainTimers: true}).Wait(t.Context(), []Checker{failed, failed2})
		var nr *NotReadyError
		if !errors.As(err, &nr) || !isFinal(nr.Cause) {
			t.Fatalf("every target failed for good: got %v, want a final cause", err)
		}
	})
}

// TestWaitFinalErrorFromAPollingChecker: a plain Checker may be final too.
func TestWaitFinalErrorFromAPollingChecker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &scripted{name: "x", start: time.Now(), errAt: func(d time.Duration) error {
			if d > 300*time.Millisecond {
				return &FinalError{Err: errors.New("gone for good")}
			}
			return errors.New("not yet")
		}}
		err := (&Waiter{plainTimers: true}).Wait(t.Context(), []Checker{c})
		var nr *NotReadyError
		if !errors.As(err, &nr) || !isFinal(nr.Cause) || len(c.attempts) > 6 {
			t.Fatalf("got %v after %d attempts, want a final cause at once", err, len(c.attempts))
		}
	})
}
