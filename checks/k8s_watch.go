package checks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/initbox/initbox/internal/sleep"
)

// Timings of the watch loop. A waiter costs the API server one list, then
// one watch request per WatchTimeout (5 min): 0.2 requests a minute.
const (
	kubeRequestTimeout = 30 * time.Second // a list or a discovery
	kubeRetryMin       = 100 * time.Millisecond
	kubeRetryMax       = 2 * time.Second // an API server restarting
	kubeRefusedMax     = 5 * time.Second // refused, or a kind not served: waiting on a person
	kubePollInterval   = 2 * time.Second // when watch is refused but list is not
)

var errGone = errors.New("watch expired (410 Gone): listing again")

// Watch follows the target: one list, then a watch from that list's
// resourceVersion with bookmarks, renewed from the last version seen when
// the server ends it; 410 Gone means that version is compacted away, so
// it lists again. Refusals count as "not yet" for the grace period, then
// as a *KubeAccessError; a refused watch with an allowed list falls back
// to polling.
func (k *Kube) Watch(ctx context.Context, state func(error)) (string, error) {
	w := &kubeWatcher{k: k, report: state}
	return w.run(ctx)
}

type kubeWatcher struct {
	k       *Kube
	report  func(error)
	objs    map[string]obj
	rv      string
	last    string // the last state seen
	trouble error  // why nothing newer is seen; nil while following
	refused time.Time
	retry   time.Duration
	poll    time.Time // until then, list every kubePollInterval: watch was refused
	fresh   bool      // listed, and no watch opened since

	settled bool // ready or final: Watch returns detail, final
	detail  string
	final   error
}

func (w *kubeWatcher) run(ctx context.Context) (string, error) {
	for {
		res, err := w.k.resolve(ctx)
		if err == nil && w.rv == "" {
			err = w.list(ctx, res) // else resume the watch where it broke
		}
		if err == nil && !w.settled {
			err = w.follow(ctx, res)
		}
		if w.settled {
			return w.detail, w.final
		}
		if errors.Is(err, errGone) {
			w.rv = ""
			if w.k.onGone != nil && !time.Now().Before(w.poll) {
				w.k.onGone()
			}
			continue
		}
		if ctx.Err() != nil || !w.wait(ctx, err, res) {
			return "", w.lastState()
		}
	}
}

func (w *kubeWatcher) list(ctx context.Context, res kubeResource) error {
	lctx, cancel := context.WithTimeout(ctx, kubeRequestTimeout)
	defer cancel()
	l, err := w.k.client.list(lctx, w.k.listPath(res), w.k.listQuery())
	if err != nil {
		return w.k.explain(err, "list", res)
	}
	w.refused, w.retry, w.trouble, w.fresh = time.Time{}, 0, nil, true
	w.objs = make(map[string]obj, len(l.Items))
	for _, o := range l.Items {
		w.objs[name(o)] = o
	}
	w.rv = l.Metadata.ResourceVersion
	w.observe(true)
	return nil
}

// follow watches until the target settles (nil), the version expires
// (errGone) or the watch fails.
func (w *kubeWatcher) follow(ctx context.Context, res kubeResource) error {
	for !w.settled {
		if time.Now().Before(w.poll) {
			if err := sleep.For(ctx, kubePollInterval); err != nil {
				return err
			}
			return errGone // list again
		}
		s, err := w.k.client.watch(ctx, w.k.listPath(res), w.k.listQuery(), w.rv, w.timeout())
		if apiCode(err) == 410 {
			return errGone
		}
		if err != nil {
			err = w.k.explain(err, "watch", res)
			var ae *KubeAccessError
			if errors.As(err, &ae) && ae.Code == 403 && w.fresh {
				w.poll = time.Now().Add(time.Minute) // list is allowed, watch is not: try it again later
				w.report(&KubeStateError{State: w.last, Err: fmt.Errorf("%w; listing every %v instead", err, kubePollInterval)})
				continue
			}
			if ae != nil && !w.refused.IsZero() && time.Since(w.refused) >= w.k.grace {
				// Refused past the grace a restarted API server needs:
				// list again, to learn whether only watch is refused.
				w.rv = ""
			}
			return err
		}
		w.fresh = false
		w.recovered()
		began := time.Now()
		err = w.stream(s)
		s.close()
		switch {
		case err == nil:
			w.retry = 0 // the server ended the watch: renew it at once
		case errors.Is(err, errGone) || isAPIError(err) || time.Since(began) < time.Second:
			return err
		default:
			// A connection that carried the watch for a while broke (an
			// API server shutting down sends GOAWAY): renew it at once;
			// only a failure to renew is worth reporting.
			w.retry = 0
		}
	}
	return nil
}

func isAPIError(err error) bool { return apiCode(err) != 0 }

// stream reads one watch's events until it ends, the target settles, or
// nothing, not even a bookmark, arrives for well past the watch's length.
func (w *kubeWatcher) stream(s *watchStream) error {
	idle := w.k.watchFor + time.Minute
	dog := time.AfterFunc(idle, s.close)
	defer dog.Stop()
	for !w.settled {
		ev, err := s.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		dog.Reset(idle)
		if rv := str(ev.Object, "metadata", "resourceVersion"); rv != "" && ev.Type != "ERROR" {
			w.rv = rv
		}
		switch ev.Type {
		case "ADDED", "MODIFIED":
			w.objs[name(ev.Object)] = ev.Object
			w.observe(false)
		case "DELETED":
			delete(w.objs, name(ev.Object))
			w.observe(false)
		case "ERROR":
			if e := statusError(ev.Object, ""); e.Code != 410 {
				return e
			}
			return errGone
		}
	}
	return nil
}

// recovered clears a trouble once a watch is open again, and says so.
func (w *kubeWatcher) recovered() {
	w.refused, w.retry = time.Time{}, 0
	if w.trouble != nil {
		w.trouble = nil
		w.report(&KubeStateError{State: w.last})
	}
}

// observe judges the objects and reports a changed state.
func (w *kubeWatcher) observe(listed bool) {
	state, ready, final := w.k.evaluate(w.objs)
	switch {
	case final != nil:
		w.settled, w.final = true, &FinalError{Err: final}
	case ready:
		w.settled, w.detail = true, state
	case state != w.last || listed:
		w.report(&KubeStateError{State: state})
	}
	w.last = state
}

// wait reports a failure and pauses before trying again; false when ctx
// ended first.
func (w *kubeWatcher) wait(ctx context.Context, err error, res kubeResource) bool {
	limit := kubeRetryMax
	var ae *KubeAccessError
	var ns *NotServedError
	switch {
	case errors.As(err, &ae):
		if w.refused.IsZero() {
			w.refused = time.Now()
		}
		if time.Since(w.refused) < w.k.grace {
			// An API server that has just started refuses valid tokens
			// until its RBAC caches fill: not yet a verdict.
			// Its type is dropped so that no grant is suggested yet.
			err = &KubeStateError{State: "refused; retrying for a few seconds, as an API server just started refuses valid tokens", Err: errors.New(err.Error())}
		} else {
			limit = kubeRefusedMax
		}
	case errors.As(err, &ns):
		limit = kubeRefusedMax
		if w.k.want.resource != "" {
			w.k.res = kubeResource{} // discover again: the CRD may come
		}
	}
	w.trouble = err
	if w.last != "" && !errors.As(err, new(*KubeStateError)) {
		w.report(&KubeStateError{State: w.last, Err: err})
	} else {
		w.report(err)
	}
	w.retry = min(max(w.retry*2, kubeRetryMin), limit)
	return sleep.For(ctx, jitter(w.retry)) == nil
}

// lastState is what Watch returns when ctx ends: the last state seen and,
// if the API server was failing since, why.
func (w *kubeWatcher) lastState() error {
	switch {
	case w.last == "" && w.trouble != nil:
		return w.trouble
	case w.last == "":
		return errors.New("no answer from the API server yet")
	}
	return &KubeStateError{State: w.last, Err: w.trouble}
}

// timeout is the length of the next watch, jittered ±10%.
func (w *kubeWatcher) timeout() time.Duration {
	return time.Duration(float64(w.k.watchFor) * (0.9 + 0.2*rand.Float64()))
}

func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
