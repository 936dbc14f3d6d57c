package cli

import (
	"context"
	"fmt"
	"net"
	"runtime"

	"github.com/urfave/cli/v2"
	"golang.org/x/net/netutil"

	"github.com/initbox/initbox/checks"
	"github.com/initbox/initbox/internal/serve"
)

// defaultListen is loopback only: the answers name the targets that fail
// and why, which should not leave the pod unless asked for.
const defaultListen = "127.0.0.1:9900"

// maxConns bounds the connections served at once, and so serve's memory
// (some 16 kB each); past 16 open, each closes after its answer.
const maxConns = 256

const serveExamples = `Endpoints (GET or HEAD; answers come from the last checks, never start one):
   /readyz     200 when every target (--any: one) is ready now, else 503 naming the failing
               targets and why; JSON with ?format=json or Accept: application/json
   /startupz   200 once every target (--any: one) has been ready since serve started
   /livez      200 while the checks keep running
   /metrics    Prometheus text: initbox_target_ready, _check_duration_seconds,
               _consecutive_failures, _transitions_total, _checks_total per target

Examples:
   initbox serve postgres://app@db:5432/app redis://cache:6379
   initbox serve --listen :9900 --interval 5s http://api:8080/healthz
   Kubernetes native sidecar (restartPolicy: Always) probes:
     startupProbe:   exec: ["/initbox", "-q", "check", "http://127.0.0.1:9900/startupz"]
     readinessProbe: exec: ["/initbox", "-q", "check", "http://127.0.0.1:9900/readyz"]`

var serveHelp = commandHelp{
	usage: "check targets continuously and answer readiness probes over HTTP (for sidecars)",
	forms: []string{"[options] TARGET..."},
	about: []string{"Checks each target every --interval (before it is first ready, as often as wait\n" +
		"would) and serves the results. Logs state changes only. SIGTERM or SIGINT ends it at\n" +
		"once with exit 0: a sidecar told to stop has not failed.",
		serveExamples, targetExamples},
}

func serveCommand(e *env) *cli.Command {
	flags := append([]cli.Flag{
		&cli.StringFlag{Name: "listen", Value: defaultListen, Usage: "address to serve on; :9900 for every interface (httpGet probes)"},
		&cli.DurationFlag{Name: "interval", Value: checks.DefaultMonitorInterval, Usage: "time between rounds of checks of the targets that have been ready (±10% jitter)"},
		&cli.DurationFlag{Name: "attempt-timeout", Value: checks.DefaultAttemptTimeout, Usage: "limit for one check"},
		&cli.BoolFlag{Name: "any", Usage: "ready when any one target is ready"},
	}, targetFlags()...)
	return e.newCommand("serve", serveHelp, flags, runServe)
}

func runServe(c *cli.Context, e *env) error {
	if e.command != nil { // said now, not when the sidecar is stopped
		return usagef(`serve runs until it is stopped, and nothing runs after it: drop the "--" and what follows`)
	}
	targets, err := parseTargets(c)
	if err != nil {
		return err
	}
	m := checks.NewMonitor(targets)
	m.Interval, m.AttemptTimeout = c.Duration("interval"), c.Duration("attempt-timeout")
	switch {
	case m.Interval <= 0:
		return usagef("--interval %v: want a positive duration such as 5s", m.Interval)
	case m.AttemptTimeout <= 0:
		return usagef("--attempt-timeout %v: want a positive duration such as 2s", m.AttemptTimeout)
	}
	ln, err := net.Listen("tcp", c.String("listen"))
	if err != nil {
		return &failure{kind: kindFailed, err: fmt.Errorf("cannot serve on --listen %s: %w", c.String("listen"), err)}
	}
	// Checks are I/O and answers are lookups: one thread does both, with
	// fewer wake-ups than several.
	runtime.GOMAXPROCS(1)
	m.OnChange = e.logServeEvent
	ctx, stop := context.WithCancel(c.Context) // cancelled by SIGTERM: see WithSignals
	defer stop()
	monitored := make(chan struct{})
	go func() { m.Run(ctx); close(monitored) }()
	e.log.Info("serving", "address", ln.Addr().String(), "targets", len(targets))
	served := make(chan error, 1)
	// Probes come one at a time; a flood past the limit waits in the
	// kernel's accept queue rather than costing memory.
	go func() { served <- serve.Serve(netutil.LimitListener(ln, maxConns), serve.New(m, c.Bool("any"))) }()
	select {
	case <-ctx.Done():
		ln.Close()
		<-monitored
		e.log.Info("stopped", "by", context.Cause(ctx).Error(), "ready", readyCount(m), "targets", len(targets))
		return nil
	case err := <-served:
		stop()
		<-monitored
		return &failure{kind: kindFailed, err: fmt.Errorf("serving on %s: %w", ln.Addr(), err)}
	}
}

func readyCount(m *checks.Monitor) int {
	n := 0
	for _, s := range m.Status() {
		if s.Ready {
			n++
		}
	}
	return n
}

// logServeEvent logs a target's change: ready, not ready, or a new reason.
func (e *env) logServeEvent(ev checks.Event) {
	if ev.Ready {
		attrs := []any{"target", ev.Target}
		if ev.Detail != "" {
			attrs = append(attrs, "found", ev.Detail)
		}
		e.log.Info("ready", attrs...)
		return
	}
	e.log.Warn("not ready", "target", ev.Target, "reason", ev.Err.Error())
}
