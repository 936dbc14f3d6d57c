package checks

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// checkFunc is a Checker made of a function.
type checkFunc func(ctx context.Context) error

func (f checkFunc) Check(ctx context.Context) error { return f(ctx) }
func (f checkFunc) String() string                  { return "func" }

// TestDeadlineNeverReadsAsContextDeadline: an attempt the wait's deadline
// cuts short reads as a target that did not answer in time.
func TestDeadlineNeverReadsAsContextDeadline(t *testing.T) {
	hang := checkFunc(func(ctx context.Context) error {
		<-ctx.Done()
		return fmt.Errorf("grpc: %w", ctx.Err())
	})
	for _, tt := range []struct {
		name    string
		attempt time.Duration
		want    string
	}{
		{"cut by the wait's deadline", 2 * time.Second, "no answer within 1s (grpc)"},
		{"attempt timeouts", 300 * time.Millisecond, "no answer within 300ms (grpc)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), time.Second)
				defer cancel()
				err := (&Waiter{Policy: Policy{AttemptTimeout: tt.attempt}, plainTimers: true}).Wait(ctx, []Checker{hang})
				var nr *NotReadyError
				if !errors.As(err, &nr) || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("got %v, want a *NotReadyError caused by the deadline", err)
				}
				if got := nr.Targets[0].Err.Error(); got != tt.want {
					t.Errorf("got %q, want %q", got, tt.want)
				}
			})
		})
	}
	t.Run("check once", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 700*time.Millisecond)
			defer cancel()
			var nr *NotReadyError
			if err := CheckOnce(ctx, []Checker{hang}); !errors.As(err, &nr) {
				t.Fatalf("got %v, want a *NotReadyError", err)
			}
			if got, want := nr.Targets[0].Err.Error(), "no answer within 700ms (grpc)"; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	})
}

// TestRefusedAtTheDeadlineIsNoAttemptTimeout: an attempt that fails for
// its own reason just as the wait's deadline passes (by the clock, which
// may run ahead of the context's timer) keeps that reason, with the
// deadline as the cause.
func TestRefusedAtTheDeadlineIsNoAttemptTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		deadline, _ := ctx.Deadline()
		refusedLate := checkFunc(func(context.Context) error {
			time.Sleep(time.Until(deadline))
			return errors.New("connection refused")
		})
		err := (&Waiter{Policy: Policy{AttemptTimeout: 2 * time.Second}, plainTimers: true}).Wait(ctx, []Checker{refusedLate})
		var nr *NotReadyError
		if !errors.As(err, &nr) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want a *NotReadyError caused by the deadline", err)
		}
		if got := nr.Targets[0].Err.Error(); got != "connection refused" {
			t.Errorf("got %q, want the attempt's own reason", got)
		}
	})
}

func TestAttemptTimeoutMessages(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{context.DeadlineExceeded, "no answer within 2s"},
		{fmt.Errorf("grpc: %w", context.DeadlineExceeded), "no answer within 2s (grpc)"},
		{errors.New("db: no answer from 10.0.0.10:53 within 2s"), "db: no answer from 10.0.0.10:53 within 2s"},
		{errors.New("postgres: waiting for the answer: i/o timeout"), "no answer within 2s: postgres: waiting for the answer: i/o timeout"},
	} {
		if got := (&AttemptTimeoutError{After: 2 * time.Second, Err: tt.err}).Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

// TestCancelSaysItsCause: a wait its caller stops names why (a run's
// group whose other step failed, a signal), not "context canceled".
func TestCancelSaysItsCause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hang := checkFunc(func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		})
		ctx, cancel := context.WithCancelCause(t.Context())
		why := errors.New("another step failed")
		time.AfterFunc(time.Second, func() { cancel(why) })
		err := (&Waiter{plainTimers: true}).Wait(ctx, []Checker{hang})
		var nr *NotReadyError
		if !errors.As(err, &nr) || !errors.Is(err, why) {
			t.Fatalf("got %v, want a *NotReadyError caused by %v", err, why)
		}
		if got, want := nr.Targets[0].Err.Error(), "stopped after 1s: another step failed"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}
