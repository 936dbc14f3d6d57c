package checks

import (
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/initbox/initbox/internal/lazy"
	"github.com/initbox/initbox/internal/sleep"
)

// Policy says how often to retry and how long one attempt may take. Zero
// fields take the defaults below.
type Policy struct {
	AttemptTimeout time.Duration // one attempt's limit; default 2s
	MinInterval    time.Duration // the retry interval at first; default 100ms
	MaxInterval    time.Duration // the retry interval after a long wait; default 1s
}

// Defaults for Policy. 100 ms between attempts finds a target within ~50 ms
// of it opening at ten attempts a second; after the first seconds
// (quickPhase) the interval grows with the time already waited (a tenth of
// it) up to 1 s, so a long wait stays cheap for the target and for the
// waiter, and adds about a tenth to the time already spent.
const (
	DefaultAttemptTimeout = 2 * time.Second
	DefaultMinInterval    = 100 * time.Millisecond
	DefaultMaxInterval    = time.Second
)

// quickPhase is how long attempts come at MinInterval before the interval
// grows: most dependencies that are starting up come up within it, and are
// noticed within half an interval. Each attempt costs CPU (a connect through
// the kernel's network stack is most of it), so after it the attempts thin
// out faster than the time waited grows.
const quickPhase = 3 * time.Second

func (p Policy) withDefaults() Policy {
	p.AttemptTimeout = positiveOr(p.AttemptTimeout, DefaultAttemptTimeout)
	p.MinInterval = positiveOr(p.MinInterval, DefaultMinInterval)
	if p.MaxInterval < p.MinInterval {
		p.MaxInterval = max(DefaultMaxInterval, p.MinInterval)
	}
	return p
}

// positiveOr is d, or def when d is not positive.
func positiveOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// delay is the pause between the starts of two attempts after waiting for
// elapsed: MinInterval during quickPhase, then elapsed/10 within
// [MinInterval, MaxInterval], plus 1-10% jitter so that pods retrying the
// same service do not fall into step. The jitter only lengthens the pause:
// at the default 100 ms a target never sees more than ten attempts in any
// second.
func (p Policy) delay(elapsed time.Duration) time.Duration {
	d := p.MinInterval
	if elapsed >= quickPhase {
		d = min(max(elapsed/10, p.MinInterval), p.MaxInterval)
	}
	return time.Duration(float64(d) * (1.01 + 0.09*rand.Float64()))
}

// Event is a change in one target's state, reported for logging.
type Event struct {
	Target   string
	Ready    bool
	Err      error  // why the target is not ready; nil when Ready
	Detail   string // what was found, from a Detailer: "myservice.default.svc.cluster.local: 10.0.0.7"
	Warning  string // ready, but worth a warning, from a Warner: a redirect to another host
	Attempts int
	Elapsed  time.Duration
}

// Detailer is a Checker that can also say what it found, such as the name
// a DNS search list matched; the wait loop then reports it when ready.
type Detailer interface {
	Checker
	CheckDetail(ctx context.Context) (detail string, err error)
}

// Warner is a Checker whose ready answer may come with a warning, as a
// kubelet probe's result may be Warning, which counts as success.
type Warner interface {
	Checker
	CheckWarn(ctx context.Context) (warning string, err error)
}

// found is what a ready attempt reports besides being ready.
type readyInfo struct{ detail, warning string }

// Waiter retries checks until they are ready or the context ends.
type Waiter struct {
	Policy
	Any bool // succeed as soon as one target is ready, not all
	// OnChange, if set, is called when a target becomes ready or its reason
	// for not being ready changes; not on every attempt. It is called from
	// several goroutines at once.
	OnChange func(Event)

	// plainTimers makes the pauses use runtime timers only, which
	// testing/synctest can fast-forward; a timerfd runs on real time.
	plainTimers bool
}

// Wait checks every target in parallel, retrying each until it is ready. It
// returns nil when all targets (or, with Any, one) are ready, or a
// *NotReadyError naming each target that was not, with its last real error,
// when ctx ends first.
func (w *Waiter) Wait(ctx context.Context, targets []Checker) error {
	p := w.Policy.withDefaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	results := make([]TargetError, len(targets))
	ready := make([]bool, len(targets))
	var wg sync.WaitGroup
	var once sync.Once
	var final error
	for i, c := range targets {
		wg.Go(func() {
			if wc, ok := c.(Watcher); ok {
				results[i], ready[i] = w.watch(ctx, wc, start)
			} else {
				results[i], ready[i] = w.retry(ctx, p, c, start)
			}
			switch {
			case ready[i] && w.Any:
				cancel()
			case isFinal(results[i].Err) && !w.Any:
				// All must be ready and this one never will be.
				once.Do(func() { final = results[i].Err })
				cancel()
			}
		})
	}
	wg.Wait()
	return w.verdict(ctx, results, ready, final)
}

func (w *Waiter) verdict(ctx context.Context, results []TargetError, ready []bool, final error) error {
	var pending []TargetError
	for i, ok := range ready {
		if ok && w.Any {
			return nil
		}
		if !ok {
			pending = append(pending, results[i])
		}
	}
	if len(pending) == 0 {
		return nil
	}
	cause := context.Cause(ctx)
	if final != nil {
		cause = final
	} else if cause == nil {
		cause = firstFinal(pending) // with Any, every target failed for good
	}
	return &NotReadyError{Targets: pending, Cause: cause}
}

// retry runs attempts for one target until it is ready or ctx ends.
func (w *Waiter) retry(ctx context.Context, pol Policy, c Checker, start time.Time) (TargetError, bool) {
	defer release(c)
	res := TargetError{Target: c.String()}
	var why string // reason(res.Err), worked out once per attempt
	p := pauserFor(w.plainTimers)
	defer p.close()
	for {
		attemptStart := time.Now()
		res.Attempts++
		f, err := runAttempt(ctx, c, pol.AttemptTimeout)
		if err == nil {
			w.report(Event{Target: res.Target, Ready: true, Detail: f.detail, Warning: f.warning, Attempts: res.Attempts, Elapsed: time.Since(start)})
			return res, true
		}
		// A checker may return the last attempt's error value again
		// while nothing changes: it is then neither final nor news.
		again := res.Err != nil && identical(err, res.Err)
		if !again && isFinal(err) {
			res.Err = err
			w.report(Event{Target: res.Target, Err: err, Attempts: res.Attempts, Elapsed: time.Since(start)})
			return res, false
		}
		if ended(ctx) {
			// Cut short by the overall deadline: that is not the
			// target's fault, so keep the last real error. The
			// deadline has passed; its timer may not have fired yet,
			// and the verdict reads the cause from ctx.
			if res.Err == nil {
				res.Err = cutShort(ctx, err, time.Since(attemptStart))
			}
			<-ctx.Done()
			return res, false
		}
		if !again {
			if r := reason(err); res.Err == nil || r != why {
				w.report(Event{Target: res.Target, Err: err, Attempts: res.Attempts, Elapsed: time.Since(start)})
				why = r
			}
		}
		res.Err = err
		if !p.pause(ctx, time.Until(attemptStart.Add(pol.delay(time.Since(start))))) {
			return res, false
		}
	}
}

// localAddr matches the "127.0.0.1:40790->" of a socket error: the local
// port changes with every attempt, the reason does not.
var localAddr = lazy.Regexp(`[\[\]0-9a-fA-F.:]+:\d+->`)

// certTime matches the "current time 2026-12-02T14:10:08Z is after" of an
// expired certificate's error: the clock moves, the reason does not.
var certTime = lazy.Regexp(`current time \S+ is (after|before)`)

// reason is an error's message without what changes between identical
// failures, to tell a new state from the same one.
func reason(err error) string {
	// The regexps run only on a message they can match: a refused
	// connect has neither, and is asked about ten times a second.
	msg := err.Error()
	if strings.Contains(msg, "->") {
		msg = localAddr().ReplaceAllString(msg, "")
	}
	if strings.Contains(msg, "current time ") {
		msg = certTime().ReplaceAllString(msg, "")
	}
	return msg
}

// identical reports whether a and b are one error value. Values of
// a type that cannot be compared (== would panic) are never identical.
func identical(a, b error) bool {
	t := reflect.TypeOf(a)
	return t != nil && t.Comparable() && a == b
}

func (w *Waiter) report(e Event) {
	if w.OnChange != nil {
		w.OnChange(e)
	}
}

// deadliner is a Checker that takes its attempt's deadline apart from ctx,
// so that an attempt that need not wait makes no context and timer of its
// own: a TCP connect to an IP address, refused at once.
type deadliner interface {
	checkBy(ctx context.Context, deadline time.Time) error
}

// runAttempt runs one check under its own timeout, inside ctx.
func runAttempt(ctx context.Context, c Checker, timeout time.Duration) (f readyInfo, err error) {
	deadline := time.Now().Add(timeout)
	if d, ok := c.(deadliner); ok {
		err = d.checkBy(ctx, deadline)
	} else {
		actx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		f, err = attempt1(actx, c)
	}
	// A socket deadline can fire a moment before the context's own timer:
	// the clock decides, not the order of the two. When the deadline was
	// ctx's, the wait is over, not the attempt: ctx's timer may not have
	// fired yet, so ctx.Err() alone cannot tell. (The attempt's context
	// ends early only when ctx does, or when the clock passed its
	// deadline, so the clock alone tells that too.)
	outer, hasOuter := ctx.Deadline()
	now := time.Now()
	waitOver := ctx.Err() != nil || hasOuter && !now.Before(outer)
	if err != nil && !waitOver && !now.Before(deadline) {
		return readyInfo{}, timedOut(timeout, err)
	}
	return f, err
}

// attempt1 makes one attempt, asking for what a Detailer or Warner can say.
func attempt1(ctx context.Context, c Checker) (f readyInfo, err error) {
	switch c := c.(type) {
	case Detailer:
		f.detail, err = c.CheckDetail(ctx)
	case Warner:
		f.warning, err = c.CheckWarn(ctx)
	default:
		err = c.Check(ctx)
	}
	return f, err
}

// ended reports whether ctx is done or its deadline has passed; its timer
// may fire a moment after the clock passes the deadline.
func ended(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ctx.Err() != nil || (ok && !time.Now().Before(d))
}

// timerPause waits for d or until ctx ends, and reports whether d passed.
func timerPause(ctx context.Context, d time.Duration) bool {
	return sleep.For(ctx, d) == nil
}

// pauserFor returns what a wait's pauses sleep on: nil, which pauses on
// runtime timers, when plain (see Waiter.plainTimers). Closing nil is fine.
func pauserFor(plain bool) *pauser {
	if plain {
		return nil
	}
	return newPauser()
}

// CheckOnce makes exactly one attempt per target, all in parallel, each
// limited by ctx. It returns nil when all are ready, else a *NotReadyError.
func CheckOnce(ctx context.Context, targets []Checker) error {
	return (&Waiter{}).Once(ctx, targets)
}

// Once is CheckOnce that reports each ready target to OnChange, with what
// it found and any warning. Policy and Any do not apply.
func (w *Waiter) Once(ctx context.Context, targets []Checker) error {
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range targets {
		wg.Go(func() {
			defer release(c)
			var f readyInfo
			if f, errs[i] = attempt1(ctx, c); errs[i] == nil {
				w.report(Event{Target: c.String(), Ready: true, Detail: f.detail, Warning: f.warning, Attempts: 1, Elapsed: time.Since(start)})
			} else if ctx.Err() != nil {
				errs[i] = cutShort(ctx, errs[i], time.Since(start))
			}
		})
	}
	wg.Wait()
	var pending []TargetError
	for i, err := range errs {
		if err != nil {
			pending = append(pending, TargetError{Target: targets[i].String(), Attempts: 1, Err: err})
		}
	}
	if pending == nil {
		return nil
	}
	return &NotReadyError{Targets: pending}
}
