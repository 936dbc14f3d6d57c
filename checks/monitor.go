package checks

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// DefaultMonitorInterval is how often a Monitor re-checks a target once it
// has been ready: the state it serves is at most this old (plus one
// attempt), fresher than a kubelet probe's default period of 10 s.
const DefaultMonitorInterval = 2 * time.Second

// Monitor checks its targets continuously, each on its own schedule, and
// keeps the last result of each. Readers get that result; they never cause
// an attempt, however often they ask.
type Monitor struct {
	// Interval is the pause between two rounds of attempts. Every target
	// that has been ready once is checked in each round, all at once, so
	// that the process wakes once a round rather than once per target;
	// rounds have ±10% jitter so that pods do not fall into step.
	// Default DefaultMonitorInterval.
	Interval time.Duration
	// AttemptTimeout limits one attempt; default DefaultAttemptTimeout.
	AttemptTimeout time.Duration
	// OnChange, if set, is called when a target becomes ready or not
	// ready, or its reason for not being ready changes. It is called
	// from several goroutines at once.
	OnChange func(Event)

	targets []Checker
	start   time.Time
	mu      sync.RWMutex
	state   []Status
	round   chan struct{} // closed when the next round starts; under mu

	plainTimers bool // see Waiter
}

// Status is what a Monitor knows of one target.
type Status struct {
	Target    string
	Checked   bool // an attempt has finished
	Ready     bool
	EverReady bool          // ready at least once since the Monitor started
	Err       error         // why the last attempt failed; nil when Ready
	Detail    string        // what the last ready attempt found, from a Detailer
	Checks    int           // attempts finished
	Failures  int           // consecutive failed attempts, up to the last one
	Flips     int           // changes between ready and not ready; a target starts not ready
	Took      time.Duration // how long the last attempt took
	At        time.Time     // when the last attempt finished
}

// NewMonitor returns a Monitor of targets; Run starts it.
func NewMonitor(targets []Checker) *Monitor {
	m := &Monitor{targets: targets, state: make([]Status, len(targets))}
	for i, c := range targets {
		m.state[i].Target = c.String()
	}
	return m
}

// Run checks every target until ctx ends, then returns. Before a target is
// first ready it is retried at the pace of a Waiter (from 100 ms, growing),
// so that a start-up probe sees it ready about as soon as a wait would;
// after that, in every round.
func (m *Monitor) Run(ctx context.Context) {
	m.mu.Lock()
	m.start = time.Now()
	m.round = make(chan struct{})
	m.mu.Unlock()
	pol := Policy{AttemptTimeout: m.AttemptTimeout, MaxInterval: m.interval()}.withDefaults()
	var wg sync.WaitGroup
	wg.Go(func() { m.rounds(ctx) })
	for i, c := range m.targets {
		wg.Go(func() { m.watch(ctx, pol, i, c) })
	}
	wg.Wait()
}

// rounds starts a round every Interval, with jitter, until ctx ends.
func (m *Monitor) rounds(ctx context.Context) {
	p := pauserFor(m.plainTimers)
	defer p.close()
	for p.pause(ctx, time.Duration(float64(m.interval())*(0.9+0.2*rand.Float64()))) {
		m.mu.Lock()
		close(m.round)
		m.round = make(chan struct{})
		m.mu.Unlock()
	}
}

// nextRound returns a channel closed when the next round starts.
func (m *Monitor) nextRound() <-chan struct{} {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.round
}

func (m *Monitor) interval() time.Duration {
	if m.Interval <= 0 {
		return DefaultMonitorInterval
	}
	return m.Interval
}

// watch runs the attempts of target i until ctx ends.
func (m *Monitor) watch(ctx context.Context, pol Policy, i int, c Checker) {
	defer release(c)
	p := pauserFor(m.plainTimers)
	defer p.close()
	for {
		began := time.Now()
		info, err := runAttempt(ctx, c, pol.AttemptTimeout)
		if ctx.Err() != nil {
			return // cut short: not the target's doing, so not recorded
		}
		if m.record(i, began, info.detail, err) {
			// Wait for the next round. An attempt made in a round ends
			// before the next one starts (unless it takes longer than
			// a round), so a target is checked once a round.
			select {
			case <-m.nextRound():
				continue
			case <-ctx.Done():
				return
			}
		}
		if !p.pause(ctx, time.Until(began.Add(pol.delay(time.Since(m.start))))) {
			return
		}
	}
}

// record stores an attempt's result and reports a change. It returns
// whether the target has been ready at least once.
func (m *Monitor) record(i int, began time.Time, detail string, err error) bool {
	now := time.Now()
	m.mu.Lock()
	s := &m.state[i]
	changed := !s.Checked || s.Ready != (err == nil) || (err != nil && reason(err) != reason(s.Err))
	if s.Ready != (err == nil) {
		s.Flips++
	}
	s.Checked, s.Ready, s.Err, s.Took, s.At = true, err == nil, err, now.Sub(began), now
	s.Checks++
	s.Failures++
	if err == nil {
		s.Failures, s.Detail, s.EverReady = 0, detail, true
	}
	ev := Event{Target: s.Target, Ready: err == nil, Err: err, Detail: detail, Attempts: s.Checks, Elapsed: now.Sub(m.start)}
	everReady := s.EverReady
	m.mu.Unlock()
	if changed && m.OnChange != nil {
		m.OnChange(ev)
	}
	return everReady
}

// Status returns a copy of every target's state, in the order given.
func (m *Monitor) Status() []Status {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return append([]Status(nil), m.state...)
}

// Stale returns the targets whose checks have stopped: no attempt has
// finished for three times the interval plus the attempt timeout (since
// Run started, for a target not checked yet). A Monitor that works has
// none, since every attempt ends within its timeout.
func (m *Monitor) Stale(now time.Time) []Status {
	limit := 3 * (m.interval() + Policy{AttemptTimeout: m.AttemptTimeout}.withDefaults().AttemptTimeout)
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.start.IsZero() {
		return nil
	}
	var stale []Status
	for _, s := range m.state {
		last := s.At
		if !s.Checked {
			last = m.start
		}
		if now.Sub(last) > limit {
			stale = append(stale, s)
		}
	}
	return stale
}

// Counts returns how many targets are ready now and how many have been
// ready since Run started, out of all: what a probe asks, without a copy
// of every Status.
func (m *Monitor) Counts() (ready, everReady, all int) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for i := range m.state {
		if m.state[i].Ready {
			ready++
		}
		if m.state[i].EverReady {
			everReady++
		}
	}
	return ready, everReady, len(m.state)
}
