package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// timedOut wraps err, from an attempt that ran out of time, in an
// *AttemptTimeoutError. For a check of gone it goes inside: what is
// uncertain is whether the target is gone, and the timeout is why.
func timedOut(after time.Duration, err error) error {
	var ng *NotGoneError
	if errors.As(err, &ng) && ng.Err != nil {
		return &NotGoneError{Err: &AttemptTimeoutError{After: after, Err: ng.Err}}
	}
	return &AttemptTimeoutError{After: after, Err: err}
}

// TargetError is one target that was not ready, with its last real error.
type TargetError struct {
	Target   string
	Attempts int // attempts made, or states seen when Watched
	Err      error
	Watched  bool // followed by a Watcher rather than asked again and again
}

func (e TargetError) Error() string {
	state := "ready"
	var ng *NotGoneError
	if errors.As(e.Err, &ng) {
		state = "gone"
	}
	if e.Watched {
		return fmt.Sprintf("%s: not %s: %v", e.Target, state, e.Err)
	}
	return fmt.Sprintf("%s: not %s after %d attempt%s: %v", e.Target, state, e.Attempts, plural(e.Attempts), e.Err)
}

func (e TargetError) Unwrap() error { return e.Err }

// NotReadyError lists the targets that were not ready. Cause is why waiting
// stopped (context.DeadlineExceeded, or the context's cancel cause) or nil
// after a single check.
type NotReadyError struct {
	Targets []TargetError
	Cause   error
}

func (e *NotReadyError) Error() string {
	msgs := make([]string, len(e.Targets))
	for i, t := range e.Targets {
		msgs[i] = t.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns Cause only: a target's own error may be a timeout of one
// attempt, which must not read as the whole wait timing out.
func (e *NotReadyError) Unwrap() error { return e.Cause }

// AttemptTimeoutError is one attempt that got no answer in time: a silent
// host, a dropped packet, a server that accepts but never replies.
type AttemptTimeoutError struct {
	After time.Duration
	Err   error
}

func (e *AttemptTimeoutError) Error() string {
	msg := e.Err.Error()
	switch {
	case errors.Is(e.Err, context.DeadlineExceeded):
		// "grpc: context deadline exceeded": say what was being done,
		// not what Go's context package calls it.
		msg = strings.TrimRight(strings.TrimSuffix(msg, context.DeadlineExceeded.Error()), ": ")
		if msg == "" {
			return fmt.Sprintf("no answer within %v", e.After)
		}
		return fmt.Sprintf("no answer within %v (%s)", e.After, msg)
	case strings.Contains(msg, fmt.Sprintf(" within %v", e.After)):
		return msg // "no answer from 10.96.0.10:53 within 2s" says it already
	}
	return fmt.Sprintf("no answer within %v: %v", e.After, msg)
}

// cutShort is err, from an attempt that ctx ended after d, as the user
// should read it: a deadline in the middle of an attempt is a target that
// did not answer within d; a cancellation says why ctx was cancelled
// (its cause), not "context canceled".
func cutShort(ctx context.Context, err error, d time.Duration) error {
	d = d.Round(10 * time.Millisecond)
	switch cause := context.Cause(ctx); {
	case errors.Is(err, context.DeadlineExceeded):
		return &AttemptTimeoutError{After: d, Err: err}
	case errors.Is(err, context.Canceled) && cause != nil && cause != context.Canceled:
		return &stoppedError{After: d, Cause: cause, err: err}
	}
	return err
}

// stoppedError is an attempt stopped by its caller, for Cause.
type stoppedError struct {
	After time.Duration
	Cause error
	err   error
}

func (e *stoppedError) Error() string {
	return fmt.Sprintf("stopped after %v: %v", e.After, e.Cause)
}

func (e *stoppedError) Unwrap() error { return e.err }

func (e *AttemptTimeoutError) Unwrap() error { return e.Err }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
