package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/initbox/initbox/checks"
)

const checkExamples = `Examples (docker-compose healthcheck; exit 0 healthy, 1 unhealthy):
   healthcheck:
     test: ["CMD", "/initbox", "check", "http://localhost:8080/healthz"]
   initbox check tcp://localhost:5432
   initbox check grpc://localhost:50051
   initbox check --any unix:///run/a.sock unix:///run/b.sock`

var checkHelp = commandHelp{
	usage: "check every target once: exit 0 if all are ready, 1 if not (for HEALTHCHECK)",
	forms: []string{"[options] TARGET..."},
	about: []string{"Makes exactly one attempt per target, in parallel, and says nothing on success.",
		targetExamples, checkExamples},
}

func checkCommand(e *env) *cli.Command {
	flags := append([]cli.Flag{
		&cli.DurationFlag{Name: "timeout", Value: 5 * time.Second, Usage: "limit for the single attempt"},
		&cli.BoolFlag{Name: "any", Usage: "healthy when any one target is ready"},
		goneFlag(),
	}, targetFlags()...)
	return e.newCommand("check", checkHelp, flags, runCheck)
}

func runCheck(c *cli.Context, e *env) error {
	e.gone = c.Bool("gone")
	targets, err := parseTargets(c)
	if err != nil {
		return err
	}
	if err := e.checkCommandArgs(); err != nil {
		return err // as wait does: whether or not the targets are ready
	}
	if d := c.Duration("timeout"); d <= 0 {
		return usagef("--timeout %v: want a positive duration such as 5s", d)
	}
	sigCtx := c.Context // cancelled by SIGTERM: see WithSignals
	ctx, cancel := context.WithTimeout(sigCtx, c.Duration("timeout"))
	defer cancel()
	var nr *checks.NotReadyError
	once := &checks.Waiter{OnChange: e.logWarning}
	if !errors.As(once.Once(ctx, targets), &nr) {
		return nil
	}
	if c.Bool("any") && len(nr.Targets) < len(targets) {
		return nil
	}
	if cause := context.Cause(sigCtx); cause != nil {
		return cause // interrupted
	}
	for _, t := range nr.Targets {
		e.log.Error("not "+e.state(), "target", t.Target, "error", t.Err.Error())
		e.hints.print(e, t.Err)
	}
	// Not wrapped: a check cut off by its --timeout is unhealthy (1), not
	// timed out (124).
	return loggedErr(kindFailed, fmt.Errorf("not %s: %v", e.state(), nr))
}
