package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
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

const targetExamples = `Targets (several are checked in parallel; all must be ready unless --any):
   tcp://db:5432, db:5432, tcp://[::1]:80   a TCP connection opens (and is closed again)
   http://app:8080/healthz                  status 200-399, like a kubelet httpGet probe
   https://api.example/ready                the same over verified TLS
   dns://myservice                          the name resolves, through resolv.conf's search list
   unix:///run/app.sock                     a stream connection to the socket succeeds
   file:///shared/ready                     the file exists (--non-empty: and has data)
   postgres://app@db:5432/appdb             logs in and runs SELECT 1 (no user: the server answers, not 57P03)
   mysql://app@db:3306/appdb                logs in and pings (no user: the server sends its handshake)
   redis://:PASSWORD@cache:6379, rediss://  PING answers PONG, not LOADING or BUSY
   amqp://app@rabbit:5672/vhost, amqps://   Connection.Start; with a user, the vhost opens
   nats://nats:4222                         INFO, then PING answers PONG
   mqtt://broker:1883, mqtts://             CONNECT answered by CONNACK 0
   grpc://api:50051[/SERVICE], grpcs://     grpc.health.v1.Health/Check answers SERVING
   k8s://job/migrate, k8s://NS/pod/db-0     a Kubernetes object is ready, as kubectl wait/rollout status says:
   k8s://service/db?min=2                   pod Ready, Job complete (failed: exit 1 at once), rolled out,
   k8s://pods?selector=app=db&count=any     a Service's ready endpoints; any kind: ?condition=Ready,
   k8s://certificates.cert-manager.io/web   ?jsonpath=.status.phase&value=Bound, ?for=delete (by watch)
   Passwords: in the URL, or --password-file / INITBOX_PASSWORD for URLs without one.`

const waitExamples = `Examples:
   initbox wait tcp://db:5432 http://api:8080/healthz
   initbox wait --timeout 100s dns://redis-standalone-svc
   initbox wait --dns-type SRV --dns-min 3 dns://_peers._tcp.etcd
   initbox wait --status 200 --expect-body '"status":"UP"' http://app:8080/actuator/health
   initbox wait --header-file Authorization=/var/run/secrets/token https://api/ready
   initbox wait --non-empty file:///shared/config.json -- /app/server --config /shared/config.json
   INITBOX_PASSWORD_FILE=/run/secrets/db initbox wait postgres://app@db/appdb redis://cache:6379`

const checkExamples = `Examples (docker-compose healthcheck; exit 0 healthy, 1 unhealthy):
   healthcheck:
     test: ["CMD", "/initbox", "check", "http://localhost:8080/healthz"]
   initbox check tcp://localhost:5432
   initbox check grpc://localhost:50051
   initbox check --any unix:///run/a.sock unix:///run/b.sock`

func waitCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "wait",
		Usage:     "wait until every target is ready, then optionally exec a command",
		UsageText: "initbox wait [options] TARGET... [-- COMMAND [ARG...]]",
		Description: "Retries each target until it is ready or --timeout passes (exit 124, naming every\n" +
			"target not ready and its last error). After success, a command given after \"--\"\n" +
			"replaces initbox (same PID).\n\n" + targetExamples + "\n\n" + waitExamples,
		Flags: append(waitTimingFlags(), targetFlags()...),
		Action: func(c *cli.Context) error {
			return runWait(c, e)
		},
	}
}

func checkCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "check every target once: exit 0 if all are ready, 1 if not (for HEALTHCHECK)",
		UsageText: "initbox check [options] TARGET...",
		Description: "Makes exactly one attempt per target, in parallel, and says nothing on success.\n\n" +
			targetExamples + "\n\n" + checkExamples,
		Flags: append([]cli.Flag{
			&cli.DurationFlag{Name: "timeout", Value: 5 * time.Second, Usage: "limit for the single attempt", EnvVars: []string{"INITBOX_TIMEOUT"}},
			&cli.BoolFlag{Name: "any", Usage: "healthy when any one target is ready", EnvVars: []string{"INITBOX_ANY"}},
		}, targetFlags()...),
		Action: func(c *cli.Context) error {
			return runCheck(c, e)
		},
	}
}

func waitTimingFlags() []cli.Flag {
	return []cli.Flag{
		&cli.DurationFlag{Name: "timeout", Value: defaultWaitTimeout, Usage: "give up after this long (0: never); exit 124", EnvVars: []string{"INITBOX_TIMEOUT"}},
		&cli.DurationFlag{Name: "attempt-timeout", Value: checks.DefaultAttemptTimeout, Usage: "limit for one attempt, so a silent host cannot eat the deadline", EnvVars: []string{"INITBOX_ATTEMPT_TIMEOUT"}},
		&cli.DurationFlag{Name: "interval", Value: checks.DefaultMinInterval, Usage: "pause between attempts at first", EnvVars: []string{"INITBOX_INTERVAL"}},
		&cli.DurationFlag{Name: "max-interval", Value: checks.DefaultMaxInterval, Usage: "longest pause between attempts; the pause grows by 1/30th of the time waited", EnvVars: []string{"INITBOX_MAX_INTERVAL"}},
		&cli.BoolFlag{Name: "any", Usage: "succeed as soon as any one target is ready", EnvVars: []string{"INITBOX_ANY"}},
	}
}

func runWait(c *cli.Context, e *env) error {
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
	ctx := c.Context // cancelled by SIGTERM: see withSignals
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

func runCheck(c *cli.Context, e *env) error {
	targets, err := parseTargets(c)
	if err != nil {
		return err
	}
	if d := c.Duration("timeout"); d <= 0 {
		return usagef("--timeout %v: want a positive duration such as 5s", d)
	}
	sigCtx := c.Context // cancelled by SIGTERM: see withSignals
	ctx, cancel := context.WithTimeout(sigCtx, c.Duration("timeout"))
	defer cancel()
	var nr *checks.NotReadyError
	if !errors.As(checks.CheckOnce(ctx, targets), &nr) {
		return nil
	}
	if c.Bool("any") && len(nr.Targets) < len(targets) {
		return nil
	}
	if cause := context.Cause(sigCtx); cause != nil {
		return cause // interrupted
	}
	for _, t := range nr.Targets {
		e.log.Error("not ready", "target", t.Target, "error", t.Err.Error())
		e.hints.print(e, t.Err)
	}
	return &exitError{code: exitFailed, err: err, logged: true}
}

// checkCommandArgs looks for the "-- COMMAND" before waiting, so a typo in
// it is reported now rather than after the wait.
func (e *env) checkCommandArgs() error {
	if e.command == nil {
		return nil
	}
	if len(e.command) == 0 {
		return usagef(`nothing after "--": give the command to run`)
	}
	if _, err := exec.LookPath(e.command[0]); err != nil {
		return &exitError{code: 127, err: fmt.Errorf("cannot run the command after \"--\": %w", err)}
	}
	return nil
}
