package cli

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/initbox/initbox/checks"
)

// defaultWaitTimeout is long on purpose: an init container that gives up
// while its database is still starting goes into CrashLoopBackOff and is
// retried later anyway, after a back-off of up to five minutes. Five minutes
// covers slow starts; a pod's activeDeadlineSeconds or --timeout 0 (no
// limit) hands the decision to Kubernetes.
const defaultWaitTimeout = 5 * time.Minute

const waitExamples = `Examples:
   initbox wait tcp://db:5432 http://api:8080/healthz
   initbox wait --timeout 100s dns://redis-standalone-svc
   initbox wait --dns-type SRV --dns-min 3 dns://_peers._tcp.etcd
   initbox wait --status 200 --expect-body '"status":"UP"' http://app:8080/actuator/health
   initbox wait --header-file Authorization=/var/run/secrets/token https://api/ready
   initbox wait --non-empty file:///shared/config.json -- /app/server --config /shared/config.json
   INITBOX_PASSWORD_FILE=/run/secrets/db initbox wait postgres://app@db/appdb redis://cache:6379`

var waitHelp = commandHelp{
	usage: "wait until every target is ready, then optionally exec a command",
	forms: []string{"[options] TARGET... [-- COMMAND [ARG...]]"},
	about: []string{"Retries each target until it is ready or --timeout passes (exit 124, naming every\n" +
		"target not ready and its last error). After success, a command given after \"--\"\n" +
		"replaces initbox (same PID).",
		targetExamples, waitExamples},
}

func waitCommand(e *env) *cli.Command {
	return e.newCommand("wait", waitHelp, append(waitTimingFlags(), targetFlags()...), runWait)
}

func waitTimingFlags() []cli.Flag {
	return []cli.Flag{
		&cli.DurationFlag{Name: "timeout", Value: defaultWaitTimeout, Usage: "give up after this long (0: never); exit 124"},
		&cli.DurationFlag{Name: "attempt-timeout", Value: checks.DefaultAttemptTimeout, Usage: "limit for one attempt, so a silent host cannot eat the deadline"},
		&cli.DurationFlag{Name: "interval", Value: checks.DefaultMinInterval, Usage: "pause between attempts at first"},
		&cli.DurationFlag{Name: "max-interval", Value: checks.DefaultMaxInterval, Usage: "longest pause between attempts; after the first 3s the pause grows to 1/10th of the time waited"},
		&cli.BoolFlag{Name: "any", Usage: "succeed as soon as any one target is ready"},
		goneFlag(),
	}
}

func runWait(c *cli.Context, e *env) error {
	e.gone = c.Bool("gone")
	targets, err := parseTargets(c)
	if err != nil {
		return err
	}
	if err := e.checkCommandArgs(); err != nil {
		return err
	}
	w := &checks.Waiter{
		Policy: checks.Policy{
			AttemptTimeout: c.Duration("attempt-timeout"),
			MinInterval:    c.Duration("interval"),
			MaxInterval:    c.Duration("max-interval"),
		},
		Any:      c.Bool("any"),
		OnChange: e.logEvent,
	}
	if err := validatePolicy(w.Policy, c.Duration("timeout")); err != nil {
		return err
	}
	// One OS thread runs every attempt: waiting is all I/O, and fewer
	// threads mean fewer wake-ups, so a long wait costs almost no CPU.
	runtime.GOMAXPROCS(1)
	ctx := c.Context // cancelled by SIGTERM: see WithSignals
	if d := c.Duration("timeout"); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	start := time.Now()
	err = w.Wait(ctx, targets)
	return e.verdict(err, len(targets), time.Since(start), c.Bool("any"))
}

func validatePolicy(p checks.Policy, timeout time.Duration) error {
	switch {
	case timeout < 0:
		return usagef("--timeout %v: want 0 (no limit) or a positive duration such as 5m", timeout)
	case p.AttemptTimeout <= 0:
		return usagef("--attempt-timeout %v: want a positive duration such as 2s", p.AttemptTimeout)
	case p.MinInterval <= 0:
		return usagef("--interval %v: want a positive duration such as 100ms", p.MinInterval)
	case p.MaxInterval < p.MinInterval:
		return usagef("--max-interval %v is shorter than --interval %v", p.MaxInterval, p.MinInterval)
	}
	return nil
}
func (e *env) logEvent(ev checks.Event) {
	elapsed := ev.Elapsed.Round(time.Millisecond).String()
	switch {
	case ev.Ready:
		attrs := []any{"target", ev.Target, "attempts", ev.Attempts, "elapsed", elapsed}
		if ev.Detail != "" {
			key := "found"
			if e.gone {
				key = "seen" // the proof that it is gone
			}
			attrs = append(attrs, key, ev.Detail)
		}
		if ev.Warning != "" {
			e.log.Warn(e.state()+", with a warning", append(attrs, "warning", ev.Warning)...)
			return
		}
		e.log.Info(e.state(), attrs...)
	default:
		e.log.Info("waiting", "target", ev.Target, "reason", ev.Err.Error(), "attempt", ev.Attempts)
		e.hints.print(e, ev.Err)
	}
}

// logWarning logs a ready target's warning, the one thing check says
// about a target that is ready.
func (e *env) logWarning(ev checks.Event) {
	if ev.Ready && ev.Warning != "" {
		e.log.Warn("ready, with a warning", "target", ev.Target, "warning", ev.Warning)
	}
}

// verdict logs the final outcome of a wait and turns it into the command's
// error: nil, or the *checks.NotReadyError, whose cause (the deadline, a
// signal) decides the exit code.
func (e *env) verdict(err error, n int, elapsed time.Duration, anyOf bool) error {
	took := elapsed.Round(time.Millisecond).String()
	if err == nil {
		if anyOf {
			e.log.Info("a target is "+e.state(), "elapsed", took)
		} else {
			e.log.Info(fmt.Sprintf("all %d target%s %s", n, plural(n), e.state()), "elapsed", took)
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
		return loggedErr(kindFailed, err) // err unwraps to sig
	}
	msg := "gave up"
	if errors.Is(nr.Cause, context.DeadlineExceeded) {
		msg = "timed out" // err unwraps to the deadline
	}
	e.log.Error(msg, "elapsed", took, "not_ready", len(nr.Targets), "targets", n)
	for _, t := range nr.Targets {
		e.log.Error("not "+e.state(), "target", t.Target, "attempts", t.Attempts, "last_error", t.Err.Error())
		e.hints.print(e, t.Err)
	}
	return loggedErr(kindFailed, err)
}

// state is what wait and check wait for: "ready", or with --gone "gone".
func (e *env) state() string {
	if e.gone {
		return "gone"
	}
	return "ready"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
