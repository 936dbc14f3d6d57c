package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/initbox/initbox/internal/spec"
)

// runner runs a file's steps in order and keeps what became of each.
type runner struct {
	e       *env
	mu      sync.Mutex
	results map[*spec.Step]*result
}

// result is what became of a step, for the summary.
type result struct {
	state   string // ok, failed, timed out, interrupted, cancelled, not run, replaces initbox
	code    int
	elapsed time.Duration
}

// errSibling cancels the other members of a group when one fails.
var errSibling = errors.New("another step of the group failed")

// run runs the steps, the last one by exec if it is an exec step, and
// returns the first failure's exit code and step.
func (r *runner) run(ctx context.Context, sp *spec.Spec) (int, *spec.Step) {
	steps, final := sp.Steps, (*spec.Step)(nil)
	if last := steps[len(steps)-1]; last.Kind == execKind {
		steps, final = steps[:len(steps)-1], last
	}
	code, failed := ExitOK, (*spec.Step)(nil)
	// A wait step runs on one thread (see runWait); the steps after it,
	// a render of many templates, may want them all again.
	procs := runtime.GOMAXPROCS(0)
	for _, s := range steps {
		code = r.step(ctx, s)
		runtime.GOMAXPROCS(procs)
		if code != ExitOK {
			failed = s
			break
		}
	}
	var dl *runDeadline
	if errors.As(context.Cause(ctx), &dl) && code != ExitOK {
		r.e.log.Error(dl.Error())
	}
	if code == ExitOK && final != nil {
		r.e.command = final.ArgTexts()
		r.set(final, &result{state: "replaces initbox"})
	}
	return code, failed
}

func (r *runner) step(ctx context.Context, s *spec.Step) int {
	if s.Kind == spec.Group {
		return r.group(ctx, s)
	}
	log := r.e.log.With("step", s.Label())
	log.Info("starting", "command", spec.ShellQuote(planArgv(s)))
	start := time.Now()
	var err error
	if s.Kind == execKind {
		err = r.child(ctx, s)
	} else {
		err = r.command(ctx, s, log)
	}
	res := &result{code: exitCode(err), elapsed: time.Since(start)}
	res.state = stateOf(ctx, res.code)
	took := res.elapsed.Round(time.Millisecond).String()
	if res.code == ExitOK {
		log.Info("done", "elapsed", took)
	} else if res.state != "cancelled" {
		var f *failure
		if !errors.As(err, &f) || !f.logged {
			log.Error(err.Error())
		}
		log.Error(res.state, "exit", res.code, "elapsed", took)
	}
	r.set(s, res)
	return res.code
}

func stateOf(ctx context.Context, code int) string {
	switch {
	case code == ExitOK:
		return "ok"
	case errors.Is(context.Cause(ctx), errSibling):
		return "cancelled"
	case code == ExitTimeout:
		return "timed out"
	case code == ExitSIGTERM || code == ExitSIGINT:
		return "interrupted"
	}
	return "failed"
}

func (r *runner) set(s *spec.Step, res *result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results[s] = res
}

// command runs a step through its command, in this process.
func (r *runner) command(ctx context.Context, s *spec.Step, log *slog.Logger) error {
	e := &env{stdout: r.e.stdout, stderr: r.e.stderr, log: log, json: r.e.json}
	return stepApp(e, stepCommands(e)[s.Kind]).RunContext(ctx, stepArgv(s))
}

// group runs its members at once; the first to fail cancels the others,
// and its exit code is the group's.
func (r *runner) group(ctx context.Context, g *spec.Step) int {
	start := time.Now()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first = ExitOK
	)
	for _, m := range g.Steps {
		wg.Go(func() {
			if code := r.step(ctx, m); code != ExitOK {
				once.Do(func() {
					first = code
					cancel(errSibling)
				})
			}
		})
	}
	wg.Wait()
	res := &result{code: first, elapsed: time.Since(start)}
	res.state = stateOf(context.Background(), first)
	r.set(g, res)
	return first
}

// child runs an exec step that is not the last: its output is the run's,
// SIGTERM reaches it when initbox gets one or its timeout passes, and its
// exit status becomes the run's if it fails (as a shell's would).
func (r *runner) child(ctx context.Context, s *spec.Step) error {
	if o, ok := s.Option("timeout"); ok {
		d, _ := time.ParseDuration(o.Values[0].Text)
		if d > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeoutCause(ctx, d, &stepTimeout{d})
			defer cancel()
		}
	}
	argv := s.ArgTexts()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr, cmd.Env = r.e.stdout, r.e.stderr, os.Environ()
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second // then SIGKILL
	err := cmd.Run()
	if cause := context.Cause(ctx); cause != nil && err != nil {
		return cause
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return &childExit{status: ee.ExitCode(), err: fmt.Errorf("%s exited with status %d", argv[0], ee.ExitCode())}
	case errors.As(err, &ee):
		sig := ee.Sys().(syscall.WaitStatus).Signal()
		return &childExit{signal: sig, err: fmt.Errorf("%s was killed by %v", argv[0], sig)}
	case errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist):
		return &failure{kind: kindNotFound, err: fmt.Errorf("cannot run %s: %w", argv[0], err)}
	}
	return &failure{kind: kindNotExecutable, err: fmt.Errorf("cannot run %s: %w", argv[0], err)}
}

// stepTimeout is the cause an exec step's timeout gives its deadline.
type stepTimeout struct{ d time.Duration }

func (e *stepTimeout) Error() string { return fmt.Sprintf("timed out after %v (its timeout)", e.d) }
func (e *stepTimeout) Unwrap() error { return context.DeadlineExceeded }
