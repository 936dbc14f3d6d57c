package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/initbox/initbox/checks"
)

// logEvent logs a target's state change: the first reason it is not ready,
// a change of reason, and the moment it becomes ready.
func (e *env) logEvent(ev checks.Event) {
	elapsed := ev.Elapsed.Round(time.Millisecond).String()
	switch {
	case ev.Ready:
		attrs := []any{"target", ev.Target, "attempts", ev.Attempts, "elapsed", elapsed}
		if ev.Detail != "" {
			attrs = append(attrs, "found", ev.Detail)
		}
		e.log.Info("ready", attrs...)
	default:
		e.log.Info("waiting", "target", ev.Target, "reason", ev.Err.Error(), "attempt", ev.Attempts)
		e.hints.print(e, ev.Err)
	}
}

// verdict logs the final outcome of a wait and turns it into the command's
// error: nil, a timeout (exit 124) or an interruption (130/143).
func (e *env) verdict(err error, n int, elapsed time.Duration, anyOf bool) error {
	took := elapsed.Round(time.Millisecond).String()
	if err == nil {
		if anyOf {
			e.log.Info("a target is ready", "elapsed", took)
		} else {
			e.log.Info(fmt.Sprintf("all %d target%s ready", n, plural(n)), "elapsed", took)
		}
		return nil
	}
	var nr *checks.NotReadyError
	if !errors.As(err, &nr) {
		return err
	}
	var sig *signalError
	if errors.As(nr.Cause, &sig) {
		e.log.Warn(sig.Error(), "elapsed", took, "not_ready", len(nr.Targets))
		return &exitError{code: exitCode(sig), err: err, logged: true}
	}
	msg := "gave up"
	code := exitFailed
	if errors.Is(nr.Cause, context.DeadlineExceeded) {
		msg, code = "timed out", exitTimeout
	}
	e.log.Error(msg, "elapsed", took, "not_ready", len(nr.Targets), "targets", n)
	for _, t := range nr.Targets {
		e.log.Error("not ready", "target", t.Target, "attempts", t.Attempts, "last_error", t.Err.Error())
		e.hints.print(e, t.Err)
	}
	return &exitError{code: code, err: err, logged: true}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
