package checks

import (
	"context"
	"errors"
	"time"
)

// Watcher is a Checker whose target can tell of its own changes, as the
// Kubernetes API server does, so the wait loop follows them instead of
// asking again and again: the changes arrive at once and cost the server
// nothing while nothing changes. Check still makes one attempt, for the
// check command.
type Watcher interface {
	Checker
	// Watch follows the target until it is ready (nil), can never be
	// (a *FinalError), or ctx ends (the last state seen, as an error).
	// It calls state with the reason the target is not ready each time
	// that may have changed; state is never called concurrently.
	Watch(ctx context.Context, state func(error)) (detail string, err error)
}

// FinalError is a state that waiting longer cannot change, such as a
// failed Kubernetes Job: the wait loop stops at once and reports it, and
// the whole wait fails unless another target may still satisfy it.
type FinalError struct {
	Err error
}

func (e *FinalError) Error() string { return e.Err.Error() }
func (e *FinalError) Unwrap() error { return e.Err }

func isFinal(err error) bool {
	var f *FinalError
	return errors.As(err, &f)
}

func firstFinal(targets []TargetError) error {
	for _, t := range targets {
		if isFinal(t.Err) {
			return t.Err
		}
	}
	return nil
}

// watch runs a Watcher's own loop for one target, turning its states into
// Events the way retry turns attempts into them.
func (w *Waiter) watch(ctx context.Context, c Watcher, start time.Time) (TargetError, bool) {
	res := TargetError{Target: c.String(), Watched: true}
	detail, err := c.Watch(ctx, func(err error) {
		res.Attempts++
		if res.Err == nil || reason(res.Err) != reason(err) {
			w.report(Event{Target: res.Target, Err: err, Attempts: res.Attempts, Elapsed: time.Since(start)})
		}
		res.Err = err
	})
	res.Attempts++
	if err == nil {
		w.report(Event{Target: res.Target, Ready: true, Detail: detail, Attempts: res.Attempts, Elapsed: time.Since(start)})
		return res, true
	}
	if isFinal(err) {
		w.report(Event{Target: res.Target, Err: err, Attempts: res.Attempts, Elapsed: time.Since(start)})
	}
	res.Err = err
	return res, false
}
